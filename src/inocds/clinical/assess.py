"""`assess`: the decision for today.date — give, delay, omit, hold, discontinue, complete, none_due.

Order of the checks: course-ending events; cycle limits and the reduction ladder;
whether the next dose is due yet; non-hematologic interruptions; then, for a new
cycle, cytoreduction (cycle 1) or the blood-count gates (cycles 2+).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from inocds.clinical.course import CourseState, build_course
from inocds.clinical.course_state import timing
from inocds.clinical.decision import Decision, Frame
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.dose import dose_mg, rounded_bsa_m2
from inocds.clinical.gates import GateResult
from inocds.clinical.notes import day1_timing_notes, days, gap
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.duration import CycleAllowance, cycle_allowance
from inocds.clinical.rules.episodes import gilbert_hemolysis_notes
from inocds.clinical.rules.heme import low_counts_note
from inocds.clinical.rules.history import history_warnings
from inocds.clinical.rules.infusion import infusion_reaction_notes, premedication_reason
from inocds.clinical.rules.interruption import interruption_gate, past_interruption_notes
from inocds.clinical.rules.omissions import (
    omission_reasons,
    omissions_since_last_dose,
    omissions_today,
    timing_reasons,
)
from inocds.clinical.rules.predose import day1_gates, labs_gate
from inocds.clinical.rules.reduction import not_tolerated_reason
from inocds.clinical.rules.regimen import (
    CycleRegimen,
    cycle_regimen,
    extension_while_waiting,
    regimen_reasons,
)
from inocds.clinical.rules.review import REVIEW_RULES, answer_triggers, response_missing_for_stop
from inocds.clinical.rules.schedule import not_before
from inocds.clinical.rules.stops import stop_reasons, stops
from inocds.clinical.types import Action, replaced

__all__ = [
    "Decision",
    "assess_course",
    "bsa_for",
    "day1_timing_notes",
    "dose_mg_for",
    "run_assess",
]


def bsa_for(doc: CourseDocument) -> float:
    """The patient's BSA rounded half up to 2 decimals, as for `dose` (dose.bsa)."""
    p = doc.patient
    return _rounded_bsa(p.height_cm, p.weight_kg, p.bsa_formula)


# Pure decimal arithmetic on a patient's few numbers, asked again on each of their requests.
_rounded_bsa = lru_cache(maxsize=1024, typed=True)(rounded_bsa_m2)


@lru_cache(maxsize=1024, typed=True)
def dose_mg_for(amount_mg_per_m2: float, bsa_m2: float) -> float:
    """mg for a per-m2 amount on the rounded BSA, rounded as `dose` rounds it."""
    return float(dose_mg(bsa_m2, amount_mg_per_m2))


def _next_after_give(
    state: CourseState, regimen: CycleRegimen, start: dt.date, day: int, today: dt.date
) -> dt.date | None:
    for later in regimen.days:
        if later > day:  # the next dose of the cycle
            scheduled = start + days(later - 1)
            return max(scheduled - timing().window, today + gap())
    if cycle_allowance(state, regimen.cycle + 1).end is not None:
        return None
    return max(start + days(regimen.length_days), today + gap())


def _stopped(state: CourseState, bsa: float) -> Decision | None:
    found = stops(state.doc)
    if not found:
        return None
    number, day = state.pointer
    return Decision(
        "discontinue",
        number,
        day,
        None,
        None,
        bsa,
        reasons=stop_reasons(found),
        needs_clinician_review=any(s.needs_review for s in found),
    )


def _not_tolerated(state: CourseState, frame: Frame) -> Decision:
    reason = not_tolerated_reason(len(state.ge14_spans()))
    return frame.decide("discontinue", (reason,), dose_level="two_doses", cycle_length_days=None)


def _reasons_of(regimen: CycleRegimen, state: CourseState) -> list[Reason]:
    """The regimen's reasons as of today (rules.regimen, rules.reduction)."""
    return regimen_reasons(regimen, state.latest_response(), state.ge14_spans(), state.today)


