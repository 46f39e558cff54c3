"""The JSON limits shared by the CLI and the HTTP guard (issue 10)."""

from __future__ import annotations

import pytest

from inocds.clinical.json_limits import MAX_DEPTH, MAX_INT_DIGITS, loads
from inocds.clinical.validation import InputError


def _refusal(raw: str) -> list[dict[str, str]]:
    with pytest.raises(InputError) as error:
        loads(raw)
    return [e.to_dict() for e in error.value.errors]


def test_nesting_is_bounded_but_brackets_inside_strings_do_not_count() -> None:
    """33 levels are refused (limit 32); a string full of brackets is plain text."""
    assert loads("[" * MAX_DEPTH + "]" * MAX_DEPTH) is not None
    assert _refusal("[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1))[0]["field"] == "(body)"
    assert loads('{"note": "' + "[{" * 100 + '\\" ]"}') == {"note": "[{" * 100 + '" ]'}


def test_integer_literals_are_bounded_below_pythons_own_limit() -> None:
    """30 digits pass; 31 and 4,301 digits (Python's int() limit is 4,300) are refused."""
    assert loads("9" * MAX_INT_DIGITS) == int("9" * MAX_INT_DIGITS)
    assert _refusal("9" * (MAX_INT_DIGITS + 1))[0]["field"] == "(body)"
    assert _refusal('{"a": -' + "1" * 4301 + "}")[0]["field"] == "(body)"


def test_control_characters_are_named_by_path() -> None:
    """A NUL in events[1].name is refused there; tab, newline and CR in free text pass."""
    raw = '{"events": [{"name": "ok"}, {"name": "a\\u0000b"}], "note": "x\\ty\\nz\\r"}'
    assert _refusal(raw) == [
        {"field": "events[1].name", "message": "must not contain control characters"}
    ]
    assert loads('{"note": "x\\ty\\nz\\r"}') == {"note": "x\ty\nz\r"}


def test_bad_json_and_bad_utf8_are_named_as_the_body() -> None:
    """Not JSON, and bytes that are not UTF-8: refused naming (body)."""
    assert _refusal("{height_cm: 1")[0]["field"] == "(body)"
    with pytest.raises(InputError):
        loads(b'{"a": "\xff"}')
