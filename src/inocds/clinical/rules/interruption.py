"""Non-hematologic interruptions before a dose (nonheme.*, hepatic.interrupt, interruption.*)."""

from __future__ import annotations

from inocds.clinical.course import CourseState
from inocds.clinical.gates import GateResult
from inocds.clinical.reasons import cite
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import gap_days
from inocds.protocol.loader import load_protocol

__all__ = ["interruption_gate"]


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
