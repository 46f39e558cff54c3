"""The course's doses as dates: given so far, the rest of the cycle in progress, the plan.

Shared by the calendar and the handout. Recorded doses come from the course
document's `dose` events. Ahead come the engine's plan (`plan` answer: the next
cycle, with each dose's earliest and latest date) and the days of the cycle in
progress that the plan does not cover, dated as the course engine dates them: the
due dose on the date `assess` gives it (today for give, `next_dose_date` for a
delay or hold), later days at their nominal day, moved by schedule.window and
schedule.min_interval. The next cycle's dates are the plan's, never recomputed
(the plan already starts it no earlier than `assess` allows). Nothing lies ahead
once the course is discontinued.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from inocds.clinical.assess import assess_course
from inocds.clinical.course import build_course
from inocds.clinical.documents import parse_course
from inocds.clinical.validation import InputError
from inocds.protocol.loader import load_protocol

__all__ = ["ScheduledDose", "dose_schedule"]

_DATED = ("give", "delay", "hold")
"""Today's decisions that date the due dose: today (give) or `next_dose_date` (delay, hold)."""


@dataclass(frozen=True)
class ScheduledDose:
    """One dose of the course: given (recorded) or planned with its window."""

    date: dt.date
    cycle: int | None
    day: int | None
    given: bool
    dose_mg_per_m2: float | None = None
    earliest: dt.date | None = None
    latest: dt.date | None = None

    @property
    def key(self) -> tuple[int | None, int | None]:
        """(cycle, day): one dose per slot."""
        return (self.cycle, self.day)

    @property
    def label(self) -> str:
        """E.g. `cycle 1, day 8`."""
        if self.cycle is None:
            return "dose"
        return f"cycle {self.cycle}, day {self.day}" if self.day else f"cycle {self.cycle}"


def _date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value)


def _recorded(document: Mapping[str, Any]) -> list[ScheduledDose]:
    doses = []
    for event in document.get("events") or ():
        if not isinstance(event, Mapping) or event.get("type") != "dose":
            continue
        date = _date(event.get("date"))
        if date is not None:
            doses.append(
                ScheduledDose(
                    date=date,
                    cycle=_int(event.get("cycle")),
                    day=_int(event.get("day")),
                    given=True,
                    dose_mg_per_m2=_float(event.get("dose_mg_per_m2")),
                )
            )
    return sorted(doses, key=lambda d: (d.date, d.cycle or 0, d.day or 0))


def _planned(plan: Mapping[str, Any] | None) -> list[ScheduledDose]:
    if not plan or plan.get("action") is not None:
        return []
    doses = []
    for item in plan.get("doses") or ():
        date = _date(item.get("date")) if isinstance(item, Mapping) else None
        if date is None:
            continue
        doses.append(
            ScheduledDose(
                date=date,
                cycle=_int(plan.get("cycle")),
                day=_int(item.get("day")),
                given=False,
                dose_mg_per_m2=_float(item.get("dose_mg_per_m2")),
                earliest=_date(item.get("earliest")) or date,
                latest=_date(item.get("latest")) or date,
            )
        )
    return doses


def _rest_of_current_cycle(document: Mapping[str, Any]) -> list[ScheduledDose]:
    """The cycle in progress's days not given, not omitted and still in their window."""
    try:
        doc = parse_course(document)
        state = build_course(doc)
        decision = assess_course(doc)
    except (InputError, ValueError, TypeError, KeyError):
        return []
    started = [n for n, c in state.cycles.items() if c.start is not None]
    if not started:
        return []
    number = max(started)
    cycle = state.cycles[number]
    assert cycle.start is not None
    protocol = load_protocol()
    window = dt.timedelta(days=protocol["schedule.window"].integer("window_days"))
    gap = dt.timedelta(days=protocol["schedule.min_interval"].integer("min_days_between_doses"))
    today = doc.today.date
    previous = max((when for when, _ in cycle.given.values()), default=None)
    rest: list[ScheduledDose] = []
    for day, amount in cycle.regimen.doses:
        if day in cycle.given or day in cycle.omitted:
            continue
        if state.pointer == (number, day):
            earliest, scheduled, latest = state.due_window(number, day)
        else:
            scheduled = cycle.start + dt.timedelta(days=day - 1)
            earliest = scheduled - window if day != 1 else scheduled
            if previous is not None:
                earliest = max(earliest, previous + gap)
            latest = max(scheduled + window if day != 1 else scheduled, earliest)
        if (decision.cycle, decision.day) == (number, day) and decision.action in _DATED:
            # the engine dates this dose: today (give) or when it may be given (delay, hold)
            when = today if decision.action == "give" else (decision.next_dose_date or today)
            rest.append(ScheduledDose(when, number, day, False, amount, when, max(latest, when)))
            previous = when
            continue
        if latest < max(earliest, today):
            continue
        date = min(max(scheduled, earliest, today), latest)
        rest.append(ScheduledDose(date, number, day, False, amount, earliest, latest))
        previous = date
    return rest


def dose_schedule(
    document: Mapping[str, Any], plan: Mapping[str, Any] | None
) -> list[ScheduledDose]:
    """Every dose of the course by date: recorded ones, then those ahead (planned).

    `document` is the contract's course document (a dict); `plan` the `plan` answer or
    None. A document the engine cannot read yields its recorded doses and the plan only.
    """
    recorded = _recorded(document)
    stopped = any(
        isinstance(e, Mapping) and e.get("type") == "discontinued"
        for e in document.get("events") or ()
    )
    if stopped or (plan and plan.get("action") == "discontinue"):
        return recorded
    seen = {d.key for d in recorded}
    ahead: list[ScheduledDose] = []
    for dose in [*_planned(plan), *_rest_of_current_cycle(document)]:
        if dose.key not in seen:
            seen.add(dose.key)
            ahead.append(dose)
    return recorded + sorted(ahead, key=lambda d: (d.date, d.cycle or 0, d.day or 0))
