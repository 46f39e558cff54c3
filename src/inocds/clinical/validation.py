"""A small strict validator for the contract's JSON documents (stdlib only).

Pydantic would do the same job but costs ~0.3 s of import time on every CLI call;
this module keeps `inocds dose` fast. It collects *every* bad field with its
dotted path and what is allowed, denies unknown fields, and never raises on input.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from typing import Any, NamedTuple

__all__ = [
    "Bool",
    "Choice",
    "Date",
    "Enum",
    "FieldError",
    "InputError",
    "ListOf",
    "Num",
    "Obj",
    "Spec",
    "Text",
    "Timestamp",
    "Union",
    "validate",
]


class FieldError(NamedTuple):
    """One bad field: its dotted path and what is allowed there."""

    field: str
    message: str

    def to_dict(self) -> dict[str, str]:
        """The contract's `{"field", "message"}` form."""
        return {"field": self.field, "message": self.message}


class InputError(Exception):
    """Bad input: carries every bad field. Exit 2 on the CLI, 422 over HTTP."""

    def __init__(self, errors: Sequence[FieldError]) -> None:
        super().__init__("; ".join(f"{e.field}: {e.message}" for e in errors))
        self.errors = tuple(errors)

    @classmethod
    def single(cls, field: str, message: str) -> InputError:
        """An InputError for one field."""
        return cls([FieldError(field, message)])

    def to_dict(self) -> dict[str, list[dict[str, str]]]:
        """The contract's error document."""
        return {"errors": [e.to_dict() for e in self.errors]}


class Spec:
    """Base of all field specifications (plain classes: no dataclass import on the CLI path)."""

    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        """Returns the cleaned value, appending FieldErrors for anything bad."""
        raise NotImplementedError

    def compiled(self) -> Callable[[Any], Any] | None:
        """A spec's own fast twin of `check` (see clinical.validation_compiled), or None."""
        return None

    def written(self, raw: str, out: str, constant: Callable[[Any], str]) -> list[str] | None:
        """A spec's own inline test for clinical.validation_source, or None (its twin is
        called): lines (indented relative to the first) that read variable `raw`, set `out`
        to the cleaned value or raise `Refused`; `constant(value)` names a value they use."""
        return None


def _type_name(value: Any) -> str:
    if value is None:
        return "null"
    return {bool: "boolean", int: "number", float: "number", str: "string", list: "list"}.get(
        type(value), "object" if isinstance(value, Mapping) else type(value).__name__
    )


class Num(Spec):
    """A finite number within [lo, hi] (inclusive unless the bound is open)."""

    __slots__ = ("finite", "hi", "integer", "lo", "lo_open")

    def __init__(self, lo: float, hi: float, integer: bool = False, lo_open: bool = False) -> None:
        self.lo = lo
        self.hi = hi
        self.integer = integer
        self.lo_open = lo_open
        self.finite = math.isfinite(lo) and math.isfinite(hi)

    def allowed(self) -> str:
        """What the field accepts, in words (built only when a value is refused)."""
        kind = "a whole number" if self.integer else "a number"
        low = f"above {self.lo:g}" if self.lo_open else f"at least {self.lo:g}"
        return f"{kind} {low} and at most {self.hi:g}"

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        kind = type(value)
        if self.finite and (kind is int or kind is float):  # the common case: no text built
            below = value <= self.lo if self.lo_open else value < self.lo
            if not below and value <= self.hi and (not self.integer or value == int(value)):
                return int(value) if self.integer else float(value)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            errors.append(FieldError(path, f"must be {self.allowed()}, got {_type_name(value)}"))
            return None
        if not math.isfinite(value) or (self.integer and value != int(value)):
            errors.append(FieldError(path, f"must be {self.allowed()}, got {value!r}"))
            return None
        errors.append(FieldError(path, f"must be {self.allowed()}, got {value:g}"))
        return None


class Text(Spec):
    """A non-empty string of at most max_length characters."""

    __slots__ = ("max_length",)

    def __init__(self, max_length: int = 500) -> None:
        self.max_length = max_length

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str) or not value.strip() or len(value) > self.max_length:
            errors.append(
                FieldError(
                    path, f"must be a non-empty text of at most {self.max_length} characters"
                )
            )
            return None
        return value


class Bool(Spec):
    """true or false."""

    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, bool):
            errors.append(FieldError(path, f"must be true or false, got {_type_name(value)}"))
            return None
        return value


class Enum(Spec):
    """One of a fixed set of strings."""

    __slots__ = ("values",)

    def __init__(self, values: tuple[str, ...]) -> None:
        self.values = values

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, str) or value not in self.values:
            shown = value if isinstance(value, str) else _type_name(value)
            errors.append(
                FieldError(path, f"must be one of {', '.join(self.values)}; got {shown!r}")
            )
            return None
        return value


