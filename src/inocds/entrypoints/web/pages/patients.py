"""Patients: the list (accent-insensitive search), registration, the patient page with its
height and weight and its courses, and opening a course."""

from __future__ import annotations

import datetime as dt
import unicodedata
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from inocds.clinical.validation import InputError
from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.api.patients_router import MeasurementCreate, PatientCreate
from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.kit import (
    Login,
    PostedForm,
    WebLogin,
    attempt,
    page_router,
    redirect,
    render,
    require,
)
from inocds.entrypoints.web.payloads import (
    COURSE_INPUTS,
    MEASUREMENT_INPUTS,
    PATIENT_INPUTS,
    liver_tests,
    measurement_payload,
    patient_payload,
)
from inocds.services import courses, measurements, patients
from inocds.services.records import RECORDER_ROLES, Session

__all__ = ["fold", "router"]

router = page_router()


def fold(text: str) -> str:
    """Text for matching: lower case, accents dropped ("Zoë" and "zoe" match)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


@router.get("/patients", response_class=HTMLResponse)
def patient_list(request: Request, session: SessionDep, login: WebLogin, q: str = "") -> Response:
    found = patients.list_patients(session, login.user)
    needle = fold(q.strip())
    if needle:
        found = [
            p
            for p in found
            if needle in fold(f"{p.family_name} {p.given_name} {p.mrn}")
            or needle in fold(f"{p.given_name} {p.family_name}")
        ]
    return render(request, "patients.html", login, patients=found, q=q)


@router.get("/patients/new", response_class=HTMLResponse)
def new_patient_form(request: Request, login: WebLogin, today: Today) -> Response:
    require(login, *RECORDER_ROLES)
    return render(request, "patient_new.html", login, form=Form("patient"), today=today)


@router.post("/patients/new", response_class=HTMLResponse)
def new_patient(
    request: Request, session: SessionDep, login: WebLogin, posted: PostedForm, today: Today
) -> Response:
    require(login, *RECORDER_ROLES)
    form = Form("patient", values=posted, inputs=PATIENT_INPUTS)
    body = form.validated(PatientCreate, patient_payload(form, today))
    patient = None
    if body is not None:
        data = patients.PatientInput(
            **body.model_dump(exclude={"history", "diagnosis", "medications", "allergies"}),
            history=body.history.model_dump(),
            diagnosis=body.diagnosis.model_dump(),
            medications=tuple(body.medications),
            allergies=tuple(body.allergies),
        )
        patient, _ = attempt(
            session, form, lambda: patients.create_patient(session, login.user, data, today)
        )
    if patient is None:
        status = 409 if form.conflict else 422
        return render(request, "patient_new.html", login, status, form=form, today=today)
    return redirect(f"/patients/{patient.id}?saved=patient")


@router.get("/patients/{patient_id}", response_class=HTMLResponse)
def patient_page(
    request: Request, session: SessionDep, login: WebLogin, patient_id: int, today: Today
) -> Response:
    return _patient_page(request, session, login, patient_id, today)


@router.post("/patients/{patient_id}/measurements", response_class=HTMLResponse)
def add_measurement(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    patient_id: int,
    today: Today,
) -> Response:
    form = Form("measurement", values=posted, inputs=MEASUREMENT_INPUTS)
    patient = patients.get_patient(session, login.user, patient_id)
    body = form.validated(MeasurementCreate, measurement_payload(form, today, patient.birth_date))
    measurement, status = None, 422
    if body is not None:
        measurement, status = attempt(
            session,
            form,
            lambda: measurements.add_measurement(
                session,
                login.user,
                patient_id,
                body.measured_on,
                body.height_cm,
                body.weight_kg,
                today,
            ),
        )
    if measurement is not None:
        return redirect(f"/patients/{patient_id}?saved=measurement#measurements")
    return _patient_page(request, session, login, patient_id, today, {"measurement": form}, status)


@router.post("/patients/{patient_id}/courses", response_class=HTMLResponse)
def open_course(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    patient_id: int,
    today: Today,
) -> Response:
    form = Form(
        "course",
        values=posted,
        inputs=COURSE_INPUTS,
        prefixes=("patient.pretreatment.", "pretreatment."),
        aliases={"patient.hsct_planned": "hsct_planned"},
    )
    hsct = form.choice("hsct_planned", ("yes", "no"), required=True)
    pretreatment: dict[str, Any] = {}
    for key in ("anc_per_mm3", "platelets_per_mm3"):
        value = form.count(key, required=True)
        if value is not None:
            pretreatment[key] = value
    blasts = form.count("peripheral_blasts_per_mm3")
    if blasts is not None:
        pretreatment["peripheral_blasts_per_mm3"] = blasts
    pretreatment.update(liver_tests(form))
    course, status = attempt(
        session,
        form,
        lambda: courses.create_course(
            session, login.user, patient_id, hsct == "yes", pretreatment, today
        ),
    )
    if course is not None:
        return redirect(f"/courses/{course.id}?saved=course")
    return _patient_page(request, session, login, patient_id, today, {"course": form}, status)


def _patient_page(
    request: Request,
    session: Session,
    login: Login,
    patient_id: int,
    today: dt.date,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    patient = patients.get_patient(session, login.user, patient_id)
    measurements = patients.list_measurements(session, login.user, patient_id)
    course_rows = []
    for course in courses.list_courses(session, login.user, patient_id):
        try:
            decision = courses.assess(session, login.user, course.id, today)
        except InputError:
            decision = None
        course_rows.append({"course": course, "decision": decision})
    forms = forms or {}
    return render(
        request,
        "patient.html",
        login,
        status_code,
        patient=patient,
        measurements=measurements,
        courses=course_rows,
        today=today,
        measurement_form=forms.get("measurement", Form("measurement")),
        course_form=forms.get("course", Form("course")),
    )
