"""What a check before a dose answers (GateResult), and the day's blood counts.

The checks themselves are rule families of clinical.rules: heme (count gates),
interruption (non-hematologic toxicity), cytoreduction, predose (labs, first dose).
"""

from __future__ import annotations

from dataclasses import dataclass

from inocds.clinical.course_state import CourseState
from inocds.clinical.reasons import Reason

__all__ = ["PASSED", "GateResult", "counts_today"]


@dataclass(frozen=True)
class GateResult:
    """Whether a gate lets the dose through, the reasons it adds, and its review flag."""

    passed: bool
    reasons: tuple[Reason, ...] = ()
    needs_review: bool = False
    discontinue: bool = False

    def __init__(
        self,
        passed: bool,
        reasons: tuple[Reason, ...] = (),
        needs_review: bool = False,
        discontinue: bool = False,
    ) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["passed"] = passed
        fields["reasons"] = reasons
        fields["needs_review"] = needs_review
        fields["discontinue"] = discontinue


PASSED = GateResult(True)
"""A gate that lets the dose through and says nothing (frozen: one value serves all)."""


def counts_today(state: CourseState) -> tuple[float | None, float | None]:
    """Today's ANC and platelets: today's labs, else a labs or cycle_start event dated today."""
    today = state.doc.today
    anc, plt = today.labs.anc_per_mm3, today.labs.platelets_per_mm3
    for e in reversed(state.doc.events):  # in date order: today's are last
        if e.date < today.date:
            break
        if e.date == today.date and e.labs is not None and e.type in ("labs", "cycle_start"):
            anc = anc if anc is not None else e.labs.anc_per_mm3
            plt = plt if plt is not None else e.labs.platelets_per_mm3
    return anc, plt