def _course_end(
    state: CourseState, number: int, frame: Frame, allowance: CycleAllowance
) -> Decision | None:
    """The answer when duration.* ends the course before cycle `number` (None: it goes on)."""
    if allowance.end == "complete":
        return frame.decide(
            "complete",
            allowance.reasons,
            cycle=number - 1,
            day=None,
            dose_level=None,
            cycle_length_days=None,
        )
    if allowance.end != "discontinue":
        return None
    earliest, _, _ = state.due_window(number, 1)
    if allowance.waits_for_due_date and state.today < earliest:
        # duration.no_cr_after_3: a response may still be recorded before cycle 4 is due
        return frame.decide(
            "none_due", (), next_dose_date=earliest, dose_level=None, cycle_length_days=None
        )
    return frame.decide("discontinue", allowance.reasons, dose_level=None, cycle_length_days=None)


def _blocked_day1(
    state: CourseState,
    number: int,
    frame: Frame,
    gates: list[GateResult],
    base: tuple[Reason, ...],
) -> Decision | None:
    """A day 1 kept back by a gate: discontinue, or hold / delay to tomorrow (None: all pass)."""
    gate_reasons = tuple(r for g in gates for r in g.reasons)
    review = any(g.needs_review for g in gates)
    blocked = [g for g in gates if not g.passed]
    if not blocked:
        return None
    if any(g.discontinue for g in blocked):
        return frame.decide("discontinue", gate_reasons + base, needs_clinician_review=review)
    # labs.missing holds day 1; the first dose otherwise waits (delay)
    missing = any(r.rule == ids.LABS_MISSING for r in gate_reasons)
    action: Action = "delay" if number == 1 and not missing else "hold"
    extra: tuple[Reason, ...] = ()
    if number == 2:
        c1 = state.cycles.get(1)
        extra = extension_while_waiting(c1.start if c1 else None, state.today)
    return frame.decide(
        action,
        gate_reasons + extra + base,
        next_dose_date=state.today + days(1),
        needs_clinician_review=review,
    )


def _new_cycle(state: CourseState, number: int, frame: Frame) -> Decision:
    """Day 1 of a cycle not yet given: limits, ladder, due date, interruptions, gates."""
    today = state.today
    allowance = cycle_allowance(state, number)
    ended = _course_end(state, number, frame, allowance)
    if ended is not None:
        return ended
    earliest, _, _ = state.due_window(number, 1)
    level = state.level_for(number, today)  # as known today: an open interruption may grow
    if level is None:
        return _not_tolerated(state, frame)
    regimen = cycle_regimen(number, state.cr_reached(today), level)
    frame = frame.at(level, regimen.length_days)
    base = tuple(_reasons_of(regimen, state)) + allowance.reasons
    if today < earliest:
        return frame.decide(
            "none_due",
            base + tuple(day1_timing_notes(state, number)),
            next_dose_date=earliest,
            needs_clinician_review=allowance.needs_review,
        )
    gates = day1_gates(state, number, earliest)
    blocked = _blocked_day1(state, number, frame, gates, base)
    if blocked is not None:
        review = allowance.needs_review or blocked.needs_clinician_review
        return replaced(blocked, needs_clinician_review=review)
    gate_reasons = tuple(r for g in gates for r in g.reasons)
    amount = regimen.amount(1)
    notes = day1_timing_notes(state, number) + past_interruption_notes(state)
    review = allowance.needs_review or any(g.needs_review for g in gates)
    review = review or any(r.rule == ids.INTERRUPTION_GT28 for r in notes)
    notes += infusion_reaction_notes(state)
    return frame.decide(
        "give",
        base + gate_reasons + tuple(notes) + (premedication_reason(),),
        dose_mg_per_m2=amount,
        dose_mg=dose_mg_for(amount, frame.bsa_m2),
        next_dose_date=_next_after_give(state, regimen, today, 1, today),
        needs_clinician_review=review,
    )


def _give_within_cycle(
    state: CourseState,
    number: int,
    day: int,
    frame: Frame,
    reasons: list[Reason],
    scheduled: dt.date,
) -> Decision:
    """The dose of (number, day), scheduled on `scheduled`, given today, with every note
    that goes with it."""
    cycle = state.cycles[number]
    assert cycle.start is not None
    amount = cycle.regimen.amount(day)
    extra = omission_reasons(omissions_since_last_dose(state))
    extra += timing_reasons(state, number, day, scheduled)
    if day != 1:
        extra.extend(low_counts_note(state, day))
    past = past_interruption_notes(state)
    extra.extend(past)
    extra.extend(infusion_reaction_notes(state))
    extra.append(premedication_reason())
    return frame.decide(
        "give",
        tuple(reasons + extra),
        needs_clinician_review=bool(past) and any(r.rule == ids.INTERRUPTION_GT28 for r in past),
        dose_mg_per_m2=amount,
        dose_mg=dose_mg_for(amount, frame.bsa_m2),
        next_dose_date=_next_after_give(state, cycle.regimen, cycle.start, day, state.today),
    )


