"""The JSON limits shared by the CLI and the HTTP guard (issue 10)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inocds.clinical.json_limits import _SHAPE, MAX_DEPTH, MAX_INT_DIGITS, _nesting, loads
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


@pytest.mark.parametrize(
    ("raw", "depth"),
    [
        ("1", 0),
        ("[]" * 40, 1),
        ('{"a": [1, {"b": "]]]]"}]}', 3),  # 3 levels; the string's brackets do not count
        ('["[[[[", ["}}}"]]', 2),
        ('["[", "]", [["{"]]]', 3),  # `""` between two strings is no empty string
        ("[" * 40 + "]" * 40, 40),
    ],
)
def test_nesting_reads_only_the_brackets_outside_strings(raw: str, depth: int) -> None:
    """The fast path's depth screen: the deepest bracket outside strings, {} and [] alike."""
    assert _nesting(raw.encode().translate(_SHAPE)) == depth


def _deepest(value: object) -> int:
    if isinstance(value, dict):
        return 1 + max(map(_deepest, value.values()), default=0)
    if isinstance(value, list):
        return 1 + max(map(_deepest, value), default=0)
    return 0


_BRACKETY = st.text(alphabet='[]{}ab:,"', max_size=6)


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.integers() | _BRACKETY,
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_BRACKETY, inner, max_size=4),
        max_leaves=40,
    )
)
def test_nesting_equals_the_depth_of_the_parsed_value(value: object) -> None:
    """Any document of bracket-laden strings: the depth of the value itself (documents
    with a backslash, here a quote inside a string, never reach the screen)."""
    raw = json.dumps(value).encode()
    if b"\\" not in raw:
        assert _nesting(raw.translate(_SHAPE)) == _deepest(value)


def test_bad_json_and_bad_utf8_are_named_as_the_body() -> None:
    """Not JSON, and bytes that are not UTF-8: refused naming (body)."""
    assert _refusal("{height_cm: 1")[0]["field"] == "(body)"
    with pytest.raises(InputError):
        loads(b'{"a": "\xff"}')


# ------------------------------------------------------------ the HTTP fast path (orjson)

_json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**25), max_value=10**25)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=12),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(_json_values)
def test_fast_path_reads_every_document_as_the_stdlib_path_does(value: object) -> None:
    """`loads(raw, fast=True)` (orjson) equals `loads(raw)` (stdlib), value and type, or
    refuses the same way, for any document: big integers, control characters, escapes."""
    raw = json.dumps(value, ensure_ascii=False).encode()
    try:
        slow = loads(raw)
    except InputError as error:
        with pytest.raises(InputError) as fast_error:
            loads(raw, fast=True)
        assert fast_error.value.errors == error.errors
        return
    fast = loads(raw, fast=True)
    assert fast == slow
    assert _types(fast) == _types(slow)


def _types(value: object) -> object:
    """The value with every leaf replaced by its type (1 == 1.0, but an int is not a float)."""
    if isinstance(value, dict):
        return {k: _types(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_types(v) for v in value]
    return type(value)


@pytest.mark.parametrize(
    "raw",
    [
        "[" * MAX_DEPTH + "]" * MAX_DEPTH,
        "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1),
        "9" * MAX_INT_DIGITS,
        "9" * (MAX_INT_DIGITS + 1),
        "18446744073709551616",  # 2**64: orjson would read a float
        "9223372036854775808",  # 2**63, 19 digits: the shortest literal the screen must see
        "-9223372036854775809",
        '{"a": [1e19, 1E2, 0.5e-3]}',  # exponents: floats both ways
        '{"a": "' + "9" * 40 + '"}',  # digits inside a string only make the fast path walk
        "[" * MAX_DEPTH + "1e19" + "]" * MAX_DEPTH,
        '{"a": NaN, "b": 1e999}',
        # more than MAX_DEPTH brackets: the depth is read outside strings only
        "[" + "[], " * 40 + "[]]",  # 42 brackets, 2 deep: no walk
        "[" * (MAX_DEPTH + 1) + '"' + "]" * 40 + '"' + "]" * (MAX_DEPTH + 1),  # 33 deep
        "[" * MAX_DEPTH + '"' + "[" * 40 + '"' + "]" * MAX_DEPTH,  # 32 deep
        '{"a": "' + "}" * 40 + '", "b": ' + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "}",
        '{"note": "a\\u0000b"}',
        '{"note": "x\\ty\\nz\\r"}',
        '"\\ud800"',
        "\ufeff{}",
        "{height_cm: 1",
    ],
)
def test_fast_path_keeps_every_limit_and_refusal(raw: str) -> None:
    """The edge documents of the limits give the same value or the same refusal both ways."""
    outcomes = []
    for fast in (False, True):
        try:
            outcomes.append(("value", loads(raw.encode(), fast=fast)))
        except InputError as error:
            outcomes.append(("refused", error.errors))
    assert repr(outcomes[0]) == repr(outcomes[1])
