"""Histories a ward could not have lived: checked before a new event joins a course.

The engine trusts a valid course document; these checks stand between a typing slip
and the engine: an event before the patient's birth, long before the course was
opened, a response or labs before the course started, a cycle without the one before
it, a cycle starting sooner than the shortest cycle allows, a dose before its cycle.
Every number comes from the protocol (`workflow.plausibility`, `regimen.cycle1`).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.clinical.validation import FieldError
from inocds.protocol.loader import load_protocol

__all__ = ["history_problems"]

_STARTS = ("cycle_start", "dose")
_AFTER_START = ("labs", "response", "discontinued")
"""Events that belong to a started course (pretreatment values go on the course itself).
A toxicity may precede the first dose: it is the patient's pretreatment grade."""


def _date(event: dict[str, Any]) -> dt.date | None:
    raw = event.get("onset") if event.get("type") == "toxicity" else event.get("date")
    try:
        return dt.date.fromisoformat(raw) if isinstance(raw, str) else None
    except ValueError:
        return None


def _cycle_starts(events: list[dict[str, Any]]) -> dict[int, dt.date]:
    """The first known date of each cycle (its start, else its earliest dose)."""
    starts: dict[int, dt.date] = {}
    for event in events:
        when, cycle = _date(event), event.get("cycle")
        if event.get("type") not in _STARTS or when is None or not isinstance(cycle, int):
            continue
        if cycle not in starts or when < starts[cycle]:
            starts[cycle] = when
    return starts


def _cycle_problems(
    new: dict[str, Any], when: dt.date, starts: dict[int, dt.date]
) -> list[FieldError]:
    cycle = new.get("cycle")
    if new.get("type") not in _STARTS or not isinstance(cycle, int):
        return []
    shortest = load_protocol()["regimen.cycle1"].integer("cycle_length_days")
    problems: list[FieldError] = []
    previous = starts.get(cycle - 1)
    if cycle > 1 and previous is None:
        problems.append(
            FieldError("event.cycle", f"cycle {cycle - 1} is not recorded: record it first")
        )
    elif previous is not None and when < previous + dt.timedelta(days=shortest):
        problems.append(
            FieldError(
                "event.date",
                f"cycle {cycle} cannot start on {when}: cycle {cycle - 1} started on "
                f"{previous} and the shortest cycle lasts {shortest} days "
                f"(earliest {previous + dt.timedelta(days=shortest)})",
            )
        )
    own = starts.get(cycle)
    if new.get("type") == "dose" and own is not None and when < own:
        problems.append(FieldError("event.date", f"is before cycle {cycle} started ({own})"))
    return problems


def history_problems(
    events: list[dict[str, Any]], new: dict[str, Any], birth: dt.date, opened: dt.date
) -> list[FieldError]:
    """What makes `new` impossible next to `events` for a patient born on `birth` whose
    course was opened on `opened` (empty when nothing)."""
    when = _date(new)
    if when is None:
        return []
    field = "event.onset" if new.get("type") == "toxicity" else "event.date"
    limit = load_protocol()["workflow.plausibility"].integer("max_backdating_days")
    if when < birth:
        return [FieldError(field, f"{when} is before the patient's birth date ({birth})")]
    if when < opened - dt.timedelta(days=limit):
        return [
            FieldError(
                field,
                f"{when} is more than {limit} days before this course was opened ({opened}): "
                "check the year",
            )
        ]
    starts = _cycle_starts(events)
    first = min(starts.values()) if starts else None
    if new.get("type") in _AFTER_START and first is not None and when < first:
        return [
            FieldError(
                field,
                f"{when} is before the course started ({first}); values from before "
                "treatment belong to the course's pretreatment values",
            )
        ]
    return _cycle_problems(new, when, starts)
