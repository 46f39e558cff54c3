"""JSON read within limits: size, nesting depth, integer length, no control characters.

The CLI and the HTTP service read request documents through `loads`, so the same
hostile input gets the same named refusal (exit 2 / HTTP 422) instead of a crash:
Python's json parser recurses once per nesting level (1,000 levels raise
RecursionError) and `int()` refuses literals of 4,300 digits and more (ValueError).
NaN, Infinity and 1e999 are left to the validators, which name the field they are in.
"""

from __future__ import annotations

import json
import re
from itertools import accumulate
from typing import Any

from inocds.clinical.validation import FieldError, InputError

__all__ = [
    "MAX_BYTES",
    "MAX_DEPTH",
    "MAX_INT_DIGITS",
    "control_character_problems",
    "has_control_characters",
    "loads",
]

MAX_BYTES = 1_048_576
"""A request document larger than 1 MiB is refused (a long course is a few kilobytes)."""
MAX_DEPTH = 32
"""Arrays and objects nested deeper than this are refused (the contract nests 4 deep)."""
MAX_INT_DIGITS = 30
"""An integer literal longer than this is refused (ids and counts need at most 19 digits)."""

_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(r"[\[\]{}]")
_CONTROL_BYTES = bytes([*range(0x00, 0x09), 0x0B, 0x0C, *range(0x0E, 0x20), 0x7F])
"""The control characters of _CONTROL within ASCII."""
_TWO_63 = 2.0**63
_SHAPE = bytes.maketrans(
    b"0123456789E{}" + _CONTROL_BYTES, b"0000000000e[]" + b"\x00" * len(_CONTROL_BYTES)
)
"""The bytes' shape in one bytes.translate: every digit to 0 and E to e ("0e" is a digit
before an exponent), `{` to `[` and `}` to `]` (one kind of bracket), and every ASCII
control character to NUL (one search)."""
_SIGNS = bytes.maketrans(b"[]", b"\x01\xff")
"""An opening bracket to 1, a closing one to -1 (0xff read as a signed byte)."""
_NOT_MARKS = bytes(b for b in range(256) if b not in b'[]"')
_LONG_RUN = b"0" * 19
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Control characters; tab, line feed and carriage return are allowed in free text."""


def _depth(text: str) -> int:
    depth = deepest = 0
    for bracket in _BRACKETS.finditer(_STRINGS.sub('""', text)):
        depth += 1 if bracket.group() in "[{" else -1
        deepest = max(deepest, depth)
    return deepest


def _parse_int(literal: str) -> int:
    if len(literal.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of more than {MAX_INT_DIGITS} digits")
    return int(literal)


def has_control_characters(value: str) -> bool:
    """Whether `value` holds a control character other than tab, line feed, carriage return."""
    return _CONTROL.search(value) is not None


def control_character_problems(document: Any, path: str = "") -> list[FieldError]:
    """Every string (key or value) of `document` holding a control character, by path."""
    errors: list[FieldError] = []
    if isinstance(document, str):
        if has_control_characters(document):
            errors.append(FieldError(path or "(body)", "must not contain control characters"))
    elif isinstance(document, dict):
        for key, value in document.items():
            where = f"{path}.{key}" if path else str(key)
            if has_control_characters(str(key)):
                errors.append(FieldError(path or "(body)", "a key holds a control character"))
            errors.extend(control_character_problems(value, where))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            errors.extend(control_character_problems(value, f"{path}[{index}]"))
    return errors


def _unlike_stdlib(document: Any) -> bool:
    """Whether the stdlib path could refuse or read this orjson-parsed document otherwise:
    nested deeper than MAX_DEPTH, or a float of 2**63 or more, which is how orjson reads
    an integer literal beyond 64 bits (the stdlib reads an int). Iterative: no recursion."""
    stack: list[tuple[Any, int]] = [([document], -1)]
    while stack:
        node, depth = stack.pop()
        if depth >= MAX_DEPTH:
            return True
        for child in node.values() if type(node) is dict else node:
            kind = type(child)
            if kind is dict or kind is list:
                stack.append((child, depth + 1))
            elif kind is float and abs(child) >= _TWO_63:
                return True
    return False


def _fast_loads(raw: str | bytes) -> Any:
    """The document parsed by orjson when every limit is clearly kept, else None.

    None sends the caller to the stdlib path, which names each refusal as before: orjson
    refuses NaN, Infinity and lone surrogates that the stdlib parser reads (and the
    validators then name by field). For every document taken here both parsers give
    equal values of equal types (tests/unit/test_json_limits.py).
    """
    import orjson  # only the HTTP fast path pays for this import, not the CLI

    data = raw.encode("utf-8", "surrogatepass") if isinstance(raw, str) else raw
    # Without a backslash every string is literal text, so the bytes show any control
    # character a string could hold (C1 characters only outside ASCII).
    if b"\\" in data:
        return None
    shape = data.translate(_SHAPE)
    if data.isascii():
        if b"\x00" in shape:
            return None
    elif has_control_characters(data.decode("utf-8", "replace")):
        return None
    try:
        document = orjson.loads(data)
    except orjson.JSONDecodeError:
        return None
    if _may_differ(shape) and _unlike_stdlib(document):
        return None
    return document


def _may_differ(shape: bytes) -> bool:
    """Whether `_unlike_stdlib` must walk the document (`shape`: the bytes through _SHAPE):
    only a document nested more than MAX_DEPTH deep can break the depth limit, and only a
    run of 19 digits or a digit before an exponent can spell a number of 2**63 or more
    (strings included: it only errs towards walking)."""
    if b"0e" in shape or _LONG_RUN in shape:
        return True
    return shape.count(b"[") > MAX_DEPTH and _nesting(shape) > MAX_DEPTH


def _nesting(shape: bytes) -> int:
    """How deep the brackets outside strings nest, for valid JSON without a backslash (as
    `_fast_loads` reads it): every quote then opens or closes a string. Kept: brackets and
    quotes; the string pairs holding no bracket (`""`, removed left to right) go next.
    When no quote is left, no string held a bracket and the rest are the brackets of the
    document itself; otherwise the pieces between quotes at even places are the text
    outside strings."""
    marks = shape.translate(None, _NOT_MARKS)
    brackets = marks.replace(b'""', b"")
    if b'"' in brackets:
        brackets = b"".join(marks.split(b'"')[::2])
    signs = memoryview(brackets.translate(_SIGNS)).cast("b")
    return max(accumulate(signs), default=0)


def loads(raw: str | bytes, *, fast: bool = False) -> Any:
    """The JSON document in `raw`, or InputError naming what breaks the limits.

    `fast` (the HTTP layer) parses with orjson first and falls back to the stdlib path
    whenever that path could refuse or read the document differently.
    """
    if len(raw) > MAX_BYTES:
        raise InputError.single("(body)", f"larger than {MAX_BYTES} bytes")
    if fast:
        document = _fast_loads(raw)
        if document is not None:
            return document
    try:
        text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    except UnicodeDecodeError as error:
        raise InputError.single("(body)", f"not valid UTF-8: {error.reason}") from None
    if _depth(text) > MAX_DEPTH:
        raise InputError.single("(body)", f"nested more than {MAX_DEPTH} levels deep")
    try:
        document = json.loads(text, parse_int=_parse_int)
    except json.JSONDecodeError as error:
        raise InputError.single(
            "(body)", f"not valid JSON: {error.msg} at line {error.lineno}"
        ) from None
    except (ValueError, RecursionError) as error:
        raise InputError.single("(body)", f"not accepted: {error}") from None
    problems = control_character_problems(document)
    if problems:
        raise InputError(problems)
    return document
