"""`assess`: the decision for today.date — give, delay, omit, hold, discontinue, complete, none_due.

Order of the checks: course-ending events; cycle limits and the reduction ladder;
whether the next dose is due yet; non-hematologic interruptions; then, for a new
cycle, cytoreduction (cycle 1) or the blood-count gates (cycles 2+).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, replace
from typing import Any

from inocds.clinical.bsa import body_surface_area_m2
from inocds.clinical.course import CourseState, build_course
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.episodes import raw_hepatic_episodes, stops
from inocds.clinical.gates import cytoreduction_gate, heme_gate, interruption_gate
from inocds.clinical.limits import cycle_allowance
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.regimen import CycleRegimen, cycle_regimen
from inocds.protocol.loader import load_protocol

__all__ = ["Decision", "assess_course", "bsa_for", "run_assess"]


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
    """The patient's BSA rounded as the protocol says (dose.bsa)."""
    p = doc.patient
    decimals = load_protocol()["dose.bsa"].integer("bsa_decimals")
    return round(body_surface_area_m2(p.height_cm, p.weight_kg, p.bsa_formula), decimals)


def _dose_mg(amount: float, bsa: float) -> float:
    return round(amount * bsa, load_protocol()["dose.bsa"].integer("dose_decimals"))


def _days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def _gap() -> dt.timedelta:
    return _days(load_protocol()["schedule.min_interval"].integer("min_days_between_doses"))


