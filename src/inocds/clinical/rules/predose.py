"""The safety net's gates before a dose: first-dose waits and missing labs.

- data.toxicity_before_first_dose / hepatic.severe_labs before the first dose: the
  first dose waits (`delay`) and the clinician decides;
- labs.missing: no counts for a new cycle or no liver tests since the last dose:
  day 1 is held, a day 8/15 dose delayed.
"""

from __future__ import annotations

import datetime as dt

from inocds.clinical.course_state import CourseState
from inocds.clinical.gates import PASSED, GateResult, counts_today
from inocds.clinical.rules import ids
from inocds.clinical.rules.cytoreduction import cytoreduction_gate
from inocds.clinical.rules.heme import heme_gate
from inocds.clinical.rules.hepatic import latest_liver, severe_tests
from inocds.clinical.rules.interruption import interruption_gate
from inocds.clinical.rules.labs import missing_counts, missing_liver
from inocds.clinical.rules.review import active_before_first_dose
from inocds.clinical.rules.text import say

__all__ = ["day1_gates", "first_dose_gate", "labs_gate"]


def first_dose_gate(state: CourseState) -> GateResult:
    """Before the first dose: an active grade 3+ toxicity or grade 3+ liver tests wait."""
    if state.first_dose_date is not None:
        return PASSED
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
        return PASSED
    return GateResult(False, tuple(reasons), needs_review=True)


def labs_gate(state: CourseState, cycle: int, day: int) -> GateResult:
    """labs.missing for the dose due today."""
    counts = missing_counts(state, cycle) if day == 1 else None
    liver = missing_liver(state, cycle, day)
    if counts is None and liver is None:
        return PASSED
    return GateResult(False, tuple(r for r in (counts, liver) if r is not None))


def day1_gates(state: CourseState, number: int, due: dt.date) -> list[GateResult]:
    """The gates of a day 1: interruptions; the first dose's own; labs; the count gates."""
    gates = [interruption_gate(state, number, 1)]
    if number == 1:
        gates += [first_dose_gate(state), cytoreduction_gate(state)]
    gates.append(labs_gate(state, number, 1))
    if number > 1 and None not in counts_today(state):  # the gate needs the day's counts
        gates.append(heme_gate(state, number, due))
    return gates