class Choice(Spec):
    """One of a fixed set of whole numbers."""

    __slots__ = ("values",)

    def __init__(self, values: tuple[int, ...]) -> None:
        self.values = values

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value not in self.values
        ):
            allowed = ", ".join(str(v) for v in self.values)
            errors.append(FieldError(path, f"must be one of {allowed}; got {value!r}"))
            return None
        return int(value)


class Date(Spec):
    """A calendar date YYYY-MM-DD."""

    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, str) and len(value) == 10:
            try:
                return dt.date.fromisoformat(value)
            except ValueError:
                pass
        errors.append(FieldError(path, f"must be a date YYYY-MM-DD, got {value!r}"))
        return None


class Timestamp(Spec):
    """An ISO 8601 timestamp with its UTC offset."""

    __slots__ = ()

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if isinstance(value, str):
            try:
                parsed = dt.datetime.fromisoformat(value)
            except ValueError:
                parsed = None
            if parsed is not None and parsed.tzinfo is not None:
                return parsed
        errors.append(FieldError(path, f"must be an ISO 8601 timestamp with offset, got {value!r}"))
        return None


class ListOf(Spec):
    """A list of items of one spec, with at most max_items."""

    __slots__ = ("item", "max_items")

    def __init__(self, item: Spec, max_items: int = 1000) -> None:
        self.item = item
        self.max_items = max_items

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if not isinstance(value, list):
            errors.append(FieldError(path, f"must be a list, got {_type_name(value)}"))
            return None
        if len(value) > self.max_items:
            errors.append(FieldError(path, f"must hold at most {self.max_items} items"))
            return None
        return [self.item.check(v, f"{path}[{i}]", errors) for i, v in enumerate(value)]


class Obj(Spec):
    """An object with known fields; unknown fields are errors.

    `required` and `optional` map field names to specs; `nullable` names optional
    fields that may be null. `checks` run on the cleaned object when every field
    is valid (cross-field rules such as dates in order).
    """

    __slots__ = ("checks", "known", "needed", "nullable", "optional", "required")

    def __init__(
        self,
        required: Mapping[str, Spec],
        optional: Mapping[str, Spec] | None = None,
        nullable: frozenset[str] = frozenset(),
        checks: tuple[Callable[[dict[str, Any], str, list[FieldError]], None], ...] = (),
    ) -> None:
        self.required = required
        self.optional: Mapping[str, Spec] = optional or {}
        self.nullable = nullable
        self.checks = checks
        self.known: dict[str, Spec] = {**required, **self.optional}
        self.needed = frozenset(required)

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):  # dict: no ABC check
            errors.append(
                FieldError(path or "(body)", f"must be an object, got {_type_name(value)}")
            )
            return None
        before = len(errors)
        known = self.known
        prefix = f"{path}." if path else ""
        cleaned: dict[str, Any] = {}
        if not self.needed <= value.keys():
            for name in self.required:
                if name not in value:
                    errors.append(FieldError(f"{prefix}{name}", "is required"))
        for name, raw in value.items():
            spec = known.get(name)
            if spec is None:
                allowed = ", ".join(sorted(known))
                errors.append(FieldError(f"{prefix}{name}", f"unknown field; allowed: {allowed}"))
            elif raw is None and name in self.nullable:
                cleaned[name] = None
            else:
                cleaned[name] = spec.check(raw, prefix + name, errors)
        if len(errors) == before:
            for rule in self.checks:
                rule(cleaned, path, errors)
        return cleaned


class Union(Spec):
    """An object whose spec is chosen by the value of its discriminator field."""

    __slots__ = ("choices", "key")

    def __init__(self, key: str, choices: Mapping[str, Obj]) -> None:
        self.key = key
        self.choices = choices

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        if type(value) is not dict and not isinstance(value, Mapping):  # dict: no ABC check
            errors.append(FieldError(path, f"must be an object, got {_type_name(value)}"))
            return None
        kind = value.get(self.key)
        if not isinstance(kind, str) or kind not in self.choices:
            errors.append(
                FieldError(f"{path}.{self.key}", f"must be one of {', '.join(self.choices)}")
            )
            return None
        return self.choices[kind].check(value, path, errors)


def validate(spec: Spec, document: Any) -> Any:
    """Cleans `document` against `spec`, or raises InputError naming every bad field."""
    errors: list[FieldError] = []
    cleaned = spec.check(document, "", errors)
    if errors:
        raise InputError(errors)
    return cleaned
