"""cytoreduction: circulating blasts above the limit are brought down before the first dose."""

from __future__ import annotations

from inocds.clinical.course_state import CourseState
from inocds.clinical.gates import PASSED, GateResult
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import listed, say
from inocds.protocol.loader import load_protocol

__all__ = ["cytoreduction_gate"]


def cytoreduction_gate(state: CourseState) -> GateResult:
    """The cytoreduction rule before the first dose."""
    limit = load_protocol()[ids.CYTOREDUCTION].number("max_peripheral_blasts_per_mm3")
    blasts = state.doc.patient.pretreatment_blasts_per_mm3
    if blasts is not None and blasts > limit:
        agents = load_protocol()["cytoreduction.agents"].texts("agents")
        reason = say(ids.CYTOREDUCTION, blasts=blasts, agents=listed(agents, "and/or"))
        return GateResult(False, (reason,))
    return PASSED
