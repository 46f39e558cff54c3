"""The dose schedule's reasons (schedule.window, schedule.min_interval): when a dose may move.

The numbers themselves reach the walk through `course_state.timing()`; this module
says why a dose falls where it does.
"""

from __future__ import annotations

import datetime as dt

from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.regimen import CycleRegimen
from inocds.clinical.rules.text import listed, say

__all__ = ["moved_in_window", "not_before", "schedule_plan_reasons"]


def not_before(
    cycle: int,
    day: int,
    date: dt.date,
    last: dt.date | None,
    planned: dt.date | None = None,
) -> Reason:
    """schedule.min_interval: the dose waits for the gap after the last dose (`planned`:
    the date it would otherwise have had)."""
    if planned is None:
        return say(
            ids.SCHEDULE_MIN_INTERVAL, "not_before", cycle=cycle, day=day, date=date, last=last
        )
    return say(
        ids.SCHEDULE_MIN_INTERVAL,
        "later",
        cycle=cycle,
        day=day,
        date=date,
        last=last,
        planned=planned,
    )


def moved_in_window(day: int, scheduled: dt.date) -> Reason:
    """schedule.window: a day 8/15 dose given off its day, within the window."""
    return say(ids.SCHEDULE_WINDOW, "moved", day=day, scheduled=scheduled)


def schedule_plan_reasons(regimen: CycleRegimen) -> list[Reason]:
    """The window of the doses after day 1 and the gap between doses, for a plan."""
    later = [d for d in regimen.days if d != 1]
    if not later:
        return []
    return [
        say(
            ids.SCHEDULE_WINDOW,
            "plan",
            doses=("day " if len(later) == 1 else "days ") + listed(later),
        ),
        say(ids.SCHEDULE_MIN_INTERVAL, "plan"),
    ]
