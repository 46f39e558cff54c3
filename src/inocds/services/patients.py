"""Patients and their measurements (height and weight over time).

Dates are checked against the calendar (issue 10): a birth date lies 0 to 120 years
back, a measurement is neither in the future nor before birth; the dosing weight of an
order is the latest measurement on or before its date. An update is one conditional
UPDATE on the version read (of concurrent updates of one version, one wins).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inocds.adapters.db.models import AuditEntry, Measurement, Patient, User
from inocds.adapters.db.roles import CLINICAL_ROLES, RECORDER_ROLES
from inocds.clinical.validation import FieldError, InputError
from inocds.protocol.schema import DEFAULT_BSA_FORMULA, TYPO_GUARD
from inocds.services.access import require_role
from inocds.services.access_log import note_read
from inocds.services.audit import record, to_json
from inocds.services.errors import Conflict, NotFound

__all__ = [
    "PatientInput",
    "create_patient",
    "get_patient",
    "latest_measurement",
    "list_measurements",
    "list_patients",
    "stale_patient_message",
    "store_measurement",
    "update_patient",
]

MAX_AGE_YEARS = TYPO_GUARD.max_age_years
"""A birth date further back than this is a typing error (issue 10; protocol/schema.toml)."""


def _printable_problems(fields: dict[str, Any]) -> list[FieldError]:
    """Text fields with control characters (NUL, CR, …) are refused."""
    return [
        FieldError(name, "must not contain control characters")
        for name, value in fields.items()
        if isinstance(value, str) and any(ord(c) < 32 or 127 <= ord(c) < 160 for c in value)
    ]


def _date_problems(
    birth_date: dt.date, measured_on: dt.date | None, today: dt.date
) -> list[FieldError]:
    """Birth 0-120 years back; a measurement on or before today and on or after birth."""
    errors = []
    try:
        oldest = today.replace(year=today.year - MAX_AGE_YEARS)
    except ValueError:  # 29 February
        oldest = today.replace(year=today.year - MAX_AGE_YEARS, day=28)
    if not oldest <= birth_date <= today:
        errors.append(
            FieldError(
                "birth_date", f"must lie between {oldest} and {today} (0-{MAX_AGE_YEARS} years)"
            )
        )
    if measured_on is not None and measured_on > today:
        errors.append(FieldError("measured_on", f"must not be in the future (today is {today})"))
    elif measured_on is not None and measured_on < birth_date:
        errors.append(FieldError("measured_on", f"must not be before birth ({birth_date})"))
    return errors


@dataclass(frozen=True)
class PatientInput:
    """A new patient as entered (validated by the shell)."""

    mrn: str
    family_name: str
    given_name: str
    birth_date: dt.date
    sex: str
    height_cm: float
    weight_kg: float
    measured_on: dt.date
    can_become_pregnant: bool | None = None
    bsa_formula: str = DEFAULT_BSA_FORMULA
    history: dict[str, Any] | None = None
    diagnosis: dict[str, Any] | None = None
    medications: tuple[str, ...] = ()
    allergies: tuple[str, ...] = ()


def create_patient(
    session: Session, actor: User, data: PatientInput, today: dt.date | None = None
) -> Patient:
    """Registers a patient with a first measurement (physician or nurse)."""
    require_role(actor, *RECORDER_ROLES)
    today = today or dt.date.today()
    texts = {"mrn": data.mrn, "family_name": data.family_name, "given_name": data.given_name}
    errors = _printable_problems(texts) + _date_problems(data.birth_date, data.measured_on, today)
    if errors:
        raise InputError(errors)
    if session.scalar(select(Patient.id).where(Patient.mrn == data.mrn)) is not None:
        raise Conflict(f"a patient with MRN {data.mrn!r} already exists", "mrn")
    patient = Patient(
        mrn=data.mrn,
        family_name=data.family_name,
        given_name=data.given_name,
        birth_date=data.birth_date,
        sex=data.sex,
        can_become_pregnant=data.can_become_pregnant,
        bsa_formula=data.bsa_formula,
        history=dict(data.history or {}),
        diagnosis=dict(data.diagnosis or {}),
        medications=list(data.medications),
        allergies=list(data.allergies),
        created_by=actor.id,
    )
    session.add(patient)
    session.flush()
    record(session, actor.id, "patient.create", "patient", patient.id, None, to_json(patient))
    store_measurement(
        session, actor, patient.id, data.measured_on, data.height_cm, data.weight_kg, today
    )
    return patient


def update_patient(
    session: Session, actor: User, patient_id: int, version: int, changes: dict[str, Any]
) -> Patient:
    """Changes patient fields with an optimistic version check.

    A stale `version` raises Conflict saying who changed which fields since (from the
    audit trail); nothing is written then. An MRN already used by another patient and a
    birth date after a recorded measurement are refused.
    """
    require_role(actor, *RECORDER_ROLES)
    patient = get_patient(session, actor, patient_id)
    stale = Conflict(
        f"patient {patient_id} changed since version {version} (now {patient.version})",
        "version",
    )
    if patient.version != version:
        raise Conflict(stale_patient_message(session, patient, version), "version")
    errors = _printable_problems(changes)
    if errors:
        raise InputError(errors)
    mrn = changes.get("mrn")
    if mrn is not None and mrn != patient.mrn:
        taken = session.scalar(
            select(Patient.id).where(Patient.mrn == mrn, Patient.id != patient_id)
        )
        if taken is not None:
            raise Conflict(f"a patient with MRN {mrn!r} already exists", "mrn")
    born = changes.get("birth_date")
    if born is not None:
        first = session.scalar(
            select(Measurement.measured_on)
            .where(Measurement.patient_id == patient_id)
            .order_by(Measurement.measured_on)
            .limit(1)
        )
        if first is not None and born > first:
            raise Conflict(
                f"the birth date {born.isoformat()} is after the first recorded height and "
                f"weight ({first.isoformat()})",
                "birth_date",
            )
    before = to_json(patient)
    if all(getattr(patient, name) == value for name, value in changes.items()):
        return patient  # nothing changed: no new version, no audit entry
    done = session.execute(
        update(Patient)
        .where(Patient.id == patient_id, Patient.version == version)
        .values(**changes, version=version + 1)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        raise stale  # another writer won between the read and this conditional write
    session.refresh(patient)
    record(session, actor.id, "patient.update", "patient", patient.id, before, to_json(patient))
    return patient


def stale_patient_message(session: Session, patient: Patient, version: int) -> str:
    """Who changed which fields of `patient` after `version` (for a 409)."""
    entries = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity == "patient",
            AuditEntry.entity_id == patient.id,
            AuditEntry.action == "patient.update",
        )
        .order_by(AuditEntry.id)
    ).all()
    later = [
        e for e in entries if isinstance(e.before, dict) and e.before.get("version", 0) >= version
    ]
    if not later:
        return (
            f"this patient was changed by someone else since you opened it (version {version}, "
            f"now {patient.version}); reload the page and enter your change again"
        )
    names: list[str] = []
    fields: list[str] = []
    for entry in later:
        who = session.get(User, entry.actor_id) if entry.actor_id is not None else None
        name = (who.full_name or who.username) if who is not None else "an unknown user"
        if name not in names:
            names.append(name)
        before, after = entry.before or {}, entry.after or {}
        for key in sorted(set(before) | set(after)):
            if key != "version" and before.get(key) != after.get(key) and key not in fields:
                fields.append(key)
    at = later[-1].at if later[-1].at.tzinfo is not None else later[-1].at.replace(tzinfo=dt.UTC)
    what = ", ".join(f.replace("_", " ") for f in fields) or "no field"
    return (
        f"{' and '.join(names)} changed this patient since you opened it "
        f"(last at {at.isoformat(timespec='minutes')}): {what}. "
        "Reload the page to see their change, then enter yours again"
    )


def get_patient(session: Session, actor: User, patient_id: int) -> Patient:
    """One patient (clinical roles)."""
    require_role(actor, *CLINICAL_ROLES)
    patient = session.get(Patient, patient_id)
    if patient is None:
        raise NotFound(f"no patient {patient_id}", "patient_id")
    note_read(actor.id, patient_id)
    return patient


def list_patients(session: Session, actor: User) -> list[Patient]:
    """Every patient, by family name (clinical roles)."""
    require_role(actor, *CLINICAL_ROLES)
    note_read(actor.id, None)
    return list(session.scalars(select(Patient).order_by(Patient.family_name, Patient.id)))


def store_measurement(
    session: Session,
    actor: User,
    patient_id: int,
    measured_on: dt.date,
    height_cm: float,
    weight_kg: float,
    today: dt.date | None = None,
) -> Measurement:
    """Stores height and weight on a date (clinical roles), nothing else.

    The use case is `measurements.add_measurement`, which also sends back the open orders
    a weight change affects; only a new patient (who has no orders) is measured here.
    """
    require_role(actor, *CLINICAL_ROLES)
    patient = get_patient(session, actor, patient_id)
    errors = [
        e
        for e in _date_problems(patient.birth_date, measured_on, today or dt.date.today())
        if e.field != "birth_date"
    ]
    if errors:
        raise InputError(errors)
    measurement = Measurement(
        patient_id=patient_id,
        measured_on=measured_on,
        height_cm=height_cm,
        weight_kg=weight_kg,
        recorded_by=actor.id,
    )
    session.add(measurement)
    session.flush()
    record(
        session,
        actor.id,
        "measurement.create",
        "measurement",
        measurement.id,
        None,
        to_json(measurement),
    )
    return measurement


def list_measurements(session: Session, actor: User, patient_id: int) -> list[Measurement]:
    """A patient's measurements, oldest first."""
    get_patient(session, actor, patient_id)
    return list(
        session.scalars(
            select(Measurement)
            .where(Measurement.patient_id == patient_id)
            .order_by(Measurement.measured_on, Measurement.id)
        )
    )


def latest_measurement(
    session: Session, patient_id: int, on_or_before: dt.date | None = None
) -> Measurement:
    """The most recent measurement of a patient (by date, then entry), on or before a date."""
    query = select(Measurement).where(Measurement.patient_id == patient_id)
    if on_or_before is not None:
        query = query.where(Measurement.measured_on <= on_or_before)
    found = session.scalars(
        query.order_by(Measurement.measured_on.desc(), Measurement.id.desc()).limit(1)
    ).first()
    if found is None:
        when = "" if on_or_before is None else f" on or before {on_or_before}"
        raise NotFound(
            f"patient {patient_id} has no height and weight recorded{when}", "measurements"
        )
    return found
