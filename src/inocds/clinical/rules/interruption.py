"""Non-hematologic interruptions before a dose (nonheme.*, hepatic.interrupt, interruption.*).

The episodes themselves are `rules.episodes`; the walk measures their length. Here:
the gate that holds today's dose, and the note of a past interruption longer than
interruption.gt28's days.
"""

from __future__ import annotations

from inocds.clinical.course_state import CourseState
from inocds.clinical.gates import PASSED, GateResult
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.episodes import episode_reason
from inocds.clinical.rules.text import gap_days, say
from inocds.protocol.loader import rule_integer

__all__ = ["interruption_gate", "past_interruption_notes"]


def _length_reasons(state: CourseState, number: int, day: int) -> tuple[list[Reason], bool]:
    """interruption.lt7 / ge14 / gt28 for the interruption open today; True: review."""
    today = state.today
    span = state.open_span
    span_days = span.length_days(today) if span else 0
    since = state.slot_interruption_start or today
    reasons: list[Reason] = []
    if day != 1:
        reasons.append(
            say(
                ids.INTERRUPTION_LT7,
                cycle=number,
                day=day,
                interrupted=(today - since).days,
                since=since,
                min_days=gap_days(),
            )
        )
    if span_days >= rule_integer(ids.INTERRUPTION_GE14, "days"):
        start = span.start if span else today
        reasons.append(say(ids.INTERRUPTION_GE14, "gate", interrupted=span_days, since=start))
    review = span_days > rule_integer(ids.INTERRUPTION_GT28, "days")
    if review:
        reasons.append(say(ids.INTERRUPTION_GT28, "gate", interrupted=span_days))
    return reasons, review


def interruption_gate(state: CourseState, number: int, day: int) -> GateResult:
    """Non-hematologic interruptions active today (nonheme.*, hepatic.interrupt, interruption.*)."""
    active = state.active_episodes(state.today)
    if not active:
        return PASSED
    reasons = [episode_reason(e) for e in active]
    if any(e.rule == ids.NONHEME_BLEEDING_INFECTION for e in active):
        reasons.append(say(ids.NONHEME_GRADE2))
    lengths, long_review = _length_reasons(state, number, day)
    review = long_review or any(e.needs_review for e in active)
    return GateResult(False, tuple(reasons + lengths), needs_review=review)


def past_interruption_notes(state: CourseState) -> list[Reason]:
    """An interruption of more than interruption.gt28's days since the last dose: review."""
    if not state.spans:
        return []
    limit = rule_integer(ids.INTERRUPTION_GT28, "days")
    notes = []
    for span in state.spans:
        if span.end is not None and (state.last_dose is None or span.end > state.last_dose):
            length = span.length_days(state.today)
            if length > limit:
                notes.append(
                    say(
                        ids.INTERRUPTION_GT28, "past", length=length, start=span.start, end=span.end
                    )
                )
    return notes