def _within_cycle(state: CourseState, number: int, day: int, frame: Frame) -> Decision:
    """A day 8 or 15 dose (or the day 1 of a started cycle): window, interruptions, give."""
    today = state.today
    regimen = state.cycles[number].regimen
    frame = frame.at(regimen.level, regimen.length_days)
    earliest, scheduled, _ = state.due_window(number, day)
    reasons = _reasons_of(regimen, state)
    if day != 1 and earliest > scheduled - timing().window:
        reasons.append(not_before(number, day, earliest, state.last_dose))
    if today < earliest:
        return frame.decide("none_due", tuple(reasons), next_dose_date=earliest)
    gate = interruption_gate(state, number, day)
    if gate.passed:
        gate = labs_gate(state, number, day)
    if not gate.passed:
        return frame.decide(
            "delay",
            gate.reasons + tuple(reasons),
            next_dose_date=max(today + days(1), earliest),
            needs_clinician_review=gate.needs_review,
        )
    return _give_within_cycle(state, number, day, frame, reasons, scheduled)


def assess_course(doc: CourseDocument, state: CourseState | None = None) -> Decision:
    """The decision for today.date; `state` is the walked course when the caller has it."""
    state = build_course(doc) if state is None else state
    bsa = bsa_for(doc)
    warnings = tuple(state.warnings)
    stopped = _stopped(state, bsa)
    if stopped is not None:
        return replaced(stopped, warnings=warnings + tuple(history_warnings(state)))
    number, day = state.pointer
    frame = Frame(number, day, None, None, bsa, warnings)
    cycle = state.cycles.get(number)
    if cycle is None:
        decision = _new_cycle(state, number, frame)
    elif day == 1 and 1 not in cycle.given:
        decision = _started_day1(state, number, frame)
    else:
        decision = _within_cycle(state, number, day, frame)
    decision = _report_omission(state, decision)
    notes = gilbert_hemolysis_notes(doc) + _review_notes(state, decision)
    history = history_warnings(state)
    if not notes and not history and decision.warnings is warnings:
        return decision  # nothing to add: the copy below would equal it field for field
    review = decision.needs_clinician_review or (
        bool(notes) and any(r.rule in REVIEW_RULES for r in notes)
    )
    return replaced(
        decision,
        reasons=decision.reasons + tuple(notes),
        needs_clinician_review=review,
        warnings=warnings + tuple(history),
    )


def _review_notes(state: CourseState, decision: Decision) -> list[Reason]:
    """The safety net's review triggers for this answer (rules.review)."""
    if decision.action == "complete":
        return []
    dosing = decision.action != "discontinue"
    notes = answer_triggers(state, decision.cycle, decision.day, dosing)
    if decision.action == "discontinue":
        cited = {r.rule for r in decision.reasons}
        if ids.DURATION_NO_CR_AFTER_3 in cited:
            notes += response_missing_for_stop(state, decision.cycle or 0)
    if not notes:
        return notes
    cited = {r.rule for r in decision.reasons}
    return [r for r in notes if r.rule not in cited]


def _report_omission(state: CourseState, decision: Decision) -> Decision:
    """When a dose was omitted today and nothing can be given, the answer is that omission."""
    omissions = omissions_today(state)
    if not omissions or decision.action not in ("none_due", "delay", "hold"):
        return decision
    last = omissions[-1]
    kept = tuple(r for r in decision.reasons if r.rule != ids.INTERRUPTION_LT7)
    regimen = state.cycles[last.cycle].regimen
    return replaced(
        decision,
        action="omit",
        cycle=last.cycle,
        day=last.day,
        dose_level=regimen.level,
        cycle_length_days=regimen.length_days,
        reasons=tuple(omission_reasons(omissions)) + kept,
    )


def _started_day1(state: CourseState, number: int, frame: Frame) -> Decision:
    """A cycle recorded as started whose day 1 dose is not yet given: checked as a new cycle."""
    cycle = state.cycles.pop(number)
    try:
        return _new_cycle(state, number, frame)
    finally:
        state.cycles[number] = cycle


def run_assess(raw: Any) -> dict[str, Any]:
    """CLI/HTTP entry: validates the course document and answers for today.date."""
    return assess_course(parse_course(raw)).to_dict()
