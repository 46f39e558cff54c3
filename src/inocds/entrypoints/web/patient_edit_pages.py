"""The edit-patient page: GET and POST /patients/{patient_id}/edit (physician or nurse).

Demographics, VOD history, diagnosis, co-medications and allergies, with the input
names of the new-patient form plus `allergies` (one per line) and `version`. The
change goes through the API's `PatientUpdate` model and `services.patients`; a stale
`version` comes back with who changed which fields since (409), the values typed are
kept, and the version moves on so that a second send, after reading, saves them.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse
from pydantic import ValidationError

from inocds.clinical.validation import InputError
from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.api.patients_router import PatientUpdate
from inocds.entrypoints.web.forms import Form, pydantic_errors
from inocds.entrypoints.web.kit import (
    Login,
    PageRefusal,
    PageRoute,
    PostedForm,
    WebLogin,
    render,
)
from inocds.entrypoints.web.payloads import PATIENT_INPUTS, patient_details
from inocds.services import patients
from inocds.services.errors import Conflict, NotFound, ServiceError
from inocds.services.records import RECORDER_ROLES

__all__ = ["EDIT_INPUTS", "patient_edit_pages"]

EDIT_INPUTS = (PATIENT_INPUTS - {"height_cm", "weight_kg", "measured_on"}) | {
    "allergies",
    "version",
}
"""The input names of the edit form (the new-patient form's, less the measurement)."""

_REQUIRED = ("mrn", "family_name", "given_name", "birth_date", "sex", "version")
_TRISTATE: dict[Any, str] = {True: "yes", False: "no"}


def _require_editor(login: Login) -> None:
    if login.user.role not in RECORDER_ROLES:
        raise PageRefusal(403, "Only physician or nurse accounts may change a patient.")


def stored_values(patient: Any) -> dict[str, str]:
    """The form's values as stored (checkboxes "on", tri-states "yes"/"no"/"")."""
    history = patient.history or {}
    diagnosis = patient.diagnosis or {}
    values = {
        "mrn": patient.mrn,
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "can_become_pregnant": _TRISTATE.get(patient.can_become_pregnant, ""),
        "bsa_formula": patient.bsa_formula,
        "history_salvage_line": str(history.get("salvage_line") or ""),
        "medications": "\n".join(patient.medications or []),
        "allergies": "\n".join(patient.allergies or []),
        "version": str(patient.version),
    }
    for key in ("prior_hsct", "liver_disease", "prior_vod"):
        if history.get(key):
            values[f"history_{key}"] = "on"
    for key in ("cd22_positive", "b_cell_precursor_all", "relapsed_or_refractory"):
        values[f"diagnosis_{key}"] = _TRISTATE.get(diagnosis.get(key), "")
    return values


def update_body(form: Form, today: dt.date) -> dict[str, Any]:
    """The API's PatientUpdate body from the edit form (a bad value goes beside its field)."""
    data = patient_details(form, today)
    data["version"] = form.values.get("version", "").strip() or None
    return data


def _page(
    request: Request,
    login: Login,
    patient: Any,
    form: Form,
    status_code: int = 200,
    stored: dict[str, str] | None = None,
) -> HTMLResponse:
    return render(
        request,
        "patient_edit.html",
        login,
        status_code,
        patient=patient,
        form=form,
        stored=stored or {},
    )


def _differences(typed: dict[str, str], stored: dict[str, str]) -> dict[str, str]:
    """The stored values that differ from what was typed (to show beside a 409)."""
    return {
        key: value
        for key, value in stored.items()
        if key != "version" and typed.get(key, "").strip() != value.strip()
    }


def _save(session: Any, login: Login, patient_id: int, form: Form, today: dt.date) -> int:
    """Validates and saves the form: 0, or the status with the errors beside their fields."""
    for name in _REQUIRED:
        if not form.values.get(name, "").strip():
            form.error(name, "is required")
    if form.failed:
        return 422
    data = update_body(form, today)
    if form.failed:
        return 422
    try:
        body = PatientUpdate.model_validate(data)
    except ValidationError as error:
        form.add_field_errors(pydantic_errors(error))
        return 422
    if body.birth_date is not None and body.birth_date > today:
        form.error("birth_date", "must not be in the future")
        return 422
    changes = body.model_dump(exclude={"version"}, exclude_unset=True)
    try:
        patients.update_patient(session, login.user, patient_id, body.version, changes)
    except (ServiceError, InputError) as refusal:
        if isinstance(refusal, NotFound):
            raise
        session.rollback()
        form.refuse(refusal)
        stale = isinstance(refusal, Conflict) and refusal.field == "version"
        return 409 if stale else getattr(refusal, "status_code", 422)
    return 0


def patient_edit_pages() -> APIRouter:
    """The edit-patient routes."""
    router = APIRouter(include_in_schema=False, route_class=PageRoute)

    @router.get("/patients/{patient_id}/edit", response_class=HTMLResponse)
    def edit_form(
        request: Request, session: SessionDep, login: WebLogin, patient_id: int
    ) -> Response:
        _require_editor(login)
        patient = patients.get_patient(session, login.user, patient_id)
        return _page(request, login, patient, Form("patient", values=stored_values(patient)))

    @router.post("/patients/{patient_id}/edit", response_class=HTMLResponse)
    def edit(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        patient_id: int,
        today: Today,
    ) -> Response:
        _require_editor(login)
        patients.get_patient(session, login.user, patient_id)
        form = Form("patient", values=dict(posted), inputs=EDIT_INPUTS)
        status = _save(session, login, patient_id, form, today)
        if status == 0:
            return RedirectResponse(f"/patients/{patient_id}?saved=patient_updated", 303)
        patient = patients.get_patient(session, login.user, patient_id)
        stored: dict[str, str] = {}
        if status == Conflict.status_code:
            current = stored_values(patient)
            stored = _differences(form.values, current)
            form.values["version"] = current["version"]
        return _page(request, login, patient, form, status, stored)

    return router
