"""The safety net's gates before a dose: first-dose waits and missing labs.

- data.toxicity_before_first_dose / hepatic.severe_labs before the first dose: the
  first dose waits (`delay`) and the clinician decides;
- labs.missing: no counts for a new cycle or no liver tests since the last dose:
  day 1 is held, a day 8/15 dose delayed.
"""

from __future__ import annotations

from inocds.clinical.course import CourseState
from inocds.clinical.gates import GateResult
from inocds.clinical.rules import ids
from inocds.clinical.rules.hepatic import latest_liver, severe_tests
from inocds.clinical.rules.labs import missing_counts, missing_liver
from inocds.clinical.rules.review import active_before_first_dose
from inocds.clinical.rules.text import say

__all__ = ["first_dose_gate", "labs_gate"]


def first_dose_gate(state: CourseState) -> GateResult:
    """Before the first dose: an active grade 3+ toxicity or grade 3+ liver tests wait."""
    if state.first_dose_date is not None:
        return GateResult(True)
    reasons = active_before_first_dose(state)
    doc = state.doc
    waived = doc.today.liver_abnormality_from_gilbert_or_hemolysis
    current = latest_liver(doc, None, state.today)
    pre = doc.patient.pretreatment
    current = current._replace(
        bilirubin=current.bilirubin or pre.bilirubin,
        ast=current.ast or pre.ast,
        alt=current.alt or pre.alt,
    )
    tests = severe_tests(current, bilirubin_waived=waived)
    if tests:
        reasons.append(say(ids.HEPATIC_SEVERE_LABS, "before", tests=tests, date=state.today))
    if not reasons:
        return GateResult(True)
    return GateResult(False, tuple(reasons), needs_review=True)


def labs_gate(state: CourseState, cycle: int, day: int) -> GateResult:
    """labs.missing for the dose due today."""
    found = [missing_liver(state, cycle, day)]
    if day == 1:
        found.insert(0, missing_counts(state, cycle))
    reasons = tuple(r for r in found if r is not None)
    return GateResult(not reasons, reasons)
