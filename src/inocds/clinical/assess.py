"""`assess`: the decision for today.date — give, delay, omit, hold, discontinue, complete, none_due.

Order of the checks: course-ending events; cycle limits and the reduction ladder;
whether the next dose is due yet; non-hematologic interruptions; then, for a new
cycle, cytoreduction (cycle 1) or the blood-count gates (cycles 2+).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from inocds.clinical.course import CourseState, build_course
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.dose import compute_dose, rounded_bsa_m2
from inocds.clinical.episodes import stops
from inocds.clinical.gates import GateResult, counts_today
from inocds.clinical.notes import (
    cycle1_extension,
    day1_timing_notes,
    days,
    gap,
    hepatic_notes,
    infusion_reaction_notes,
    low_counts_note,
    omission_reasons,
    omissions_since_last_dose,
    omissions_today,
    past_interruption_notes,
    premedication_reason,
    regimen_reasons,
    stop_reasons,
)
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.regimen import CycleRegimen, cycle_regimen
from inocds.clinical.rules import ids
from inocds.clinical.rules.cytoreduction import cytoreduction_gate
from inocds.clinical.rules.duration import cycle_allowance
from inocds.clinical.rules.heme import heme_gate
from inocds.clinical.rules.history import history_warnings
from inocds.clinical.rules.interruption import interruption_gate
from inocds.clinical.rules.predose import first_dose_gate, labs_gate
from inocds.clinical.rules.review import REVIEW_RULES, answer_triggers, response_missing_for_stop
from inocds.clinical.rules.text import gap_days, ge14_days, window_days
from inocds.protocol.loader import load_protocol

__all__ = [
    "Decision",
    "assess_course",
    "bsa_for",
    "day1_timing_notes",
    "dose_mg_for",
    "run_assess",
]


@dataclass(frozen=True)
class Decision:
    """The answer of `assess` (CONTRACT.md)."""

    action: str
    cycle: int | None
    day: int | None
    dose_level: str | None
    cycle_length_days: int | None
    bsa_m2: float
    dose_mg_per_m2: float | None = None
    dose_mg: float | None = None
    next_dose_date: dt.date | None = None
    needs_clinician_review: bool = False
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[dict[str, str], ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON answer."""
        return {
            "action": self.action,
            "cycle": self.cycle,
            "day": self.day,
            "dose_mg_per_m2": self.dose_mg_per_m2,
            "dose_mg": self.dose_mg,
            "dose_level": self.dose_level,
            "cycle_length_days": self.cycle_length_days,
            "next_dose_date": self.next_dose_date.isoformat() if self.next_dose_date else None,
            "needs_clinician_review": self.needs_clinician_review,
            "bsa_m2": self.bsa_m2,
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": list(self.warnings),
        }


def bsa_for(doc: CourseDocument) -> float:
    """The patient's BSA rounded half up to 2 decimals, as for `dose` (dose.bsa)."""
    p = doc.patient
    return rounded_bsa_m2(p.height_cm, p.weight_kg, p.bsa_formula)


def dose_mg_for(amount_mg_per_m2: float, bsa_m2: float) -> float:
    """mg for a per-m2 amount on the rounded BSA, rounded as `dose` rounds it."""
    return compute_dose(bsa_m2, amount_mg_per_m2).dose_mg


def _next_after_give(
    state: CourseState, regimen: CycleRegimen, start: dt.date, day: int, today: dt.date
) -> dt.date | None:
    later = [d for d in regimen.days if d > day]
    window = days(load_protocol()[ids.SCHEDULE_WINDOW].integer("window_days"))
    if later:
        scheduled = start + days(later[0] - 1)
        return max(scheduled - window, today + gap())
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


@dataclass(frozen=True)
class _Frame:
    """What every answer about one slot shares: the slot, its level and cycle length."""

    cycle: int
    day: int
    dose_level: str | None
    cycle_length_days: int | None
    bsa_m2: float
    warnings: tuple[dict[str, str], ...]

    def decide(self, action: str, reasons: tuple[Reason, ...], **fields: Any) -> Decision:
        """A Decision about this slot (fields override cycle/day and add the rest)."""
        values: dict[str, Any] = {
            "cycle": self.cycle,
            "day": self.day,
            "dose_level": self.dose_level,
            "cycle_length_days": self.cycle_length_days,
        }
        values.update(fields)
        return Decision(
            action=action,
            bsa_m2=self.bsa_m2,
            reasons=reasons,
            warnings=self.warnings,
            **values,
        )


