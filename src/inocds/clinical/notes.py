"""Reasons that explain an `assess` decision without changing it (regimen, timing, notes)."""

from __future__ import annotations

import datetime as dt

from inocds.clinical.course import CourseState, LogEntry
from inocds.clinical.episodes import Stop, raw_hepatic_episodes
from inocds.clinical.gates import counts_today
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.regimen import CycleRegimen
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import gap_days, ge14_days, window_days
from inocds.protocol.loader import load_protocol

__all__ = [
    "cycle1_extension",
    "day1_timing_notes",
    "days",
    "gap",
    "hepatic_notes",
    "infusion_reaction_notes",
    "low_counts_note",
    "omission_reasons",
    "omissions_since_last_dose",
    "omissions_today",
    "omitted_today",
    "past_interruption_notes",
    "premedication_reason",
    "regimen_reasons",
    "stop_reasons",
]


def days(n: int) -> dt.timedelta:
    return dt.timedelta(days=n)


def gap() -> dt.timedelta:
    return days(load_protocol()[ids.SCHEDULE_MIN_INTERVAL].integer("min_days_between_doses"))


def regimen_reasons(regimen: CycleRegimen, state: CourseState) -> list[Reason]:
    reasons: list[Reason] = []
    amounts = ", ".join(f"day {d}: {a:g}" for d, a in regimen.doses)
    base = regimen.rules[0]
    if base == ids.REGIMEN_CYCLE1:
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
        reasons.append(
            cite(
                ids.INTERRUPTION_GE14,
                f"interruption(s) of {ge14_days()} days or more: {shown}",
            )
        )
        reasons.append(
            cite(
                ids.REDUCTION_LEVEL1,
                f"{len(spans)} interruption(s) of {ge14_days()} days or more: "
                "every dose cut by a quarter",
            )
        )
        if regimen.level == "two_doses":
            reasons.append(cite(ids.REDUCTION_LEVEL2, "second reduction: days 1 and 8 only"))
        reasons.append(
            cite(ids.REDUCTION_NO_REESCALATION, f"the dose stays at the {regimen.level} level")
        )
    return reasons


def stop_reasons(found: list[Stop]) -> tuple[Reason, ...]:
    """The reasons of course-ending events (severe liver tests also cite hepatic.vod)."""
    reasons = tuple(cite(s.rule, s.label) for s in found)
    if any(s.rule == ids.HEPATIC_SEVERE_LABS for s in found):
        reasons += (cite(ids.HEPATIC_VOD, "other severe liver toxicity: discontinue permanently"),)
    if found[0].rule != ids.COURSE_DISCONTINUED:
        reasons += (cite(ids.COURSE_DISCONTINUED, "treatment has ended for good"),)
    return reasons


def omitted_today(state: CourseState) -> list[Reason]:
    return [
        cite(entry.rule, entry.message)
        for entry in state.log
        if entry.kind == "omitted" and entry.date == state.today
    ]


def premedication_reason() -> Reason:
    return cite(
        ids.PREMEDICATION,
        "premedicate before the infusion: corticosteroid, antipyretic, antihistamine",
    )


def cycle1_extension(state: CourseState) -> tuple[Reason, ...]:
    c1 = state.cycles.get(1)
    extended = load_protocol()[ids.REGIMEN_CYCLE1_EXTENSION].integer("extended_cycle_length_days")
    if c1 and c1.start and (state.today - c1.start).days < extended:
        return (
            cite(
                ids.REGIMEN_CYCLE1_EXTENSION,
                f"cycle 1 (from {c1.start}) may run up to {extended} days to allow recovery",
            ),
        )
    return ()


def low_counts_note(state: CourseState, day: int) -> list[Reason]:
    p = load_protocol()
    anc, plt = counts_today(state)
    anc_low = anc is not None and anc < p[ids.HEME_ANC_GATE].number("anc_per_mm3")
    plt_low = plt is not None and plt < p[ids.HEME_PLATELET_GATE].number("platelets_per_mm3")
    if not (anc_low or plt_low):
        return []
    shown = " and ".join(
        text
        for text, value in ((f"ANC {anc:g}/mm3", anc), (f"platelets {plt:g}/mm3", plt))
        if value is not None
    )
    return [cite(ids.HEME_WITHIN_CYCLE, f"{shown}: low counts do not hold a day {day} dose")]


