"""Reads and searches of the FHIR R4 API over the stored data (clinical roles).

A patient's resources are built from its rows (adapters/fhir/resources.py) and
filtered by the search parameters; the data of one unit is small, so a search
filters in memory. The CarePlan carries the engine's own plan and decision.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import Administration, Course, Order, Patient, User
from inocds.adapters.fhir import resources as fhir
from inocds.adapters.fhir.definitions import PLAN_DEFINITION_ID, SEARCH_PARAMS, plan_definition
from inocds.clinical.validation import InputError
from inocds.services.courses import assess, effective_events, plan
from inocds.services.errors import NotFound, ServiceError
from inocds.services.patients import get_patient, list_measurements, list_patients

__all__ = ["KINDS", "BadSearch", "everything", "patient_resources", "read"]

KINDS = tuple(SEARCH_PARAMS)
_PRE_FIELDS = (
    "anc_per_mm3",
    "platelets_per_mm3",
    "peripheral_blasts_per_mm3",
    "bilirubin",
    "ast",
    "alt",
)
_LAB_EVENT_FIELDS = ("anc_per_mm3", "platelets_per_mm3", "bilirubin", "ast", "alt")
TAG = {
    "anc_per_mm3": "anc",
    "platelets_per_mm3": "plt",
    "peripheral_blasts_per_mm3": "blasts",
    "bilirubin": "bili",
    "ast": "ast",
    "alt": "alt",
}
"""Field -> the part of an Observation id (FHIR ids allow letters, digits, '-' and '.')."""


class BadSearch(ServiceError):
    """A search parameter this server does not support, or a malformed value (400)."""


def _observations(session: Session, actor: User, row: Patient) -> list[dict[str, Any]]:
    out = []
    for m in list_measurements(session, actor, row.id):
        out.append(
            fhir.observation(f"m{m.id}-height", row.id, "height_cm", m.height_cm, m.measured_on)
        )
        out.append(
            fhir.observation(f"m{m.id}-weight", row.id, "weight_kg", m.weight_kg, m.measured_on)
        )
    for course in _courses(session, row.id):
        first = _first_date(session, course.id) or course.created_at.date()
        for name in _PRE_FIELDS:
            if course.pretreatment.get(name) is not None:
                out.append(
                    fhir.observation(
                        f"c{course.id}-pre-{TAG[name]}",
                        row.id,
                        name,
                        course.pretreatment[name],
                        first,
                    )
                )
        for event in effective_events(session, course.id):
            payload = event.payload or {}
            if event.type not in ("labs", "cycle_start"):
                continue
            for name in _LAB_EVENT_FIELDS:
                if payload.get(name) is not None:
                    out.append(
                        fhir.observation(
                            f"e{event.id}-{TAG[name]}", row.id, name, payload[name], payload["date"]
                        )
                    )
    return out


def _first_date(session: Session, course_id: int) -> dt.date | None:
    dates = [
        str((e.payload or {}).get("date"))
        for e in effective_events(session, course_id)
        if e.type in ("cycle_start", "dose")
    ]
    return dt.date.fromisoformat(min(dates)) if dates else None


def _courses(session: Session, patient_id: int) -> list[Course]:
    query = select(Course).where(Course.patient_id == patient_id).order_by(Course.id)
    return list(session.scalars(query))


def _requests(session: Session, row: Patient) -> list[dict[str, Any]]:
    ids = [c.id for c in _courses(session, row.id)]
    orders = session.scalars(select(Order).where(Order.course_id.in_(ids)).order_by(Order.id))
    return [fhir.medication_request(order, row.id) for order in orders]


def _administrations(session: Session, row: Patient) -> list[dict[str, Any]]:
    out = []
    for course in _courses(session, row.id):
        for event in effective_events(session, course.id):
            if event.type != "dose":
                continue
            given = session.scalar(
                select(Order.dose_mg)
                .join(Administration, Administration.order_id == Order.id)
                .where(Administration.dose_event_id == event.id)
            )
            out.append(fhir.medication_administration(event.id, row.id, event.payload or {}, given))
    return out


def _care_plans(
    session: Session, actor: User, row: Patient, today: dt.date
) -> list[dict[str, Any]]:
    out = []
    for course in _courses(session, row.id):
        try:
            decision = assess(session, actor, course.id, today)
            next_plan = plan(session, actor, course.id, today)
        except (InputError, ServiceError):
            decision, next_plan = {"action": "unknown"}, {}
        status = {"discontinue": "revoked", "complete": "completed"}.get(
            str(decision.get("action")), "active"
        )
        out.append(fhir.care_plan(course, row.id, status, next_plan, decision))
    return out


def patient_resources(
    session: Session, actor: User, row: Patient, today: dt.date, kinds: tuple[str, ...] = KINDS
) -> dict[str, list[dict[str, Any]]]:
    """The patient's resources of the asked kinds."""
    builders: dict[str, Callable[[], list[dict[str, Any]]]] = {
        "Patient": lambda: [fhir.patient(row)],
        "Observation": lambda: _observations(session, actor, row),
        "MedicationRequest": lambda: _requests(session, row),
        "MedicationAdministration": lambda: _administrations(session, row),
        "CarePlan": lambda: _care_plans(session, actor, row, today),
        "Condition": lambda: [],
    }
    return {kind: builders[kind]() for kind in kinds if kind in builders}


def everything(session: Session, actor: User, patient_id: int, today: dt.date) -> list[Any]:
    """Every resource of a patient ($everything), the Patient first."""
    row = get_patient(session, actor, patient_id)
    found = patient_resources(session, actor, row, today)
    return [r for kind in found for r in found[kind]] + [plan_definition()]


def patient_id(value: str) -> int:
    raw = value.removeprefix("Patient/")
    if not raw.isdigit():
        raise NotFound(f"no patient {value!r}", "patient")
    return int(raw)


def read(session: Session, actor: User, kind: str, rid: str, today: dt.date) -> dict[str, Any]:
    """One resource by type and id (NotFound otherwise)."""
    if kind == "PlanDefinition" and rid == PLAN_DEFINITION_ID:
        return plan_definition()
    if kind not in KINDS or kind in ("PlanDefinition", "Condition"):
        raise NotFound(f"no {kind}/{rid}", "id")
    for row in _candidates(session, actor, kind, rid):
        for resource in patient_resources(session, actor, row, today, (kind,))[kind]:
            if resource["id"] == rid:
                return resource
    raise NotFound(f"no {kind}/{rid}", "id")


def _candidates(session: Session, actor: User, kind: str, rid: str) -> list[Patient]:
    if kind == "Patient":
        return [get_patient(session, actor, patient_id(rid))] if rid.isdigit() else []
    return list_patients(session, actor)
