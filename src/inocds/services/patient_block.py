"""The course document's `patient` block, written in one place.

Both ways of loading a stored course build it here: `courses.course_document` (ORM
objects) and `course_snapshot` (one row holding the same columns). A field added here
reaches the page, the API and the cached stored assess alike.
"""

from __future__ import annotations

from typing import Any

__all__ = ["patient_block"]


def patient_block(patient: Any, course: Any, measurement: Any) -> dict[str, Any]:
    """The block from the patient's record, the course's pretreatment and the measurement
    in force (any objects with those attributes: ORM rows or one joined row)."""
    block: dict[str, Any] = {
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "height_cm": measurement.height_cm,
        "weight_kg": measurement.weight_kg,
        "hsct_planned": course.hsct_planned,
        "pretreatment": course.pretreatment,
        "history": patient.history,
        "medications": list(patient.medications),
        "bsa_formula": patient.bsa_formula,
    }
    if patient.can_become_pregnant is not None:
        block["can_become_pregnant"] = patient.can_become_pregnant
    if patient.diagnosis:
        block["diagnosis"] = patient.diagnosis
    return block
