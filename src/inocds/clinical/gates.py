"""Checks before a dose: interruptions, cytoreduction (the count gates: clinical.rules.heme)."""

from __future__ import annotations

from dataclasses import dataclass

from inocds.clinical.course import CourseState
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import gap_days
from inocds.protocol.loader import load_protocol

__all__ = ["GateResult", "counts_today", "cytoreduction_gate", "interruption_gate"]


@dataclass(frozen=True)
class GateResult:
    """Whether a gate lets the dose through, the reasons it adds, and its review flag."""

    passed: bool
    reasons: tuple[Reason, ...] = ()
    needs_review: bool = False
    discontinue: bool = False


def counts_today(state: CourseState) -> tuple[float | None, float | None]:
    """Today's ANC and platelets: today's labs, else a labs or cycle_start event dated today."""
    today = state.doc.today
    anc, plt = today.labs.anc_per_mm3, today.labs.platelets_per_mm3
    for e in reversed(state.doc.events):
        if e.date == today.date and e.labs is not None and e.type in ("labs", "cycle_start"):
            anc = anc if anc is not None else e.labs.anc_per_mm3
            plt = plt if plt is not None else e.labs.platelets_per_mm3
    return anc, plt


def interruption_gate(state: CourseState, number: int, day: int) -> GateResult:
    """Non-hematologic interruptions active today (nonheme.*, hepatic.interrupt, interruption.*)."""
    p = load_protocol()
    today = state.doc.today.date
    active = state.active_episodes(today)
    if not active:
        return GateResult(True)
    reasons = [cite(e.rule, f"{e.label}: dosing is interrupted until recovery") for e in active]
    review = any(e.needs_review for e in active)
    if any(e.rule == ids.NONHEME_BLEEDING_INFECTION for e in active):
        reasons.append(
            cite(
                ids.NONHEME_GRADE2,
                "a non-hematologic toxicity of grade 2 or more interrupts dosing until grade 1",
            )
        )
    span = state.open_span
    span_days = span.length_days(today) if span else 0
    since = state.slot_interruption_start or today
    slot_days = (today - since).days
    if day != 1:
        reasons.append(
            cite(
                ids.INTERRUPTION_LT7,
                f"cycle {number} day {day} interrupted for {slot_days} days (since {since}); "
                f"under {p['interruption.lt7'].integer('days')} days the dose is delayed, keeping "
                f"{gap_days()} days between doses",
            )
        )
    if span_days >= p[ids.INTERRUPTION_GE14].integer("days"):
        reasons.append(
            cite(
                ids.INTERRUPTION_GE14,
                f"dosing interrupted for {span_days} days (since {span.start if span else today}): "
                "after recovery the following cycles are reduced",
            )
        )
    if span_days > p[ids.INTERRUPTION_GT28].integer("days"):
        review = True
        reasons.append(
            cite(
                ids.INTERRUPTION_GT28,
                f"dosing interrupted for {span_days} days: consider stopping for good — "
                "the clinician decides",
            )
        )
    return GateResult(False, tuple(reasons), needs_review=review)


def cytoreduction_gate(state: CourseState) -> GateResult:
    """The cytoreduction rule before the first dose."""
    limit = load_protocol()[ids.CYTOREDUCTION].number("max_peripheral_blasts_per_mm3")
    blasts = state.doc.patient.pretreatment_blasts_per_mm3
    if blasts is not None and blasts > limit:
        return GateResult(
            False,
            (
                cite(
                    ids.CYTOREDUCTION,
                    f"circulating blasts {blasts:g}/mm3 exceed {limit:g}: reduce them "
                    "(hydroxyurea, steroids and/or vincristine) before the first dose",
                ),
            ),
        )
    return GateResult(True)
