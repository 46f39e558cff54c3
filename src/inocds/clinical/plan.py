"""`plan`: the next cycle — length, dose level, doses with dates and windows — or the end.

The next cycle is the one after the cycle in progress; with no dose given yet in the
latest started cycle (or no cycle yet), it is that cycle. Each day 8/15 dose is
planned on its day, no sooner than 2 days before it and 6 days after the previous
planned dose, and no later than 2 days after it (schedule.window, schedule.min_interval).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from inocds.clinical.assess import Decision, assess_course, bsa_for, dose_mg_for
from inocds.clinical.course import CourseState, build_course
from inocds.clinical.course_state import timing
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.reasons import Reason
from inocds.clinical.rules.duration import cycle_allowance, duration_plan_reasons, max_cycles
from inocds.clinical.rules.history import history_warnings
from inocds.clinical.rules.predose import first_dose_gate
from inocds.clinical.rules.reduction import not_tolerated_reason
from inocds.clinical.rules.regimen import (
    CycleRegimen,
    cycle_regimen,
    extension_planned,
    regimen_reasons,
)
from inocds.clinical.rules.review import REVIEW_RULES, answer_triggers, response_missing_for_stop
from inocds.clinical.rules.schedule import not_before, schedule_plan_reasons
from inocds.clinical.rules.stops import stop_reasons, stops
from inocds.clinical.types import CourseEnd, DoseLevel

__all__ = ["CyclePlan", "PlannedDose", "plan_course", "run_plan"]


@dataclass(frozen=True)
class PlannedDose:
    """One planned dose with its window."""

    day: int
    dose_mg_per_m2: float
    dose_mg: float
    date: dt.date
    earliest: dt.date
    latest: dt.date

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "day": self.day,
            "dose_mg_per_m2": self.dose_mg_per_m2,
            "dose_mg": self.dose_mg,
            "date": self.date.isoformat(),
            "earliest": self.earliest.isoformat(),
            "latest": self.latest.isoformat(),
        }


@dataclass(frozen=True)
class CyclePlan:
    """The plan of the next cycle, or `action` discontinue/complete with no doses."""

    action: CourseEnd | None
    cycle: int | None
    cycle_length_days: int | None
    dose_level: DoseLevel | None
    max_cycles: int | None
    doses: tuple[PlannedDose, ...]
    reasons: tuple[Reason, ...]
    bsa_m2: float
    needs_clinician_review: bool = False
    warnings: tuple[dict[str, str], ...] = ()

    @property
    def total_mg_per_m2(self) -> float:
        """Sum of the planned doses."""
        return round(sum(d.dose_mg_per_m2 for d in self.doses), 4)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON answer."""
        if self.action is not None:
            return {
                "action": self.action,
                "cycle": self.cycle,
                "max_cycles": self.max_cycles,
                "needs_clinician_review": self.needs_clinician_review,
                "doses": [],
                "reasons": [r.to_dict() for r in self.reasons],
                "warnings": list(self.warnings),
            }
        return {
            "cycle": self.cycle,
            "cycle_length_days": self.cycle_length_days,
            "dose_level": self.dose_level,
            "max_cycles": self.max_cycles,
            "bsa_m2": self.bsa_m2,
            "doses": [d.to_dict() for d in self.doses],
            "total_mg_per_m2": self.total_mg_per_m2,
            "needs_clinician_review": self.needs_clinician_review,
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": list(self.warnings),
        }


def _next_cycle(state: CourseState) -> tuple[int, dt.date]:
    """The cycle to plan and the date its day 1 falls due."""
    gap = timing().gap
    number, day = state.pointer
    current = state.cycles.get(number)
    if day == 1 and (current is None or 1 not in current.given):
        if current is not None and current.start is not None:
            return number, current.start
        due, _, _ = state.due_window(number, 1)
        return number, max(due, state.today)
    # a cycle in progress: the next starts after its length, 6 days after its last planned
    # dose; a pending dose not given yet falls no sooner than today (it may still be delayed)
    assert current is not None and current.start is not None
    last = state.last_dose or current.start
    for d in current.regimen.days:
        if d not in current.given and d not in current.omitted:
            scheduled = current.start + dt.timedelta(days=d - 1)
            last = max(scheduled, last + gap, state.today)
    due = max(current.start + dt.timedelta(days=current.regimen.length_days), last + gap)
    return number + 1, max(due, state.today)


