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

from collections.abc import Callable

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, JSONResponse, Response

from inocds.adapters.reports import (
    build_worksheet,
    course_calendar,
    handout_pdf,
    order_pdf,
    patient_handout,
    worksheet_pdf,
)
from inocds.adapters.reports.fonts import FontsMissing
from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import Clinician, SessionDep
from inocds.services import courses, documents, patients
from inocds.settings import site_zone

__all__ = ["documents_router"]


_NO_STORE = {"Cache-Control": "no-store"}


def _attachment(content: bytes, media_type: str, filename: str) -> Response:
    headers = {**_NO_STORE, "Content-Disposition": f'attachment; filename="{filename}"'}
    return Response(content, media_type=media_type, headers=headers)


def _pdf(make: Callable[[], bytes], filename: str) -> Response:
    """A PDF attachment; 503 with the contract's error shape when its fonts are missing."""
    try:
        content = make()
    except FontsMissing as missing:
        body = {"errors": [{"field": "(fonts)", "message": str(missing)}]}
        return JSONResponse(body, status_code=503, headers=_NO_STORE)
    return _attachment(content, "application/pdf", filename)


def documents_router() -> APIRouter:
    """The document routes (kept out of the OpenAPI document: they serve files)."""
    router = APIRouter(include_in_schema=False, tags=["documents"])

    @router.get("/orders/{order_id}/order.pdf")
    def order_document(order_id: int, session: SessionDep, user: Clinician) -> Response:
        data = documents.order_data(session, user, order_id)
        return _pdf(lambda: order_pdf(data, site_zone()), f"order-{order_id}.pdf")

    @router.get("/orders/{order_id}/worksheet.pdf")
    def worksheet_document(order_id: int, session: SessionDep, user: Clinician) -> Response:
        order, patient, preparation = documents.worksheet_inputs(session, user, order_id)
        worksheet = build_worksheet(order, patient, preparation)
        return _pdf(
            lambda: worksheet_pdf(worksheet, site_zone()), f"worksheet-order-{order_id}.pdf"
        )

    @router.get("/courses/{course_id}/calendar.ics")
    def calendar(course_id: int, session: SessionDep, user: Clinician, today: Today) -> Response:
        course = courses.get_course(session, user, course_id)
        patient = patients.get_patient(session, user, course.patient_id)
        document = courses.course_document(session, user, course_id, today)
        content = course_calendar(
            document,
            documents.plan_or_none(session, user, course_id, today),
            f"{patient.given_name} {patient.family_name}",
            calendar_id=f"course-{course_id}",
            zone_name=getattr(site_zone(), "key", None),
        )
        return _attachment(content, "text/calendar; charset=utf-8", f"course-{course_id}.ics")

    @router.get("/courses/{course_id}/handout", response_class=HTMLResponse)
    def handout(course_id: int, session: SessionDep, user: Clinician, today: Today) -> Response:
        document, screen, plan, patient = documents.handout_inputs(session, user, course_id, today)
        page = patient_handout(
            document,
            screen,
            plan,
            patient_name=patient["name"],
            patient=patient,
            pdf_href=f"/courses/{course_id}/handout.pdf",
        )
        return HTMLResponse(page, headers=_NO_STORE)

    @router.get("/courses/{course_id}/handout.pdf")
    def handout_document(
        course_id: int, session: SessionDep, user: Clinician, today: Today
    ) -> Response:
        document, screen, plan, patient = documents.handout_inputs(session, user, course_id, today)
        return _pdf(
            lambda: handout_pdf(
                document, screen, plan, patient_name=patient["name"], patient=patient
            ),
            f"handout-course-{course_id}.pdf",
        )

    return router
