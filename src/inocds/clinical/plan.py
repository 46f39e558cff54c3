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
from inocds.clinical.limits import cycle_allowance, max_cycles
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.regimen import cycle_regimen
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
        }


def _next_cycle(state: CourseState) -> tuple[int, dt.date]:
    """The cycle to plan and the date its day 1 falls due."""
    gap = dt.timedelta(
        days=load_protocol()["schedule.min_interval"].integer("min_days_between_doses")
    )
    number, day = state.pointer
    current = state.cycles.get(number)
    if day == 1 and (current is None or 1 not in current.given):
        if current is not None and current.start is not None:
            return number, current.start
        due, _, _ = state.due_window(number, 1)
        return number, max(due, state.today)
    # a cycle in progress: the next starts after its length, 6 days after its last planned dose
    assert current is not None and current.start is not None
    last = state.last_dose or current.start
    for d in current.regimen.days:
        if d not in current.given and d not in current.omitted:
            last = max(last, current.start + dt.timedelta(days=d - 1))
    due = max(current.start + dt.timedelta(days=current.regimen.length_days), last + gap)
    return number + 1, max(due, state.today)


def _timing_notes(state: CourseState, number: int, start: dt.date) -> list[Reason]:
    """Why day 1 falls on `start`: 6 days after the last dose, or cycle 1 lengthened."""
    previous = state.cycles.get(number - 1)
    if previous is None or previous.start is None:
        return []
    planned = previous.start + dt.timedelta(days=previous.regimen.length_days)
    notes: list[Reason] = []
    gap = load_protocol()["schedule.min_interval"].integer("min_days_between_doses")
    if state.last_dose and state.last_dose + dt.timedelta(days=gap) > planned:
        notes.append(
            cite(
                "schedule.min_interval",
                f"cycle {number} day 1 not before {state.last_dose + dt.timedelta(days=gap)}: "
                f"6 days after the last dose ({state.last_dose})",
            )
        )
    if number == 2 and start > planned:
        notes.append(
            cite(
                "regimen.cycle1_extension",
                f"cycle 1 (from {previous.start}) runs {(start - previous.start).days} days "
                "before cycle 2",
            )
        )
    return notes


def _agree_with_assess(
    doc: CourseDocument, state: CourseState, number: int, start: dt.date
) -> tuple[dt.date, list[Reason]]:
    """Day 1 never before the next dose `assess` allows (CONTRACT: plan and assess agree).

    A dose of the cycle in progress that `assess` postpones (delay, hold) pushes the
    next cycle to 6 days after the date it may be given; a postponed day 1 of the
    planned cycle moves to that date. The reasons of the postponement come along.
    """
    decision = assess_course(doc, state)
    allowed = decision.next_dose_date
    if allowed is None or decision.action in ("discontinue", "complete"):
        return start, []
    gap = dt.timedelta(
        days=load_protocol()["schedule.min_interval"].integer("min_days_between_doses")
    )
    postponed = decision.action in ("delay", "hold")
    if decision.cycle == number:
        # today's decision is about the planned cycle: given today, or not before `allowed`
        earliest = doc.today.date if decision.action == "give" else allowed
    else:
        earliest = allowed + gap if postponed else allowed
    if earliest <= start:
        return start, []
    why = [r for r in decision.reasons if postponed and r.rule not in ("premedication",)]
    note = cite(
        "schedule.min_interval",
        f"cycle {number} day 1 not before {earliest}: the course engine allows the next dose "
        f"from {allowed}"
        + (f" (cycle {decision.cycle} day {decision.day} postponed)" if postponed else ""),
    )
    return earliest, [note, *why]


def plan_course(doc: CourseDocument, state: CourseState | None = None) -> CyclePlan:
    """The next cycle's plan; `state` is the walked course when the caller has it."""
    p = load_protocol()
    state = build_course(doc) if state is None else state
    bsa = bsa_for(doc)
    found = stops(doc)
    number, start = _next_cycle(state)
    if found:
        ended = tuple(cite(s.rule, s.label) for s in found)
        return CyclePlan("discontinue", number, None, None, None, (), ended, bsa)
    allowance = cycle_allowance(state, number)
    limit = max_cycles(state, considering_third=allowance.needs_review)
    if allowance.end is not None:
        return CyclePlan(allowance.end, number, None, None, limit, (), allowance.reasons, bsa)
    level = state.level_for(number, state.today)  # as known today
    if level is None:
        reason = cite(
            "reduction.not_tolerated",
            "a third interruption of 14 days or more: no further reduction is possible; stop",
        )
        return CyclePlan("discontinue", number, None, None, limit, (), (reason,), bsa)
    regimen = cycle_regimen(number, state.cr_reached(state.today), level)
    start, postponement = _agree_with_assess(doc, state, number, start)
    window = dt.timedelta(days=p["schedule.window"].integer("window_days"))
    gap = dt.timedelta(days=p["schedule.min_interval"].integer("min_days_between_doses"))
    doses: list[PlannedDose] = []
    previous: dt.date | None = None
    reasons: list[Reason] = []
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
    amounts = ", ".join(f"day {d}: {a:g}" for d, a in regimen.doses)
    latest_response = state.latest_response()
    if number == 1:
        reasons.append(cite("regimen.cycle1", f"cycle 1: {amounts} mg/m2 over 21 days"))
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
        reasons.append(cite("regimen.response_latest", f"doses follow the {shown}"))
    if level != "full":
        shown = "; ".join(
            f"{sp.start} to {sp.end or 'ongoing'} ({sp.length_days(state.today)} days)"
            for sp in state.ge14_spans()
        )
        reasons.append(cite("interruption.ge14", f"interruption(s) of 14 days or more: {shown}"))
        reasons.append(cite("reduction.level1", "every dose cut by a quarter (25% less per cycle)"))
        if level == "two_doses":
            reasons.append(cite("reduction.level2", "days 1 and 8 only, at the reduced amounts"))
        reasons.append(cite("reduction.no_reescalation", f"the dose stays at the {level} level"))
    if doc.patient.hsct_planned:
        if not allowance.reasons:
            reasons.append(
                cite(
                    "duration.hsct",
                    f"transplant planned: {limit} cycles recommended "
                    "(a third only if CR/CRi with MRD negativity is not reached)",
                )
            )
    else:
        reasons.append(cite("duration.max_6", f"no transplant planned: at most {limit} cycles"))
    reasons.extend(allowance.reasons)
    reasons.extend(_timing_notes(state, number, start))
    reasons.extend(r for r in postponement if r not in reasons)
    if number == 3 and not state.ever_cr():
        reasons.append(
            cite(
                "duration.no_cr_after_3",
                "without CR or CRi by the end of this cycle, treatment stops",
            )
        )
    if len(regimen.doses) > 1:
        reasons.append(cite("schedule.window", "days 8 and 15 may move by up to 2 days"))
        reasons.append(cite("schedule.min_interval", "at least 6 days between doses"))
    return CyclePlan(
        None,
        number,
        regimen.length_days,
        level,
        limit,
        tuple(doses),
        tuple(reasons),
        bsa,
        needs_clinician_review=allowance.needs_review,
    )


def run_plan(raw: Any) -> dict[str, Any]:
    """CLI/HTTP entry: validates the course document and plans the next cycle."""
    return plan_course(parse_course(raw)).to_dict()