def _agree_with_assess(
    decision: Decision, doc: CourseDocument, number: int, start: dt.date
) -> dt.date:
    """The plan's day 1 is never before the next dose `assess` allows (CONTRACT v1.1)."""
    if decision.cycle is None or decision.action in ("discontinue", "complete"):
        return start
    allowed = doc.today.date if decision.action == "give" else decision.next_dose_date
    if allowed is None:
        return start
    if decision.cycle < number:  # a dose of the cycle in progress is still to come
        return max(start, allowed + timing().gap)
    if decision.cycle == number and decision.day == 1:
        return max(start, allowed)
    return start


def _timing_notes(state: CourseState, number: int, start: dt.date) -> list[Reason]:
    """Why day 1 falls on `start`: 6 days after the last dose, or cycle 1 lengthened."""
    previous = state.cycles.get(number - 1)
    if previous is None or previous.start is None:
        return []
    planned = previous.start + dt.timedelta(days=previous.regimen.length_days)
    notes: list[Reason] = []
    last = state.last_dose
    if last and last + timing().gap > planned:
        notes.append(not_before(number, 1, last + timing().gap, last))
    if number == 2 and start > planned:
        notes.append(extension_planned(previous.start, start))
    return notes


def _planned_doses(regimen: CycleRegimen, start: dt.date, bsa: float) -> tuple[PlannedDose, ...]:
    """Each dose on its day, with its window (schedule.window, schedule.min_interval)."""
    window, gap = timing().window, timing().gap
    doses: list[PlannedDose] = []
    previous: dt.date | None = None
    for day, amount in regimen.doses:
        scheduled = start + dt.timedelta(days=day - 1)
        if day == 1:
            earliest = latest = scheduled
        else:
            earliest = scheduled - window
            if previous is not None and previous + gap > earliest:
                earliest = previous + gap
            latest = max(scheduled + window, earliest)
        doses.append(
            PlannedDose(day, amount, dose_mg_for(amount, bsa), scheduled, earliest, latest)
        )
        previous = scheduled
    return tuple(doses)


def plan_course(
    doc: CourseDocument, state: CourseState | None = None, decision: Decision | None = None
) -> CyclePlan:
    """The next cycle's plan; `state` is the walked course and `decision` its assessment
    when the caller has them (the plan never starts before the dose assess allows)."""
    state = build_course(doc) if state is None else state
    bsa = bsa_for(doc)
    found = stops(doc)
    number, start = _next_cycle(state)
    warnings = tuple(state.warnings) + tuple(history_warnings(state))
    if found:
        ended = stop_reasons(found)
        review = any(s.needs_review for s in found)
        return CyclePlan("discontinue", number, None, None, None, (), ended, bsa, review, warnings)
    allowance = cycle_allowance(state, number)
    limit = max_cycles(state, considering_third=allowance.needs_review)
    if allowance.end is not None:
        ended = allowance.reasons
        if allowance.end == "discontinue":
            ended += tuple(response_missing_for_stop(state, number))
        review = any(r.rule in REVIEW_RULES for r in ended)
        return CyclePlan(allowance.end, number, None, None, limit, (), ended, bsa, review, warnings)
    level = state.level_for(number, state.today)  # as known today
    if level is None:
        reason = not_tolerated_reason(len(state.ge14_spans()))
        return CyclePlan(
            "discontinue", number, None, None, limit, (), (reason,), bsa, warnings=warnings
        )
    decision = assess_course(doc, state) if decision is None else decision
    start = _agree_with_assess(decision, doc, number, start)
    triggers = answer_triggers(state, number, 1)
    if number == 1:
        triggers += list(first_dose_gate(state).reasons)
    regimen = cycle_regimen(number, state.cr_reached(state.today), level)
    reasons = regimen_reasons(
        regimen, state.latest_response(), state.ge14_spans(), state.today, cite_latest=True
    )
    reasons += duration_plan_reasons(state, number, allowance)
    reasons += _timing_notes(state, number, start) + schedule_plan_reasons(regimen) + triggers
    return CyclePlan(
        None,
        number,
        regimen.length_days,
        level,
        limit,
        _planned_doses(regimen, start, bsa),
        tuple(reasons),
        bsa,
        needs_clinician_review=allowance.needs_review or bool(triggers),
        warnings=warnings,
    )


def run_plan(raw: Any) -> dict[str, Any]:
    """CLI/HTTP entry: validates the course document and plans the next cycle."""
    return plan_course(parse_course(raw)).to_dict()
