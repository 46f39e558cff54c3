"""Cycle limits (duration.*): whether cycle n may be given, or the course ends or completes."""

from __future__ import annotations

from dataclasses import dataclass

from inocds.clinical.course import CourseState
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids
from inocds.protocol.loader import load_protocol

__all__ = ["CycleAllowance", "cycle_allowance", "max_cycles"]


@dataclass(frozen=True)
class CycleAllowance:
    """May cycle n be given? `end` is None (yes), 'complete' or 'discontinue'."""

    end: str | None
    reasons: tuple[Reason, ...]
    needs_review: bool = False
    waits_for_due_date: bool = False
    """True when the end takes effect only once the cycle is due (a response may still come)."""


def max_cycles(state: CourseState, considering_third: bool = False) -> int:
    """The most cycles this patient may receive (duration.hsct / duration.max_6)."""
    p = load_protocol()
    if state.doc.patient.hsct_planned:
        rule = p[ids.DURATION_HSCT]
        return rule.integer("considered_cycles" if considering_third else "recommended_cycles")
    return p[ids.DURATION_MAX_6].integer("max_cycles")


def cycle_allowance(state: CourseState, number: int) -> CycleAllowance:
    """Applies the duration rules to cycle `number` as of today."""
    p = load_protocol()
    if number == 1:
        return CycleAllowance(None, ())
    no_cr_limit = p[ids.DURATION_NO_CR_AFTER_3].integer("cycles_without_response")
    if number > no_cr_limit and not state.ever_cr():
        return CycleAllowance(
            "discontinue",
            (
                cite(
                    ids.DURATION_NO_CR_AFTER_3,
                    f"no CR or CRi recorded after {number - 1} cycles; "
                    f"treatment stops after {no_cr_limit} cycles without it",
                ),
            ),
            waits_for_due_date=True,
        )
    if state.doc.patient.hsct_planned:
        return _before_transplant(state, number)
    limit = p[ids.DURATION_MAX_6].integer("max_cycles")
    if number > limit:
        return CycleAllowance(
            "complete",
            (
                cite(
                    ids.DURATION_MAX_6, f"{limit} cycles given, the most allowed without transplant"
                ),
            ),
        )
    return CycleAllowance(None, ())


def _before_transplant(state: CourseState, number: int) -> CycleAllowance:
    """duration.hsct: 2 cycles; a third only without CR/CRi with MRD negativity."""
    p = load_protocol()
    rule = p[ids.DURATION_HSCT]
    recommended = rule.integer("recommended_cycles")
    considered = rule.integer("considered_cycles")
    latest = state.latest_response()
    deep = latest is not None and latest.status in ("CR", "CRi") and latest.mrd == "negative"
    if number <= recommended:
        return CycleAllowance(None, ())
    if number <= considered and not deep:
        shown = (
            f"{latest.status}, MRD {latest.mrd or 'not reported'} on {latest.date}"
            if latest
            else "no response recorded"
        )
        return CycleAllowance(
            None,
            (
                cite(
                    ids.DURATION_HSCT,
                    f"transplant planned: {recommended} cycles are recommended; a cycle "
                    f"{number} may be considered because CR/CRi with MRD negativity has not "
                    f"been reached ({shown}) — the clinician decides",
                ),
            ),
            needs_review=True,
        )
    why = (
        f"CR/CRi with MRD negativity reached ({latest.status} on {latest.date})"
        if deep and latest
        else f"at most {considered} cycles before transplant"
    )
    return CycleAllowance(
        "complete",
        (
            cite(
                ids.DURATION_HSCT,
                f"transplant planned: {number - 1} cycles given; {why}; the course is complete",
            ),
        ),
    )
