"""Patients and measurements under /api/v1/patients (clinical roles)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from inocds.entrypoints.api.clock import Today
from inocds.entrypoints.api.deps import Clinician, Recorder, SessionDep
from inocds.entrypoints.api.fields import BsaFormula, HeightCm, SalvageLine, Sex, WeightKg
from inocds.protocol.schema import DEFAULT_BSA_FORMULA
from inocds.services import patients
from inocds.services.measurements import add_measurement
from inocds.services.records import Measurement, Patient

__all__ = ["patients_router"]


Allergy = Annotated[str, Field(min_length=1, max_length=200)]
"""One allergy as entered: the substance and, if known, the reaction."""


class History(BaseModel):
    """The VOD-relevant history (as in the course document)."""

    model_config = ConfigDict(extra="forbid")

    prior_hsct: bool = False
    liver_disease: bool = False
    prior_vod: bool = False
    salvage_line: SalvageLine | None = None


class Diagnosis(BaseModel):
    """The eligibility facts (true / false / unknown)."""

    model_config = ConfigDict(extra="forbid")

    cd22_positive: bool | None = None
    b_cell_precursor_all: bool | None = None
    relapsed_or_refractory: bool | None = None


class PatientCreate(BaseModel):
    """A new patient with a first height and weight."""

    model_config = ConfigDict(extra="forbid")

    mrn: str = Field(min_length=1, max_length=64, description="hospital identifier")
    family_name: str = Field(min_length=1, max_length=100)
    given_name: str = Field(min_length=1, max_length=100)
    birth_date: dt.date
    sex: Sex
    height_cm: HeightCm
    weight_kg: WeightKg
    measured_on: dt.date
    can_become_pregnant: bool | None = None
    bsa_formula: BsaFormula = DEFAULT_BSA_FORMULA
    history: History = Field(default_factory=lambda: History(salvage_line=None))
    diagnosis: Diagnosis = Field(default_factory=lambda: Diagnosis())
    medications: list[str] = Field(default_factory=list, max_length=200)
    allergies: list[Allergy] = Field(
        default_factory=list,
        max_length=100,
        description="allergies as entered, one per item (e.g. 'penicillin: rash'); "
        "empty: none recorded",
    )


class PatientUpdate(BaseModel):
    """Fields to change, with the version they were read at (stale: 409)."""

    model_config = ConfigDict(extra="forbid")

    version: int = Field(ge=1)
    mrn: str | None = Field(None, min_length=1, max_length=64)
    family_name: str | None = Field(None, min_length=1, max_length=100)
    given_name: str | None = Field(None, min_length=1, max_length=100)
    birth_date: dt.date | None = None
    sex: Sex | None = None
    bsa_formula: BsaFormula | None = None
    can_become_pregnant: bool | None = None
    history: History | None = None
    diagnosis: Diagnosis | None = None
    medications: list[str] | None = Field(None, max_length=200)
    allergies: list[Allergy] | None = Field(None, max_length=100)

    @model_validator(mode="after")
    def _no_null_for_required(self) -> PatientUpdate:
        """Only `can_become_pregnant` may be set to null (not known); others need a value."""
        for name in self.model_fields_set - {"version", "can_become_pregnant"}:
            if getattr(self, name) is None:
                raise PydanticCustomError("missing", f"{name} needs a value, not null")
        return self


class MeasurementCreate(BaseModel):
    """Height and weight on a date."""

    model_config = ConfigDict(extra="forbid")

    measured_on: dt.date
    height_cm: HeightCm
    weight_kg: WeightKg


def patient_json(patient: Patient, measurement: Measurement | None = None) -> dict[str, Any]:
    """The public view of a patient."""
    out: dict[str, Any] = {
        "id": patient.id,
        "mrn": patient.mrn,
        "family_name": patient.family_name,
        "given_name": patient.given_name,
        "birth_date": patient.birth_date.isoformat(),
        "sex": patient.sex,
        "can_become_pregnant": patient.can_become_pregnant,
        "bsa_formula": patient.bsa_formula,
        "history": patient.history,
        "diagnosis": patient.diagnosis,
        "medications": patient.medications,
        "allergies": list(patient.allergies or []),
        "version": patient.version,
    }
    if measurement is not None:
        out["latest_measurement"] = measurement_json(measurement)
    return out


def measurement_json(m: Measurement) -> dict[str, Any]:
    """The public view of a measurement."""
    return {
        "id": m.id,
        "measured_on": m.measured_on.isoformat(),
        "height_cm": m.height_cm,
        "weight_kg": m.weight_kg,
        "recorded_by": m.recorded_by,
    }


def patients_router() -> APIRouter:
    """Routes of /api/v1/patients."""
    router = APIRouter(prefix="/api/v1/patients", tags=["patients"])

    @router.get("", summary="Every patient")
    def list_all(session: SessionDep, user: Clinician) -> list[dict[str, Any]]:
        return [patient_json(p) for p in patients.list_patients(session, user)]

    @router.post("", status_code=201, summary="Register a patient (physician or nurse)")
    def create(
        body: PatientCreate, session: SessionDep, user: Recorder, today: Today
    ) -> dict[str, Any]:
        data = patients.PatientInput(
            **body.model_dump(exclude={"history", "diagnosis", "medications", "allergies"}),
            history=body.history.model_dump(),
            diagnosis=body.diagnosis.model_dump(),
            medications=tuple(body.medications),
            allergies=tuple(body.allergies),
        )
        patient = patients.create_patient(session, user, data, today)
        return patient_json(patient, patients.latest_measurement(session, patient.id))

    @router.get("/{patient_id}", summary="One patient with the latest measurement")
    def read(patient_id: int, session: SessionDep, user: Clinician) -> dict[str, Any]:
        patient = patients.get_patient(session, user, patient_id)
        return patient_json(patient, patients.latest_measurement(session, patient.id))

    @router.patch("/{patient_id}", summary="Change a patient (optimistic version check)")
    def update(
        patient_id: int, body: PatientUpdate, session: SessionDep, user: Recorder
    ) -> dict[str, Any]:
        changes = body.model_dump(exclude={"version"}, exclude_unset=True)
        patient = patients.update_patient(session, user, patient_id, body.version, changes)
        return patient_json(patient)

    @router.get("/{patient_id}/measurements", summary="Heights and weights over time")
    def measurements(patient_id: int, session: SessionDep, user: Clinician) -> list[dict[str, Any]]:
        return [measurement_json(m) for m in patients.list_measurements(session, user, patient_id)]

    @router.post("/{patient_id}/measurements", status_code=201, summary="Record height and weight")
    def measure(
        patient_id: int,
        body: MeasurementCreate,
        session: SessionDep,
        user: Clinician,
        today: Today,
    ) -> dict[str, Any]:
        m = add_measurement(
            session, user, patient_id, body.measured_on, body.height_cm, body.weight_kg, today
        )
        return measurement_json(m)

    return router
