"""`assess`: the decision for today.date — give, delay, omit, hold, discontinue, complete, none_due.

Order of the checks: course-ending events; cycle limits and the reduction ladder;
whether the next dose is due yet; non-hematologic interruptions; then, for a new
cycle, cytoreduction (cycle 1) or the blood-count gates (cycles 2+).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from inocds.clinical.course import CourseState, LogEntry, build_course
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.dose import compute_dose, rounded_bsa_m2
from inocds.clinical.episodes import raw_hepatic_episodes, stops
from inocds.clinical.gates import (
    counts_today,
    cytoreduction_gate,
    heme_gate,
    interruption_gate,
)
from inocds.clinical.limits import cycle_allowance
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.regimen import CycleRegimen, cycle_regimen
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


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _gap() -> dt.timedelta:
    return _days(load_protocol()["schedule.min_interval"].integer("min_days_between_doses"))


def _regimen_reason(regimen: CycleRegimen, state: CourseState) -> list[Reason]:
    reasons: list[Reason] = []
    amounts = ", ".join(f"day {d}: {a:g}" for d, a in regimen.doses)
    base = regimen.rules[0]
    if base == "regimen.cycle1":
        text = f"cycle 1: {amounts} mg/m2 over {regimen.length_days} days"
    else:
        latest = state.latest_response()
        shown = f"{latest.status} on {latest.date}" if latest else "no response recorded"
        text = f"cycle {regimen.cycle} ({shown}): {amounts} mg/m2 over {regimen.length_days} days"
    reasons.append(cite(base, text))
    if regimen.level != "full":
        spans = state.ge14_spans()
        shown = "; ".join(
            f"{sp.start} to {sp.end or 'ongoing'} ({sp.length_days(state.today)} days)"
            for sp in spans
        )
        reasons.append(cite("interruption.ge14", f"interruption(s) of 14 days or more: {shown}"))
        reasons.append(
            cite(
                "reduction.level1",
                f"{len(spans)} interruption(s) of 14 days or more: every dose cut by a quarter",
            )
        )
        if regimen.level == "two_doses":
            reasons.append(cite("reduction.level2", "second reduction: days 1 and 8 only"))
        reasons.append(
            cite("reduction.no_reescalation", f"the dose stays at the {regimen.level} level")
        )
    return reasons


def _next_after_give(
    state: CourseState, regimen: CycleRegimen, start: dt.date, day: int, today: dt.date
) -> dt.date | None:
    later = [d for d in regimen.days if d > day]
    window = _days(load_protocol()["schedule.window"].integer("window_days"))
    if later:
        scheduled = start + _days(later[0] - 1)
        return max(scheduled - window, today + _gap())
    if cycle_allowance(state, regimen.cycle + 1).end is not None:
        return None
    return max(start + _days(regimen.length_days), today + _gap())


def _stopped(state: CourseState, bsa: float) -> Decision | None:
    found = stops(state.doc)
    if not found:
        return None
    number, day = state.pointer
    reasons = tuple(cite(s.rule, s.label) for s in found)
    if found[0].rule != "course.discontinued":
        reasons += (cite("course.discontinued", "treatment has ended for good"),)
    return Decision("discontinue", number, day, None, None, bsa, reasons=reasons)


def _omitted_today(state: CourseState) -> list[Reason]:
    return [
        cite(entry.rule, entry.message)
        for entry in state.log
        if entry.kind == "omitted" and entry.date == state.today
    ]


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


def _premedication() -> Reason:
    return cite(
        "premedication",
        "premedicate before the infusion: corticosteroid, antipyretic, antihistamine",
    )


def _not_tolerated(state: CourseState, frame: _Frame) -> Decision:
    count = len(state.ge14_spans())
    reason = cite(
        "reduction.not_tolerated",
        f"{count} interruptions of 14 days or more: a further reduction after the two-dose "
        "level is not possible; treatment stops",
    )
    return frame.decide("discontinue", (reason,), dose_level="two_doses", cycle_length_days=None)


def _cycle1_extension(state: CourseState) -> tuple[Reason, ...]:
    c1 = state.cycles.get(1)
    extended = load_protocol()["regimen.cycle1_extension"].integer("extended_cycle_length_days")
    if c1 and c1.start and (state.today - c1.start).days < extended:
        return (
            cite(
                "regimen.cycle1_extension",
                f"cycle 1 (from {c1.start}) may run up to {extended} days to allow recovery",
            ),
        )
    return ()


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
    base = tuple(_regimen_reason(regimen, state)) + allowance.reasons
    review = allowance.needs_review
    if today < earliest:
        return frame.decide(
            "none_due",
            base + tuple(day1_timing_notes(state, number)),
            next_dose_date=earliest,
            needs_clinician_review=review,
        )
    gates = [interruption_gate(state, number, 1)]
    gates.append(cytoreduction_gate(state) if number == 1 else heme_gate(state, number, earliest))
    gate_reasons = tuple(r for g in gates for r in g.reasons)
    review = review or any(g.needs_review for g in gates)
    blocked = [g for g in gates if not g.passed]
    if blocked:
        if any(g.discontinue for g in blocked):
            return frame.decide("discontinue", gate_reasons + base, needs_clinician_review=review)
        action = "delay" if number == 1 else "hold"
        extra = _cycle1_extension(state) if number == 2 else ()
        return frame.decide(
            action,
            gate_reasons + extra + base,
            next_dose_date=today + _days(1),
            needs_clinician_review=review,
        )
    amount = regimen.amount(1)
    notes = day1_timing_notes(state, number) + _past_interruption_notes(state)
    review = review or any(r.rule == "interruption.gt28" for r in notes)
    notes += _infusion_reaction_notes(state)
    return frame.decide(
        "give",
        base + gate_reasons + tuple(notes) + (_premedication(),),
        dose_mg_per_m2=amount,
        dose_mg=dose_mg_for(amount, frame.bsa_m2),
        next_dose_date=_next_after_give(state, regimen, today, 1, today),
        needs_clinician_review=review,
    )


def _low_counts_note(state: CourseState, day: int) -> list[Reason]:
    p = load_protocol()
    anc, plt = counts_today(state)
    anc_low = anc is not None and anc < p["heme.anc_gate"].number("anc_per_mm3")
    plt_low = plt is not None and plt < p["heme.platelet_gate"].number("platelets_per_mm3")
    if not (anc_low or plt_low):
        return []
    shown = " and ".join(
        text
        for text, value in ((f"ANC {anc:g}/mm3", anc), (f"platelets {plt:g}/mm3", plt))
        if value is not None
    )
    return [cite("heme.within_cycle", f"{shown}: low counts do not hold a day {day} dose")]


def _within_cycle(state: CourseState, number: int, day: int, frame: _Frame) -> Decision:
    """A day 8 or 15 dose (or the day 1 of a started cycle): window, interruptions, give."""
    today = state.today
    cycle = state.cycles[number]
    regimen = cycle.regimen
    assert cycle.start is not None
    frame = replace(frame, dose_level=regimen.level, cycle_length_days=regimen.length_days)
    earliest, scheduled, _ = state.due_window(number, day)
    window = _days(load_protocol()["schedule.window"].integer("window_days"))
    reasons = _regimen_reason(regimen, state)
    if day != 1 and earliest > scheduled - window:
        reasons.append(
            cite(
                "schedule.min_interval",
                f"cycle {number} day {day} not before {earliest}: "
                f"6 days after the last dose ({state.last_dose})",
            )
        )
    omitted = _omission_reasons(_omissions_since_last_dose(state))
    if today < earliest:
        return frame.decide("none_due", tuple(reasons), next_dose_date=earliest)
    gate = interruption_gate(state, number, day)
    if not gate.passed:
        next_date = max(today + _days(1), earliest)
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
            cite("interruption.lt7", f"{resumed[-1].message}; given {late} day(s) after day {day}")
        )
    elif day != 1 and today != scheduled:
        extra.append(
            cite(
                "schedule.window",
                f"day {day} was scheduled for {scheduled}; up to 2 days either side is allowed",
            )
        )
    if day != 1:
        extra.extend(_low_counts_note(state, day))
    past = _past_interruption_notes(state)
    extra.extend(past)
    extra.extend(_infusion_reaction_notes(state))
    extra.append(_premedication())
    return frame.decide(
        "give",
        tuple(reasons + extra),
        needs_clinician_review=any(r.rule == "interruption.gt28" for r in past),
        dose_mg_per_m2=amount,
        dose_mg=dose_mg_for(amount, frame.bsa_m2),
        next_dose_date=_next_after_give(state, regimen, cycle.start, day, today),
    )


def _infusion_reaction_notes(state: CourseState) -> list[Reason]:
    severe = load_protocol()["infusion.severe"].integer("severe_grade")
    notes = []
    for e in state.doc.of_type("toxicity"):
        if (
            e.category == "infusion_reaction"
            and (e.grade or 0) < severe
            and (state.last_dose is None or e.date >= state.last_dose)
        ):
            notes.append(
                cite(
                    "infusion.reaction",
                    f"infusion reaction grade {e.grade} on {e.date}: stop the infusion and treat "
                    "it if it recurs; watch closely",
                )
            )
    return notes


def _hepatic_notes(state: CourseState) -> list[Reason]:
    doc = state.doc
    if doc.today.liver_abnormality_from_gilbert_or_hemolysis and raw_hepatic_episodes(doc):
        return [
            cite(
                "hepatic.gilbert_hemolysis",
                "liver tests meet the interruption limits but are due to Gilbert syndrome or "
                "hemolysis: no interruption",
            )
        ]
    return []


def assess_course(doc: CourseDocument, state: CourseState | None = None) -> Decision:
    """The decision for today.date; `state` is the walked course when the caller has it."""
    state = build_course(doc) if state is None else state
    bsa = bsa_for(doc)
    warnings = tuple(state.warnings)
    stopped = _stopped(state, bsa)
    if stopped is not None:
        return replace(stopped, warnings=warnings)
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
    notes = _hepatic_notes(state)
    if notes:
        decision = replace(decision, reasons=decision.reasons + tuple(notes))
    return decision


def _omissions_since_last_dose(state: CourseState) -> list[LogEntry]:
    """Doses omitted since the last dose given (they explain which dose is due now)."""
    last = state.last_dose
    return [e for e in state.log if e.kind == "omitted" and (last is None or e.date > last)]


def _omission_reasons(entries: list[LogEntry]) -> list[Reason]:
    reasons: list[Reason] = []
    for e in entries:
        reasons.append(cite(e.rule, e.message))
        if e.rule == "schedule.missed":
            reasons.append(
                cite("schedule.window", f"cycle {e.cycle} day {e.day} may move by 2 days at most")
            )
    return reasons


def day1_timing_notes(state: CourseState, number: int) -> list[Reason]:
    """Why a new cycle's day 1 falls where it does (min interval, cycle 1 extension)."""
    previous = state.cycles.get(number - 1)
    if previous is None or previous.start is None:
        return []
    notes: list[Reason] = []
    planned = previous.start + _days(previous.regimen.length_days)
    due, _, _ = state.due_window(number, 1)
    if due > planned:
        notes.append(
            cite(
                "schedule.min_interval",
                f"cycle {number} day 1 not before {due}: 6 days after the last dose "
                f"({state.last_dose}), later than {planned}",
            )
        )
    if number == 2 and state.today > planned:
        extended = load_protocol()["regimen.cycle1_extension"].integer("extended_cycle_length_days")
        notes.append(
            cite(
                "regimen.cycle1_extension",
                f"cycle 1 (from {previous.start}) ran {(state.today - previous.start).days} days; "
                f"it may run up to {extended}",
            )
        )
    return notes


