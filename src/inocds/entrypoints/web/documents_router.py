"""Documents for the care team: order and worksheet PDFs, the patient's calendar and handout.

    GET /orders/{order_id}/order.pdf        the signed order (PDF, attachment)
    GET /orders/{order_id}/worksheet.pdf    the pharmacy preparation worksheet (PDF, attachment)
    GET /courses/{course_id}/calendar.ics   the patient's dose calendar (text/calendar, attachment)
    GET /courses/{course_id}/handout        the plain-language patient handout (HTML, printable)
    GET /courses/{course_id}/handout.pdf    the same handout (PDF, attachment)

Logged-in clinical roles only (physician, pharmacist, nurse), by bearer token or the
browser's session cookie. The data come from the services; the documents are made by
`inocds.adapters.reports`. Answers carry `Cache-Control: no-store` (patient data).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.responses import HTMLResponse, Response

from inocds.adapters.reports import (
    build_worksheet,
    course_calendar,
    handout_pdf,
    order_pdf,
    patient_handout,
    worksheet_pdf,
)
from inocds.clinical.validation import InputError
from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import SessionDep, require_roles
from inocds.services import courses, directory, order_steps, orders, patients
from inocds.services.records import Order, Patient, Preparation, Session, User

__all__ = ["documents_router"]

Clinician = Annotated[User, Depends(require_roles("physician", "pharmacist", "nurse"))]
"""A logged-in physician, pharmacist or nurse (401 / 403 otherwise)."""

_NO_STORE = {"Cache-Control": "no-store"}


def _patient_name(patient: Patient) -> str:
    return f"{patient.given_name} {patient.family_name}"


def _patient_block(patient: Patient) -> dict[str, Any]:
    return {
        "name": _patient_name(patient),
        "mrn": patient.mrn,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
    }


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    headers = {**_NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


def _order_data(session: Session, user: User, order: Order) -> dict[str, Any]:
    """The order as `reports.order_pdf` prints it."""
    course = courses.get_course(session, user, order.course_id)
    patient = patients.get_patient(session, user, course.patient_id)
    verification = order_steps.order_steps(session, order.id).verification
    return {
        "id": order.id,
        "status": order.status,
        "status_reason": order.status_reason,
        "cycle": order.cycle,
        "day": order.day,
        "scheduled_on": order.scheduled_on.isoformat(),
        "height_cm": order.height_cm,
        "weight_kg": order.weight_kg,
        "bsa_m2": order.bsa_m2,
        "bsa_formula": patient.bsa_formula,
        "dose_mg_per_m2": order.dose_mg_per_m2,
        "dose_mg": order.dose_mg,
        "flagged": order.flagged,
        "override_reason": order.override_reason,
        "engine_decision": order.engine_decision,
        "signed_at": orders.aware(order.signed_at).isoformat(),
        "patient": _patient_block(patient),
        "course": {
            "id": course.id,
            "hsct_planned": course.hsct_planned,
            "start_weight_kg": course.start_weight_kg,
        },
        "prescriber": {"name": directory.name_of(session, order.prescriber_id)},
        "verification": None
        if verification is None
        else {
            "pharmacist": directory.name_of(session, verification.pharmacist_id),
            "verified_at": orders.aware(verification.verified_at).isoformat(),
            "height_cm": verification.height_cm,
            "weight_kg": verification.weight_kg,
            "dose_mg": verification.dose_mg,
        },
    }


def _preparation_data(session: Session, preparation: Preparation) -> dict[str, Any]:
    """The recorded compounding, its times in the offset of the stored clock."""
    clock = dict(preparation.worksheet or {})
    zone: dt.tzinfo = dt.UTC
    if isinstance(clock.get("reconstituted_at"), str):
        zone = dt.datetime.fromisoformat(clock["reconstituted_at"]).tzinfo or dt.UTC

    def local(moment: dt.datetime | None) -> str | None:
        return None if moment is None else orders.aware(moment).astimezone(zone).isoformat()

    return {
        "pharmacist": directory.name_of(session, preparation.pharmacist_id),
        "reconstituted_at": local(preparation.reconstituted_at),
        "diluted_at": local(preparation.diluted_at),
        "refrigerated": preparation.refrigerated,
        "vial_lots": list(preparation.vial_lots or []),
        "prepared_at": local(preparation.prepared_at),
        "beyond_use": clock,
    }


def _plan_or_none(session: Session, user: User, course_id: int, today: dt.date) -> Any:
    """The engine's plan, or None when the course cannot be planned."""
    try:
        return courses.plan(session, user, course_id, today)
    except InputError:
        return None


def documents_router() -> APIRouter:
    """The document routes (kept out of the OpenAPI document: they serve files)."""
    router = APIRouter(include_in_schema=False, tags=["documents"])

    @router.get("/orders/{order_id}/order.pdf")
    def order_document(order_id: int, session: SessionDep, user: Clinician) -> Response:
        order = orders.get_order(session, user, order_id)
        content = order_pdf(_order_data(session, user, order))
        return _attachment(content, "application/pdf", f"order-{order_id}.pdf")

    @router.get("/orders/{order_id}/worksheet.pdf")
    def worksheet_document(order_id: int, session: SessionDep, user: Clinician) -> Response:
        order = orders.get_order(session, user, order_id)
        course = courses.get_course(session, user, order.course_id)
        patient = patients.get_patient(session, user, course.patient_id)
        preparation = order_steps.preparation_of(session, order.id)
        worksheet = build_worksheet(
            _order_data(session, user, order),
            _patient_block(patient),
            None if preparation is None else _preparation_data(session, preparation),
        )
        return _attachment(
            worksheet_pdf(worksheet), "application/pdf", f"worksheet-order-{order_id}.pdf"
        )

    @router.get("/courses/{course_id}/calendar.ics")
    def calendar(course_id: int, session: SessionDep, user: Clinician, today: Today) -> Response:
        course = courses.get_course(session, user, course_id)
        patient = patients.get_patient(session, user, course.patient_id)
        document = courses.course_document(session, user, course_id, today)
        content = course_calendar(
            document,
            _plan_or_none(session, user, course_id, today),
            _patient_name(patient),
            calendar_id=f"course-{course_id}",
        )
        return _attachment(content, "text/calendar; charset=utf-8", f"course-{course_id}.ics")

    def _handout_inputs(
        session: Session, user: User, course_id: int, today: dt.date
    ) -> tuple[dict[str, Any], dict[str, Any], Any, str]:
        course = courses.get_course(session, user, course_id)
        patient = patients.get_patient(session, user, course.patient_id)
        document = courses.course_document(session, user, course_id, today)
        screen = courses.screen(session, user, course_id, today)
        plan = _plan_or_none(session, user, course_id, today)
        return document, screen, plan, _patient_name(patient)

    @router.get("/courses/{course_id}/handout", response_class=HTMLResponse)
    def handout(course_id: int, session: SessionDep, user: Clinician, today: Today) -> Response:
        document, screen, plan, name = _handout_inputs(session, user, course_id, today)
        page = patient_handout(
            document,
            screen,
            plan,
            patient_name=name,
            pdf_href=f"/courses/{course_id}/handout.pdf",
        )
        return HTMLResponse(page, headers=_NO_STORE)

    @router.get("/courses/{course_id}/handout.pdf")
    def handout_document(
        course_id: int, session: SessionDep, user: Clinician, today: Today
    ) -> Response:
        document, screen, plan, name = _handout_inputs(session, user, course_id, today)
        content = handout_pdf(document, screen, plan, patient_name=name)
        return _attachment(content, "application/pdf", f"handout-course-{course_id}.pdf")

    return router
