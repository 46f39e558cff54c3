"""The field specs of `clinical.validation` compiled once into closures (the request path).

`Spec.check` interprets a spec per field and builds a refusal's text as it goes. For a
document that is accepted, the text is never needed: `compiled(spec)` returns a twin of
`check` that returns the same cleaned value for every value `check` accepts and raises
`Refused` for anything else, without naming why. `validation_source.validator(spec)` runs
such a twin (written out as one function) and, on the first refusal, runs `validate` (the
interpreter) over the whole document, so every refusal is worded, collected and ordered by
`check` alone, as before.

A twin may refuse more than `check` does (a `Mapping` that is not a `dict`, a `str`
subclass): the interpreter then decides. It must never accept what `check` refuses, nor
clean a value otherwise (tests/unit/test_validation_compiled.py compares both).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, NoReturn

from inocds.clinical.validation import (
    Bool,
    Choice,
    Date,
    Enum,
    FieldError,
    ListOf,
    Num,
    Obj,
    Spec,
    Text,
    Timestamp,
    Union,
)

__all__ = ["Check", "Refused", "compiled"]

Check = Callable[[Any], Any]
"""A compiled spec: the cleaned value, or `Refused`."""


class Refused(Exception):
    """The compiled twin does not accept the value; the interpreter says why."""


def _refused(value: Any) -> NoReturn:
    raise Refused


def _num(spec: Num) -> Check:
    if not spec.finite:
        return _refused  # check accepts nothing then (it always words a refusal)
    lo, hi, lo_open, integer = spec.lo, spec.hi, spec.lo_open, spec.integer

    def number(value: Any) -> Any:
        kind = type(value)
        if kind is int or kind is float:
            below = value <= lo if lo_open else value < lo
            if not below and value <= hi and (not integer or value == int(value)):
                return int(value) if integer else float(value)
        raise Refused

    return number


def _text(spec: Text) -> Check:
    longest = spec.max_length

    def text(value: Any) -> Any:
        if type(value) is str and len(value) <= longest and value.strip():
            return value
        raise Refused

    return text


def _bool(spec: Bool) -> Check:
    def flag(value: Any) -> Any:
        if type(value) is bool:
            return value
        raise Refused

    return flag


def _enum(spec: Enum) -> Check:
    allowed = frozenset(spec.values)

    def one_of(value: Any) -> Any:
        if type(value) is str and value in allowed:
            return value
        raise Refused

    return one_of


def _choice(spec: Choice) -> Check:
    allowed = spec.values

    def whole_one_of(value: Any) -> Any:
        kind = type(value)
        if (kind is int or kind is float) and value in allowed:
            return int(value)
        raise Refused

    return whole_one_of


def _date(spec: Date) -> Check:
    parse = dt.date.fromisoformat

    def date(value: Any) -> Any:
        if type(value) is str and len(value) == 10:
            try:
                return parse(value)
            except ValueError:
                pass
        raise Refused

    return date


def _timestamp(spec: Timestamp) -> Check:
    def timestamp(value: Any) -> Any:
        if type(value) is str:
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                raise Refused from None
            if parsed.tzinfo is not None:
                return parsed
        raise Refused

    return timestamp


def _list_of(spec: ListOf) -> Check:
    item, most = compiled(spec.item), spec.max_items

    def items(value: Any) -> Any:
        if type(value) is list and len(value) <= most:
            return [item(v) for v in value]
        raise Refused

    return items


def _or_null(check: Check) -> Check:
    def nullable(value: Any) -> Any:
        return None if value is None else check(value)

    return nullable


def _obj(spec: Obj) -> Check:
    fields = {
        name: _or_null(compiled(field)) if name in spec.nullable else compiled(field)
        for name, field in spec.known.items()
    }
    needed, known, rules = spec.needed, frozenset(spec.known), spec.checks

    def obj(value: Any) -> Any:
        if type(value) is not dict or not needed <= value.keys() or not value.keys() <= known:
            raise Refused
        cleaned = {name: fields[name](raw) for name, raw in value.items()}
        if rules:
            errors: list[FieldError] = []
            for rule in rules:
                rule(cleaned, "", errors)
            if errors:
                raise Refused
        return cleaned

    return obj


def _union(spec: Union) -> Check:
    key = spec.key
    choices = {kind: compiled(choice) for kind, choice in spec.choices.items()}

    def chosen(value: Any) -> Any:
        if type(value) is dict:
            kind = value.get(key)
            if type(kind) is str and kind in choices:
                return choices[kind](value)
        raise Refused

    return chosen


def _interpreted(spec: Spec) -> Check:
    """Any other spec: its own `check`, refused when it names an error."""

    def interpreted(value: Any) -> Any:
        errors: list[FieldError] = []
        cleaned = spec.check(value, "", errors)
        if errors:
            raise Refused
        return cleaned

    return interpreted


_COMPILERS: dict[type[Any], Callable[[Any], Check]] = {
    Num: _num,
    Text: _text,
    Bool: _bool,
    Enum: _enum,
    Choice: _choice,
    Date: _date,
    Timestamp: _timestamp,
    ListOf: _list_of,
    Obj: _obj,
    Union: _union,
}


def compiled(spec: Spec) -> Check:
    """The compiled twin of `spec` (a spec's own `compiled()` first, e.g. plausibility.Count)."""
    own = spec.compiled()
    if own is not None:
        return own
    compiler = _COMPILERS.get(type(spec))
    return compiler(spec) if compiler is not None else _interpreted(spec)
