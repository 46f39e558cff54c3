"""Doses the course walk omits (interruption.ge7, schedule.missed) and how they are told.

- interruption.ge7: a day 8/15 dose interrupted for the omission length is skipped;
- schedule.missed: a day 8/15 dose not given by the end of its window, or left behind
  by a later dose or cycle, is counted as omitted;
- interruption.lt7: a shorter interruption delays the dose (the walk logs the resumption).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from inocds.clinical.course_state import CourseState, LogEntry
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids
from inocds.clinical.rules.schedule import moved_in_window
from inocds.clinical.rules.text import render, say
from inocds.protocol.loader import load_protocol

__all__ = [
    "interruption_omits",
    "missed_after_window",
    "missed_before_cycle",
    "missed_before_day",
    "omission_reasons",
    "omissions_since_last_dose",
    "omissions_today",
    "omitted_from",
    "omitted_interrupted",
    "omitted_recovered",
    "resumed",
    "resumed_reason",
    "timing_reasons",
]


@lru_cache(maxsize=1)
def _omit_after_days() -> int:
    return load_protocol()[ids.INTERRUPTION_GE7].integer("days")


def interruption_omits(slot_day: int, length: int) -> bool:
    """interruption.ge7: an interruption of `length` days skips a day 8/15 dose."""
    return slot_day != 1 and length >= _omit_after_days()


def omitted_from(slot_day: int, since: dt.date) -> dt.date | None:
    """The first day on which an interruption from `since` omits the slot (interruption_omits);
    None for a day 1, which waits however long (or past the last date there is)."""
    if slot_day == 1:
        return None
    try:
        return since + dt.timedelta(days=_omit_after_days())
    except OverflowError:
        return None


def omitted_interrupted(cycle: int, day: int, length: int, since: dt.date, cause: str) -> str:
    """The walk's note of a dose omitted while the interruption goes on."""
    return render(
        ids.INTERRUPTION_GE7,
        "ongoing",
        cycle=cycle,
        day=day,
        length=length,
        since=since,
        cause=cause,
    )


def omitted_recovered(cycle: int, day: int, length: int, since: dt.date, on: dt.date) -> str:
    """The walk's note of a dose omitted by an interruption that ended on `on`."""
    return render(
        ids.INTERRUPTION_GE7,
        "recovered",
        cycle=cycle,
        day=day,
        length=length,
        since=since,
        date=on,
    )


def resumed(cycle: int, day: int, length: int, since: dt.date) -> str:
    """The walk's note of a dose that may be given again after a shorter interruption."""
    return render(ids.INTERRUPTION_LT7, "resumed", cycle=cycle, day=day, length=length, since=since)


def resumed_reason(note: str, day: int, late: int) -> Reason:
    """interruption.lt7 on the day a delayed dose is given."""
    return say(ids.INTERRUPTION_LT7, "given", resumed=note, late=late, day=day)


def missed_after_window(cycle: int, day: int, latest: dt.date) -> str:
    """schedule.missed: not given by the end of its window."""
    return render(ids.SCHEDULE_MISSED, "window", cycle=cycle, day=day, latest=latest)


def missed_before_cycle(cycle: int, day: int, next_cycle: int) -> str:
    """schedule.missed (history): a later cycle began first."""
    return render(ids.SCHEDULE_MISSED, "next_cycle", cycle=cycle, day=day, next=next_cycle)


def missed_before_day(cycle: int, day: int, later: int) -> str:
    """schedule.missed (history): a later dose of the cycle was given first."""
    return render(ids.SCHEDULE_MISSED, "later_day", cycle=cycle, day=day, later=later)


def omissions_since_last_dose(state: CourseState) -> list[LogEntry]:
    """Doses omitted since the last dose given (they explain which dose is due now)."""
    last = state.last_dose
    return [e for e in state.log if e.kind == "omitted" and (last is None or e.date > last)]


def omissions_today(state: CourseState) -> list[LogEntry]:
    """Doses the walk omitted on today.date (interruption.ge7 or schedule.missed)."""
    return [e for e in state.log if e.kind == "omitted" and e.date == state.today]


def omission_reasons(entries: list[LogEntry]) -> list[Reason]:
    """Each omission's reason; a missed dose also cites the window it outlived."""
    reasons: list[Reason] = []
    for e in entries:
        reasons.append(cite(e.rule, e.message))
        if e.rule == ids.SCHEDULE_MISSED:
            reasons.append(say(ids.SCHEDULE_WINDOW, "missed", cycle=e.cycle, day=e.day))
    return reasons


def timing_reasons(state: CourseState, number: int, day: int, scheduled: dt.date) -> list[Reason]:
    """How today's dose sits in its schedule: given late after an interruption shorter than
    interruption.ge7's (interruption.lt7), or moved within its window (schedule.window)."""
    for e in reversed(state.log):  # the latest resumption of this dose, if any
        if e.kind == "resumed" and e.cycle == number and e.day == day:
            return [resumed_reason(e.message, day, (state.today - scheduled).days)]
    if day != 1 and state.today != scheduled:
        return [moved_in_window(day, scheduled)]
    return []