def _not_tolerated(state: CourseState, frame: _Frame) -> Decision:
    count = len(state.ge14_spans())
    reason = cite(
        ids.REDUCTION_NOT_TOLERATED,
        f"{count} interruptions of {ge14_days()} days or more: a further reduction after "
        "the two-dose level is not possible; treatment stops",
    )
    return frame.decide("discontinue", (reason,), dose_level="two_doses", cycle_length_days=None)


def _day1_gates(state: CourseState, number: int, due: dt.date) -> list[GateResult]:
    """The gates of a day 1: interruptions; the first dose's own; labs; the count gates."""
    gates = [interruption_gate(state, number, 1)]
    if number == 1:
        gates += [first_dose_gate(state), cytoreduction_gate(state)]
    gates.append(labs_gate(state, number, 1))
    if number > 1 and None not in counts_today(state):  # the gate needs the day's counts
        gates.append(heme_gate(state, number, due))
    return gates


def _new_cycle(state: CourseState, number: int, frame: _Frame) -> Decision:
    """Day 1 of a cycle not yet given: limits, ladder, due date, interruptions, gates."""
    today = state.today
    allowance = cycle_allowance(state, number)
    if allowance.end == "complete":
        return frame.decide(
            "complete",
            allowance.reasons,
            cycle=number - 1,
            day=None,
            dose_level=None,
            cycle_length_days=None,
        )
    earliest, _, _ = state.due_window(number, 1)
    if allowance.end == "discontinue":
        if allowance.waits_for_due_date and today < earliest:
            # duration.no_cr_after_3: a response may still be recorded before cycle 4 is due
            return frame.decide(
                "none_due", (), next_dose_date=earliest, dose_level=None, cycle_length_days=None
            )
        return frame.decide(
            "discontinue", allowance.reasons, dose_level=None, cycle_length_days=None
        )
    level = state.level_for(number, today)  # as known today: an open interruption may grow
    if level is None:
        return _not_tolerated(state, frame)
    regimen = cycle_regimen(number, state.cr_reached(today), level)
    frame = replace(frame, dose_level=level, cycle_length_days=regimen.length_days)
    base = tuple(regimen_reasons(regimen, state)) + allowance.reasons
    review = allowance.needs_review
    if today < earliest:
        return frame.decide(
            "none_due",
            base + tuple(day1_timing_notes(state, number)),
            next_dose_date=earliest,
            needs_clinician_review=review,
        )
    gates = _day1_gates(state, number, earliest)
    gate_reasons = tuple(r for g in gates for r in g.reasons)
    review = review or any(g.needs_review for g in gates)
    blocked = [g for g in gates if not g.passed]
    if blocked:
        if any(g.discontinue for g in blocked):
            return frame.decide("discontinue", gate_reasons + base, needs_clinician_review=review)
        # labs.missing holds day 1; the first dose otherwise waits (delay)
        missing = any(r.rule == ids.LABS_MISSING for r in gate_reasons)
        action = "delay" if number == 1 and not missing else "hold"
        extra = cycle1_extension(state) if number == 2 else ()
        return frame.decide(
            action,
            gate_reasons + extra + base,
            next_dose_date=today + days(1),
            needs_clinician_review=review,
        )
    amount = regimen.amount(1)
    notes = day1_timing_notes(state, number) + past_interruption_notes(state)
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


