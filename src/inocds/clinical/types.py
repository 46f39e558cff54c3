"""The clinical core's closed vocabularies, defined once as `Literal` types (and
`built` / `replaced`, a frozen dataclass made or copied cheaply on the request path).

The values are the contract's JSON strings (CONTRACT.md), so an answer serialises
unchanged; mypy (strict on `clinical/`) refuses a misspelt state, level or action.

Fast __init__: a frozen dataclass made many times per request (Reason, GateResult,
LogEntry, Span, Episode, Stop, Decision, ...) writes its own `__init__` that sets the
fields in `self.__dict__`. `dataclass` keeps a class's own `__init__`; the one it would
generate calls `object.__setattr__` once per field (~1,500 machine instructions each,
about half the cost of making the value). Equality, hash, repr and the frozen guard on
assignment are the dataclass's as before. tests/unit/test_fast_inits.py holds every such
`__init__` to its fields: same parameters in the same order with the same defaults,
each value stored under its own name, the value still frozen.
"""

from __future__ import annotations

from typing import Any, Final, Literal, TypeVar

__all__ = [
    "DOSE_LEVELS",
    "RESPONDED",
    "Action",
    "CourseEnd",
    "DoseLevel",
    "HepaticState",
    "LogKind",
    "ResponseStatus",
    "built",
    "replaced",
]

Action = Literal["give", "delay", "omit", "hold", "discontinue", "complete", "none_due"]
"""What `assess` answers for today.date."""

CourseEnd = Literal["complete", "discontinue"]
"""How a course ends (duration.*, stops): the `action` of assess and plan with no dose."""

DoseLevel = Literal["full", "reduced_25", "two_doses"]
"""A cycle's dose level on the reduction ladder (reduction.level1, reduction.level2)."""

DOSE_LEVELS: Final[tuple[DoseLevel, ...]] = ("full", "reduced_25", "two_doses")
"""Dose levels in the order of the ladder; a level is never left for a lower index."""

HepaticState = Literal["interrupt", "recovered"]
"""What a set of liver tests does to hepatic.interrupt (None: no change of state)."""

ResponseStatus = Literal["CR", "CRi", "none"]
"""A response assessment's status (the course document's `response` event)."""

RESPONDED: Final[frozenset[str]] = frozenset({"CR", "CRi"})
"""The statuses that count as CR/CRi (regimen.subsequent_cr, duration.*)."""

LogKind = Literal["started", "given", "omitted", "skipped", "resumed"]
"""A step of the course narrative: omitted (a decision of the walk), skipped (history)."""


_Frozen = TypeVar("_Frozen")


def replaced(value: _Frozen, **changes: Any) -> _Frozen:
    """`dataclasses.replace` for a frozen dataclass whose fields are all init fields (no
    __post_init__, no cached property): the fields copied with `changes`, without
    replace's field introspection and __init__'s one object.__setattr__ per field."""
    fields = value.__dict__
    assert changes.keys() <= fields.keys(), f"no such field: {changes.keys() - fields.keys()}"
    copy = object.__new__(type(value))
    copy.__dict__.update(fields, **changes)
    return copy


def built(cls: type[_Frozen], **fields: Any) -> _Frozen:
    """`cls(**fields)` for a frozen dataclass given every one of its fields (no default
    used, no __post_init__): the fields set in one dict update instead of __init__'s one
    object.__setattr__ per field."""
    expected = cls.__dataclass_fields__.keys()  # type: ignore[attr-defined]
    assert fields.keys() == expected, f"fields differ: {fields.keys() ^ expected}"
    value = object.__new__(cls)
    value.__dict__.update(fields)
    return value
