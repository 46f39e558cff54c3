"""Reasons that explain an `assess` decision about a new cycle's day 1 without changing it."""

from __future__ import annotations

import datetime as dt

from inocds.clinical.course_state import CourseState, offset, timing
from inocds.clinical.reasons import Reason
from inocds.clinical.rules.regimen import extension_ran
from inocds.clinical.rules.schedule import not_before

__all__ = ["day1_timing_notes", "days", "gap"]


def days(n: int) -> dt.timedelta:
    """timedelta(days=n) (the common ones made once: course_state.offset)."""
    return offset(n)


def gap() -> dt.timedelta:
    """schedule.min_interval's days between doses."""
    return timing().gap


def day1_timing_notes(state: CourseState, number: int) -> list[Reason]:
    """Why a new cycle's day 1 falls where it does (min interval, cycle 1 extension)."""
    previous = state.cycles.get(number - 1)
    if previous is None or previous.start is None:
        return []
    notes: list[Reason] = []
    planned = previous.start + days(previous.regimen.length_days)
    due, _, _ = state.due_window(number, 1)
    if due > planned:
        notes.append(not_before(number, 1, due, state.last_dose, planned=planned))
    if number == 2 and state.today > planned:
        notes.append(extension_ran(previous.start, state.today))
    return notes
