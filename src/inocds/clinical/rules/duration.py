"""Cycle limits (duration.*): whether cycle n may be given, or the course ends or completes."""

from __future__ import annotations

from dataclasses import dataclass

from inocds.clinical.course_state import CourseState
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import render, say
from inocds.clinical.types import RESPONDED, CourseEnd
from inocds.protocol.loader import rule_integer

__all__ = ["CycleAllowance", "cycle_allowance", "duration_plan_reasons", "max_cycles"]


@dataclass(frozen=True)
class CycleAllowance:
    """May cycle n be given? `end` is None (yes), 'complete' or 'discontinue'."""

    end: CourseEnd | None
    reasons: tuple[Reason, ...]
    needs_review: bool = False
    waits_for_due_date: bool = False
    """True when the end takes effect only once the cycle is due (a response may still come)."""


_GOES_ON = CycleAllowance(None, ())
"""Cycle n may be given, nothing to say (frozen: one value serves every request)."""


def max_cycles(state: CourseState, considering_third: bool = False) -> int:
    """The most cycles this patient may receive (duration.hsct / duration.max_6)."""
    if state.doc.patient.hsct_planned:
        name = "considered_cycles" if considering_third else "recommended_cycles"
        return rule_integer(ids.DURATION_HSCT, name)
    return rule_integer(ids.DURATION_MAX_6, "max_cycles")


def cycle_allowance(state: CourseState, number: int) -> CycleAllowance:
    """Applies the duration rules to cycle `number` as of today."""
    if number == 1:
        return _GOES_ON
    no_cr_limit = rule_integer(ids.DURATION_NO_CR_AFTER_3, "cycles_without_response")
    if number > no_cr_limit and not state.ever_cr():
        reason = say(ids.DURATION_NO_CR_AFTER_3, cycles=number - 1)
        return CycleAllowance("discontinue", (reason,), waits_for_due_date=True)
    if state.doc.patient.hsct_planned:
        return _before_transplant(state, number)
    limit = rule_integer(ids.DURATION_MAX_6, "max_cycles")
    if number > limit:
        return CycleAllowance("complete", (say(ids.DURATION_MAX_6, "complete"),))
    return _GOES_ON


def _before_transplant(state: CourseState, number: int) -> CycleAllowance:
    """duration.hsct: 2 cycles; a third only without CR/CRi with MRD negativity."""
    recommended = rule_integer(ids.DURATION_HSCT, "recommended_cycles")
    considered = rule_integer(ids.DURATION_HSCT, "considered_cycles")
    latest = state.latest_response()
    deep = latest is not None and latest.status in RESPONDED and latest.mrd == "negative"
    if number <= recommended:
        return _GOES_ON
    if number <= considered and not deep:
        shown = (
            render(
                ids.DURATION_HSCT,
                "shown",
                status=latest.status,
                mrd=latest.mrd or "not reported",
                date=latest.date,
            )
            if latest
            else render(ids.DURATION_HSCT, "shown_none")
        )
        reason = say(ids.DURATION_HSCT, "considered", cycle=number, shown=shown)
        return CycleAllowance(None, (reason,), needs_review=True)
    if deep and latest:
        reason = say(
            ids.DURATION_HSCT,
            "complete_deep",
            given=number - 1,
            status=latest.status,
            date=latest.date,
        )
    else:
        reason = say(ids.DURATION_HSCT, "complete_limit", given=number - 1)
    return CycleAllowance("complete", (reason,))


def duration_plan_reasons(
    state: CourseState, number: int, allowance: CycleAllowance
) -> list[Reason]:
    """How many cycles this patient may have, and the stop without CR/CRi ahead."""
    reasons: list[Reason] = []
    if state.doc.patient.hsct_planned:
        if not allowance.reasons:
            reasons.append(say(ids.DURATION_HSCT, "plan"))
    else:
        reasons.append(say(ids.DURATION_MAX_6, "plan"))
    reasons.extend(allowance.reasons)
    no_cr_limit = rule_integer(ids.DURATION_NO_CR_AFTER_3, "cycles_without_response")
    if number == no_cr_limit and not state.ever_cr():
        reasons.append(say(ids.DURATION_NO_CR_AFTER_3, "ahead"))
    return reasons