def infusion_reaction_notes(state: CourseState) -> list[Reason]:
    severe = load_protocol()[ids.INFUSION_SEVERE].integer("severe_grade")
    notes = []
    for e in state.doc.of_type("toxicity"):
        if (
            e.category == "infusion_reaction"
            and (e.grade or 0) < severe
            and (state.last_dose is None or e.date >= state.last_dose)
        ):
            notes.append(
                cite(
                    ids.INFUSION_REACTION,
                    f"infusion reaction grade {e.grade} on {e.date}: stop the infusion and treat "
                    "it if it recurs; watch closely",
                )
            )
    return notes


def hepatic_notes(state: CourseState) -> list[Reason]:
    doc = state.doc
    if doc.today.liver_abnormality_from_gilbert_or_hemolysis and raw_hepatic_episodes(doc):
        return [
            cite(
                ids.HEPATIC_GILBERT_HEMOLYSIS,
                "liver tests meet the interruption limits but are due to Gilbert syndrome or "
                "hemolysis: no interruption",
            )
        ]
    return []


def omissions_since_last_dose(state: CourseState) -> list[LogEntry]:
    """Doses omitted since the last dose given (they explain which dose is due now)."""
    last = state.last_dose
    return [e for e in state.log if e.kind == "omitted" and (last is None or e.date > last)]


def omission_reasons(entries: list[LogEntry]) -> list[Reason]:
    reasons: list[Reason] = []
    for e in entries:
        reasons.append(cite(e.rule, e.message))
        if e.rule == ids.SCHEDULE_MISSED:
            reasons.append(
                cite(
                    ids.SCHEDULE_WINDOW,
                    f"cycle {e.cycle} day {e.day} may move by {window_days()} days at most",
                )
            )
    return reasons


def day1_timing_notes(state: CourseState, number: int) -> list[Reason]:
    """Why a new cycle's day 1 falls where it does (min interval, cycle 1 extension)."""
    previous = state.cycles.get(number - 1)
    if previous is None or previous.start is None:
        return []
    notes: list[Reason] = []
    planned = previous.start + days(previous.regimen.length_days)
    due, _, _ = state.due_window(number, 1)
    if due > planned:
        notes.append(
            cite(
                ids.SCHEDULE_MIN_INTERVAL,
                f"cycle {number} day 1 not before {due}: {gap_days()} days after the last dose "
                f"({state.last_dose}), later than {planned}",
            )
        )
    if number == 2 and state.today > planned:
        extended = load_protocol()[ids.REGIMEN_CYCLE1_EXTENSION].integer(
            "extended_cycle_length_days"
        )
        notes.append(
            cite(
                ids.REGIMEN_CYCLE1_EXTENSION,
                f"cycle 1 (from {previous.start}) ran {(state.today - previous.start).days} days; "
                f"it may run up to {extended}",
            )
        )
    return notes


def past_interruption_notes(state: CourseState) -> list[Reason]:
    """An interruption of more than 28 days since the last dose: the clinician reviews."""
    limit = load_protocol()[ids.INTERRUPTION_GT28].integer("days")
    notes = []
    for span in state.spans:
        if span.end is not None and (state.last_dose is None or span.end > state.last_dose):
            length = span.length_days(state.today)
            if length > limit:
                notes.append(
                    cite(
                        ids.INTERRUPTION_GT28,
                        f"dosing was interrupted {length} days ({span.start} to {span.end}): "
                        "consider stopping for good — the clinician decides",
                    )
                )
    return notes


def omissions_today(state: CourseState) -> list[LogEntry]:
    """Doses the walk omitted on today.date (interruption.ge7 or schedule.missed)."""
    return [e for e in state.log if e.kind == "omitted" and e.date == state.today]