def _past_interruption_notes(state: CourseState) -> list[Reason]:
    """An interruption of more than 28 days since the last dose: the clinician reviews."""
    limit = load_protocol()["interruption.gt28"].integer("days")
    notes = []
    for span in state.spans:
        if span.end is not None and (state.last_dose is None or span.end > state.last_dose):
            length = span.length_days(state.today)
            if length > limit:
                notes.append(
                    cite(
                        "interruption.gt28",
                        f"dosing was interrupted {length} days ({span.start} to {span.end}): "
                        "consider stopping for good — the clinician decides",
                    )
                )
    return notes


def _omissions_today(state: CourseState) -> list[LogEntry]:
    """Doses the walk omitted on today.date (interruption.ge7 or schedule.missed)."""
    return [e for e in state.log if e.kind == "omitted" and e.date == state.today]


def _report_omission(state: CourseState, decision: Decision) -> Decision:
    """When a dose was omitted today and nothing can be given, the answer is that omission."""
    omissions = _omissions_today(state)
    if not omissions or decision.action not in ("none_due", "delay", "hold"):
        return decision
    last = omissions[-1]
    kept = tuple(r for r in decision.reasons if r.rule != "interruption.lt7")
    regimen = state.cycles[last.cycle].regimen
    return replace(
        decision,
        action="omit",
        cycle=last.cycle,
        day=last.day,
        dose_level=regimen.level,
        cycle_length_days=regimen.length_days,
        reasons=tuple(_omission_reasons(omissions)) + kept,
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
