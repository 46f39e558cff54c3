"""The dose dates the screen's checks hang on: the doses recorded, the rest of
the cycle in progress and the next cycle as the course engine plans it."""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.clinical.documents import CourseDocument
from inocds.clinical.plan import plan_course
from inocds.clinical.screen.common import Collector, DoseDate

__all__ = ["dose_dates", "planned_doses"]


def _as_date(value: Any) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def planned_doses(doc: CourseDocument) -> list[DoseDate]:
    """The doses of the next cycle as `plan` gives them (its contract JSON form)."""
    plan = plan_course(doc).to_dict()
    cycle = plan.get("cycle")
    planned: list[DoseDate] = []
    for dose in plan.get("doses") or ():
        date = _as_date(dose.get("date"))
        if date is None:
            continue
        day = dose.get("day")
        planned.append(
            DoseDate(
                date=date,
                cycle=cycle if isinstance(cycle, int) else None,
                day=day if isinstance(day, int) else None,
                recorded=False,
            )
        )
    return planned


def _current_cycle_rest(doc: CourseDocument, c: Collector) -> list[DoseDate]:
    """The not-yet-recorded days of the cycle in progress, at their nominal dates.

    The course engine's plan covers the next cycle only; the rest of the current
    one is dated here as cycle start + day - 1, kept while its window is open.
    """
    starts = {e.cycle: e.date for e in doc.of_type("cycle_start") if e.cycle is not None}
    for e in doc.of_type("dose"):
        if e.cycle is not None and e.day == 1:
            starts.setdefault(e.cycle, e.date)
    if not starts:
        return []
    cycle = max(starts)
    start = starts[cycle]
    given = {e.day for e in doc.of_type("dose") if e.cycle == cycle}
    window = dt.timedelta(days=c.rule("schedule.window").integer("window_days"))
    days = [day for day, _ in c.rule("regimen.cycle1").day_doses()]
    rest: list[DoseDate] = []
    for day in days:
        nominal = start + dt.timedelta(days=day - 1)
        if day not in given and nominal + window >= doc.today.date:
            rest.append(DoseDate(nominal, cycle, day, False))
    return rest


def dose_dates(doc: CourseDocument, c: Collector) -> tuple[DoseDate, ...]:
    """Recorded doses, then the rest of the current cycle and the planned next cycle."""
    recorded = [DoseDate(e.date, e.cycle, e.day, True) for e in doc.of_type("dose")]
    if doc.of_type("discontinued"):
        return tuple(recorded)
    known = {(d.cycle, d.day) for d in recorded}
    ahead: list[DoseDate] = []
    for d in [*_current_cycle_rest(doc, c), *planned_doses(doc)]:
        if (d.cycle, d.day) not in known:
            known.add((d.cycle, d.day))
            ahead.append(d)
    if not recorded and not ahead:
        ahead = [DoseDate(doc.today.date, 1, 1, False)]
    first_due = "" if recorded else f" (the first on {min(d.date for d in ahead)})"
    c.add(
        "monitoring.dose_dates",
        f"{len(recorded)} recorded dose(s) and {len(ahead)} ahead{first_due}.",
    )
    return tuple(recorded) + tuple(sorted(ahead, key=lambda d: d.date))
