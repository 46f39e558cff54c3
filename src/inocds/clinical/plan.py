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

from inocds.clinical.assess import assess_course, bsa_for, dose_mg_for
from inocds.clinical.course import CourseState, build_course
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.episodes import stops
from inocds.clinical.notes import stop_reasons
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.regimen import CycleRegimen, cycle_regimen
from inocds.clinical.rules import ids
from inocds.clinical.rules.duration import CycleAllowance, cycle_allowance, max_cycles
from inocds.clinical.rules.history import history_warnings
from inocds.clinical.rules.predose import first_dose_gate
from inocds.clinical.rules.review import REVIEW_RULES, answer_triggers, response_missing_for_stop
from inocds.clinical.rules.text import gap_days, ge14_days, window_days
from inocds.protocol.loader import load_protocol

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

    action: str | None
    cycle: int | None
    cycle_length_days: int | None
    dose_level: str | None
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
    gap = dt.timedelta(
        days=load_protocol()[ids.SCHEDULE_MIN_INTERVAL].integer("min_days_between_doses")
    )
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


def _agree_with_assess(doc: CourseDocument, number: int, start: dt.date) -> dt.date:
    """The plan's day 1 is never before the next dose `assess` allows (CONTRACT v1.1)."""
    decision = assess_course(doc)
    if decision.cycle is None or decision.action in ("discontinue", "complete"):
        return start
    allowed = doc.today.date if decision.action == "give" else decision.next_dose_date
    if allowed is None:
        return start
    if decision.cycle < number:  # a dose of the cycle in progress is still to come
        gap = load_protocol()[ids.SCHEDULE_MIN_INTERVAL].integer("min_days_between_doses")
        return max(start, allowed + dt.timedelta(days=gap))
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
    gap = load_protocol()[ids.SCHEDULE_MIN_INTERVAL].integer("min_days_between_doses")
    if state.last_dose and state.last_dose + dt.timedelta(days=gap) > planned:
        notes.append(
            cite(
                ids.SCHEDULE_MIN_INTERVAL,
                f"cycle {number} day 1 not before {state.last_dose + dt.timedelta(days=gap)}: "
                f"{gap_days()} days after the last dose ({state.last_dose})",
            )
        )
    if number == 2 and start > planned:
        notes.append(
            cite(
                ids.REGIMEN_CYCLE1_EXTENSION,
                f"cycle 1 (from {previous.start}) runs {(start - previous.start).days} days "
                "before cycle 2",
            )
        )
    return notes


def _planned_doses(regimen: CycleRegimen, start: dt.date, bsa: float) -> tuple[PlannedDose, ...]:
    """Each dose on its day, with its window (schedule.window, schedule.min_interval)."""
    p = load_protocol()
    window = dt.timedelta(days=p[ids.SCHEDULE_WINDOW].integer("window_days"))
    gap = dt.timedelta(days=p[ids.SCHEDULE_MIN_INTERVAL].integer("min_days_between_doses"))
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


def _regimen_reasons(state: CourseState, regimen: CycleRegimen) -> list[Reason]:
    """The cycle's schedule, the response it follows and the reduction ladder."""
    number, level = regimen.cycle, regimen.level
    amounts = ", ".join(f"day {d}: {a:g}" for d, a in regimen.doses)
    reasons: list[Reason] = []
    latest_response = state.latest_response()
    if number == 1:
        reasons.append(
            cite(ids.REGIMEN_CYCLE1, f"cycle 1: {amounts} mg/m2 over {regimen.length_days} days")
        )
    else:
        shown = (
            f"latest response {latest_response.status} on {latest_response.date}"
            if latest_response
            else "no response recorded"
        )
        reasons.append(
            cite(
                regimen.rules[0],
                f"cycle {number} ({shown}): {amounts} mg/m2 over {regimen.length_days} days",
            )
        )
        reasons.append(cite(ids.REGIMEN_RESPONSE_LATEST, f"doses follow the {shown}"))
    if level != "full":
        shown = "; ".join(
            f"{sp.start} to {sp.end or 'ongoing'} ({sp.length_days(state.today)} days)"
            for sp in state.ge14_spans()
        )
        reasons.append(
            cite(ids.INTERRUPTION_GE14, f"interruption(s) of {ge14_days()} days or more: {shown}")
        )
        reasons.append(
            cite(ids.REDUCTION_LEVEL1, "every dose cut by a quarter (25% less per cycle)")
        )
        if level == "two_doses":
            reasons.append(cite(ids.REDUCTION_LEVEL2, "days 1 and 8 only, at the reduced amounts"))
        reasons.append(cite(ids.REDUCTION_NO_REESCALATION, f"the dose stays at the {level} level"))
    return reasons


def _duration_reasons(
    state: CourseState, number: int, limit: int, allowance: CycleAllowance
) -> list[Reason]:
    """How many cycles this patient may have, and the stop without CR/CRi ahead."""
    reasons: list[Reason] = []
    if state.doc.patient.hsct_planned:
        if not allowance.reasons:
            reasons.append(
                cite(
                    ids.DURATION_HSCT,
                    f"transplant planned: {limit} cycles recommended "
                    "(a third only if CR/CRi with MRD negativity is not reached)",
                )
            )
    else:
        reasons.append(cite(ids.DURATION_MAX_6, f"no transplant planned: at most {limit} cycles"))
    reasons.extend(allowance.reasons)
    no_cr_limit = load_protocol()[ids.DURATION_NO_CR_AFTER_3].integer("cycles_without_response")
    if number == no_cr_limit and not state.ever_cr():
        reasons.append(
            cite(
                ids.DURATION_NO_CR_AFTER_3,
                "without CR or CRi by the end of this cycle, treatment stops",
            )
        )
    return reasons


def _schedule_reasons(regimen: CycleRegimen) -> list[Reason]:
    if len(regimen.doses) < 2:
        return []
    return [
        cite(ids.SCHEDULE_WINDOW, f"days 8 and 15 may move by up to {window_days()} days"),
        cite(ids.SCHEDULE_MIN_INTERVAL, f"at least {gap_days()} days between doses"),
    ]


def plan_course(doc: CourseDocument) -> CyclePlan:
    """The next cycle's plan for the course document."""
    state = build_course(doc)
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
        reason = cite(
            ids.REDUCTION_NOT_TOLERATED,
            f"a third interruption of {ge14_days()} days or more: "
            "no further reduction is possible; stop",
        )
        return CyclePlan(
            "discontinue", number, None, None, limit, (), (reason,), bsa, warnings=warnings
        )
    start = _agree_with_assess(doc, number, start)
    triggers = answer_triggers(state, number, 1)
    if number == 1:
        triggers += list(first_dose_gate(state).reasons)
    regimen = cycle_regimen(number, state.cr_reached(state.today), level)
    reasons = _regimen_reasons(state, regimen) + _duration_reasons(state, number, limit, allowance)
    reasons += _timing_notes(state, number, start) + _schedule_reasons(regimen) + triggers
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