def _within_cycle(state: CourseState, number: int, day: int, frame: _Frame) -> Decision:
    """A day 8 or 15 dose (or the day 1 of a started cycle): window, interruptions, give."""
    today = state.today
    cycle = state.cycles[number]
    regimen = cycle.regimen
    assert cycle.start is not None
    frame = replace(frame, dose_level=regimen.level, cycle_length_days=regimen.length_days)
    earliest, scheduled, _ = state.due_window(number, day)
    window = days(load_protocol()[ids.SCHEDULE_WINDOW].integer("window_days"))
    reasons = regimen_reasons(regimen, state)
    if day != 1 and earliest > scheduled - window:
        reasons.append(
            cite(
                ids.SCHEDULE_MIN_INTERVAL,
                f"cycle {number} day {day} not before {earliest}: "
                f"{gap_days()} days after the last dose ({state.last_dose})",
            )
        )
    omitted = omission_reasons(omissions_since_last_dose(state))
    if today < earliest:
        return frame.decide("none_due", tuple(reasons), next_dose_date=earliest)
    gate = interruption_gate(state, number, day)
    if gate.passed:
        gate = labs_gate(state, number, day)
    if not gate.passed:
        next_date = max(today + days(1), earliest)
        return frame.decide(
            "delay",
            gate.reasons + tuple(reasons),
            next_dose_date=next_date,
            needs_clinician_review=gate.needs_review,
        )
    amount = regimen.amount(day)
    extra: list[Reason] = list(omitted)
    resumed = [e for e in state.log if e.kind == "resumed" and (e.cycle, e.day) == (number, day)]
    if resumed:
        late = (today - scheduled).days
        extra.append(
            cite(
                ids.INTERRUPTION_LT7, f"{resumed[-1].message}; given {late} day(s) after day {day}"
            )
        )
    elif day != 1 and today != scheduled:
        extra.append(
            cite(
                ids.SCHEDULE_WINDOW,
                f"day {day} was scheduled for {scheduled}; "
                f"up to {window_days()} days either side is allowed",
            )
        )
    if day != 1:
        extra.extend(low_counts_note(state, day))
    past = past_interruption_notes(state)
    extra.extend(past)
    extra.extend(infusion_reaction_notes(state))
    extra.append(premedication_reason())
    return frame.decide(
        "give",
        tuple(reasons + extra),
        needs_clinician_review=any(r.rule == ids.INTERRUPTION_GT28 for r in past),
        dose_mg_per_m2=amount,
        dose_mg=dose_mg_for(amount, frame.bsa_m2),
        next_dose_date=_next_after_give(state, regimen, cycle.start, day, today),
    )


def assess_course(doc: CourseDocument, state: CourseState | None = None) -> Decision:
    """The decision for today.date; `state` is the walked course when the caller has it."""
    state = build_course(doc) if state is None else state
    bsa = bsa_for(doc)
    warnings = tuple(state.warnings)
    stopped = _stopped(state, bsa)
    if stopped is not None:
        return replace(stopped, warnings=warnings + tuple(history_warnings(state)))
    number, day = state.pointer
    frame = _Frame(number, day, None, None, bsa, warnings)
    cycle = state.cycles.get(number)
    if cycle is None:
        decision = _new_cycle(state, number, frame)
    elif day == 1 and 1 not in cycle.given:
        decision = _started_day1(state, number, frame)
    else:
        decision = _within_cycle(state, number, day, frame)
    decision = _report_omission(state, decision)
    notes = hepatic_notes(state) + _review_notes(state, decision)
    review = decision.needs_clinician_review or any(r.rule in REVIEW_RULES for r in notes)
    return replace(
        decision,
        reasons=decision.reasons + tuple(notes),
        needs_clinician_review=review,
        warnings=warnings + tuple(history_warnings(state)),
    )


def _review_notes(state: CourseState, decision: Decision) -> list[Reason]:
    """The safety net's review triggers for this answer (rules.review)."""
    if decision.action == "complete":
        return []
    cited = {r.rule for r in decision.reasons}
    dosing = decision.action != "discontinue"
    notes = answer_triggers(state, decision.cycle, decision.day, dosing)
    if decision.action == "discontinue" and ids.DURATION_NO_CR_AFTER_3 in cited:
        notes += response_missing_for_stop(state, decision.cycle or 0)
    return [r for r in notes if r.rule not in cited]


def _report_omission(state: CourseState, decision: Decision) -> Decision:
    """When a dose was omitted today and nothing can be given, the answer is that omission."""
    omissions = omissions_today(state)
    if not omissions or decision.action not in ("none_due", "delay", "hold"):
        return decision
    last = omissions[-1]
    kept = tuple(r for r in decision.reasons if r.rule != ids.INTERRUPTION_LT7)
    regimen = state.cycles[last.cycle].regimen
    return replace(
        decision,
        action="omit",
        cycle=last.cycle,
        day=last.day,
        dose_level=regimen.level,
        cycle_length_days=regimen.length_days,
        reasons=tuple(omission_reasons(omissions)) + kept,
    )


def _started_day1(state: CourseState, number: int, frame: _Frame) -> Decision:
    """A cycle recorded as started whose day 1 dose is not yet given: checked as a new cycle."""
    cycle = state.cycles.pop(number)
    try:
        return _new_cycle(state, number, frame)
    finally:
        state.cycles[number] = cycle


def run_assess(raw: Any) -> dict[str, Any]:
    """CLI/HTTP entry: validates the course document and answers for today.date."""
    return assess_course(parse_course(raw)).to_dict()