def _regimen_reason(regimen: CycleRegimen, state: CourseState, day: int | None) -> list[Reason]:
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
        count = len(state.ge14_spans())
        reasons.append(
            cite(
                "reduction.level1",
                f"{count} interruption(s) of 14 days or more: every dose cut by a quarter",
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


def _new_cycle(
    state: CourseState, number: int, bsa: float, warnings: tuple[dict[str, str], ...]
) -> Decision:
    today = state.today
    allowance = cycle_allowance(state, number)
    review = allowance.needs_review
    if allowance.end == "complete":
        return Decision(
            "complete",
            number - 1,
            None,
            None,
            None,
            bsa,
            reasons=allowance.reasons,
            warnings=warnings,
        )
    if allowance.end == "discontinue":
        return Decision(
            "discontinue", number, 1, None, None, bsa, reasons=allowance.reasons, warnings=warnings
        )
    earliest, _, _ = state.due_window(number, 1)
    level = state.level_for(number, max(today, earliest))
    if level is None:
        count = len(state.ge14_spans())
        reason = cite(
            "reduction.not_tolerated",
            f"{count} interruptions of 14 days or more: a further reduction after the two-dose "
            "level is not possible; treatment stops",
        )
        return Decision(
            "discontinue", number, 1, "two_doses", None, bsa, reasons=(reason,), warnings=warnings
        )
    regimen = cycle_regimen(number, state.cr_reached(today), level)
    base = tuple(_regimen_reason(regimen, state, 1)) + allowance.reasons
    common = {
        "cycle": number,
        "day": 1,
        "dose_level": level,
        "cycle_length_days": regimen.length_days,
    }
    if today < earliest:
        return Decision(
            "none_due",
            bsa_m2=bsa,
            next_dose_date=earliest,
            needs_clinician_review=review,
            reasons=base,
            warnings=warnings,
            **common,
        )  # type: ignore[arg-type]
    gates = [interruption_gate(state, number, 1)]
    if number == 1:
        gates.append(cytoreduction_gate(state))
    else:
        gates.append(heme_gate(state, number, earliest))
    blocked = [g for g in gates if not g.passed]
    gate_reasons = tuple(r for g in gates for r in g.reasons)
    review = review or any(g.needs_review for g in gates)
    if blocked:
        action = "delay" if number == 1 else "hold"
        if any(g.discontinue for g in blocked):
            action = "discontinue"
        extra: tuple[Reason, ...] = ()
        if number == 2 and action == "hold":
            c1 = state.cycles.get(1)
            extended = load_protocol()["regimen.cycle1_extension"].integer(
                "extended_cycle_length_days"
            )
            if c1 and c1.start and (today - c1.start).days < extended:
                extra = (
                    cite(
                        "regimen.cycle1_extension",
                        f"cycle 1 (from {c1.start}) may run up to {extended} days to allow recovery",
                    ),
                )
        return Decision(
            action,
            bsa_m2=bsa,
            next_dose_date=None if action == "discontinue" else today + _days(1),
            needs_clinician_review=review,
            reasons=gate_reasons + extra + base,
            warnings=warnings,
            **common,
        )  # type: ignore[arg-type]
    amount = regimen.amount(1)
    give_reasons = (
        base
        + gate_reasons
        + (
            cite(
                "premedication",
                "premedicate before the infusion: corticosteroid, antipyretic, antihistamine",
            ),
        )
    )
    return Decision(
        "give",
        bsa_m2=bsa,
        dose_mg_per_m2=amount,
        dose_mg=_dose_mg(amount, bsa),
        next_dose_date=_next_after_give(state, regimen, today, 1, today),
        needs_clinician_review=review,
        reasons=give_reasons,
        warnings=warnings,
        **common,
    )  # type: ignore[arg-type]


def _within_cycle(
    state: CourseState, number: int, day: int, bsa: float, warnings: tuple[dict[str, str], ...]
) -> Decision:
    p = load_protocol()
    today = state.today
    cycle = state.cycles[number]
    regimen = cycle.regimen
    assert cycle.start is not None
    earliest, scheduled, _ = state.due_window(number, day)
    reasons = _regimen_reason(regimen, state, day)
    common = {
        "cycle": number,
        "day": day,
        "dose_level": regimen.level,
        "cycle_length_days": regimen.length_days,
    }
    omitted = _omitted_today(state)
    if day != 1 and earliest > scheduled - _days(p["schedule.window"].integer("window_days")):
        reasons.append(
            cite(
                "schedule.min_interval",
                f"cycle {number} day {day} not before {earliest}: 6 days after the last dose ({state.last_dose})",
            )
        )
    if today < earliest:
        if omitted:
            return Decision(
                "omit",
                bsa_m2=bsa,
                next_dose_date=earliest,
                reasons=tuple(omitted + reasons),
                warnings=warnings,
                **{**common, "cycle": state.log[-1].cycle, "day": state.log[-1].day},
            )  # type: ignore[arg-type]
        return Decision(
            "none_due",
            bsa_m2=bsa,
            next_dose_date=earliest,
            reasons=tuple(reasons),
            warnings=warnings,
            **common,
        )  # type: ignore[arg-type]
    gate = interruption_gate(state, number, day)
    if not gate.passed:
        next_date = max(today + _days(1), earliest)
        if omitted:
            last = [e for e in state.log if e.kind == "omitted" and e.date == today][-1]
            return Decision(
                "omit",
                bsa_m2=bsa,
                next_dose_date=next_date,
                needs_clinician_review=gate.needs_review,
                reasons=tuple(omitted) + gate.reasons + tuple(reasons),
                warnings=warnings,
                **{**common, "cycle": last.cycle, "day": last.day},
            )  # type: ignore[arg-type]
        action = "delay" if day != 1 else "delay"
        return Decision(
            action,
            bsa_m2=bsa,
            next_dose_date=next_date,
            needs_clinician_review=gate.needs_review,
            reasons=gate.reasons + tuple(reasons),
            warnings=warnings,
            **common,
        )  # type: ignore[arg-type]
    amount = regimen.amount(day)
    extra: list[Reason] = list(omitted)
    resumed = [e for e in state.log if e.kind == "resumed" and e.cycle == number and e.day == day]
    if resumed:
        extra.append(
            cite(
                "interruption.lt7",
                resumed[-1].message + f"; given {(today - scheduled).days} day(s) after day {day}",
            )
        )
    elif day != 1 and today != scheduled:
        extra.append(
            cite(
                "schedule.window",
                f"day {day} was scheduled for {scheduled}; up to 2 days either side is allowed",
            )
        )
    if day != 1:
        anc, plt = _counts(state)
        low = (anc is not None and anc < p["heme.anc_gate"].number("anc_per_mm3")) or (
            plt is not None and plt < p["heme.platelet_gate"].number("platelets_per_mm3")
        )
        if low:
            extra.append(
                cite(
                    "heme.within_cycle",
                    f"ANC {anc:g}/mm3 and platelets {plt:g}/mm3 do not hold a day {day} dose"
                    if anc is not None and plt is not None
                    else f"low counts do not hold a day {day} dose",
                )
            )
    extra.extend(_infusion_reaction_notes(state))
    extra.append(
        cite(
            "premedication",
            "premedicate before the infusion: corticosteroid, antipyretic, antihistamine",
        )
    )
    return Decision(
        "give",
        bsa_m2=bsa,
        dose_mg_per_m2=amount,
        dose_mg=_dose_mg(amount, bsa),
        next_dose_date=_next_after_give(state, regimen, cycle.start, day, today),
        reasons=tuple(reasons + extra),
        warnings=warnings,
        **common,
    )  # type: ignore[arg-type]


def _counts(state: CourseState) -> tuple[float | None, float | None]:
    from inocds.clinical.gates import counts_today

    return counts_today(state)


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


def assess_course(doc: CourseDocument) -> Decision:
    """The decision for today.date."""
    state = build_course(doc)
    bsa = bsa_for(doc)
    warnings = tuple(state.warnings)
    stopped = _stopped(state, bsa)
    if stopped is not None:
        return replace(stopped, warnings=warnings)
    number, day = state.pointer
    cycle = state.cycles.get(number)
    if (
        day == 1
        and (cycle is None or 1 not in cycle.given)
        and (cycle is None or cycle.start is None or number == 1 or True)
    ):
        if cycle is None:
            decision = _new_cycle(state, number, bsa, warnings)
        else:
            decision = _started_day1(state, number, bsa, warnings)
    else:
        decision = _within_cycle(state, number, day, bsa, warnings)
    notes = _hepatic_notes(state)
    if notes:
        decision = replace(decision, reasons=decision.reasons + tuple(notes))
    return decision


def _started_day1(
    state: CourseState, number: int, bsa: float, warnings: tuple[dict[str, str], ...]
) -> Decision:
    """A cycle recorded as started whose day 1 dose is not yet given: same checks as a new cycle."""
    cycle = state.cycles.pop(number)
    try:
        return _new_cycle(state, number, bsa, warnings)
    finally:
        state.cycles[number] = cycle


def run_assess(raw: Any) -> dict[str, Any]:
    """CLI/HTTP entry: validates the course document and answers for today.date."""
    return assess_course(parse_course(raw)).to_dict()
