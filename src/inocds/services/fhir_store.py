"""The stored patient behind an EHR's Patient (matched by identifier = MRN) and its course document.

Used by the CDS Hooks service: where the patient is stored in inocds, the stored
course (its events, pretreatment values and HSCT plan) is the history the engine
reads, and the card links to the course's page.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import Course, Patient

# One course-document builder for the stored data: the courses service's own.
from inocds.services.courses import _patient_block, effective_events

__all__ = ["StoredCourse", "stored_course_for"]


@dataclass(frozen=True)
class StoredCourse:
    """A stored course as the contract's course document for a date."""

    course_id: int
    patient_id: int
    document: dict[str, Any]

    def link(self, base_url: str) -> dict[str, Any]:
        """A CDS Hooks link to the course's page in inocds."""
        return {
            "label": "Open the course in inocds",
            "url": f"{base_url}/courses/{self.course_id}",
            "type": "absolute",
        }


def _identifiers(resource: dict[str, Any] | None) -> list[str]:
    if not resource:
        return []
    return [
        str(item["value"])
        for item in resource.get("identifier") or []
        if isinstance(item, dict) and item.get("value")
    ]


def stored_course_for(
    session: Session,
    patient: dict[str, Any] | None,
    today: dt.date,
    labs: dict[str, Any] | None = None,
) -> StoredCourse | None:
    """The latest stored course of the patient whose MRN is one of the resource's identifiers
    and whose birth date is the resource's (an identifier alone could belong to another
    system's numbering)."""
    values = _identifiers(patient)
    if not values or not patient:
        return None
    row = session.scalar(select(Patient).where(Patient.mrn.in_(values)).limit(1))
    if row is None or str(patient.get("birthDate") or "")[:10] != row.birth_date.isoformat():
        return None
    course = session.scalar(
        select(Course).where(Course.patient_id == row.id).order_by(Course.id.desc()).limit(1)
    )
    if course is None:
        return None
    events = [dict(r.payload or {}) for r in effective_events(session, course.id)]
    today_block: dict[str, Any] = {"date": today.isoformat()}
    if labs:
        today_block["labs"] = labs
    document = {
        "patient": _patient_block(session, row, course),
        "events": events,
        "today": today_block,
    }
    return StoredCourse(course.id, row.id, document)
