"""What the printed documents need, read once from the store (no SQL in the web layer).

`order_data` gathers an order with its patient (allergies, age), diagnosis, regimen
and cycle, the measurement its height and weight came from, the premedication of the
screen, the day's treat-criteria labs, and who signed, verified, prepared and gave it.
`worksheet_inputs` and `handout_inputs` do the same for the worksheet and the handout.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import (
    Administration,
    Measurement,
    Order,
    Patient,
    Preparation,
    User,
    Verification,
)
from inocds.clinical.course import build_course
from inocds.clinical.documents import parse_course
from inocds.clinical.validation import InputError
from inocds.services import courses, order_times, orders, patients

__all__ = ["handout_inputs", "order_data", "patient_block", "preparation_data", "worksheet_inputs"]

_LAB_KEYS = ("anc_per_mm3", "platelets_per_mm3", "bilirubin", "ast", "alt")
_DIAGNOSIS = {
    "cd22_positive": "CD22-positive",
    "relapsed_or_refractory": "relapsed or refractory",
    "b_cell_precursor_all": "B-cell precursor acute lymphoblastic leukemia (ALL)",
}


def _name(user: User | None) -> str:
    return "" if user is None else (user.full_name or user.username)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _iso(moment: dt.datetime | None) -> str | None:
    return None if moment is None else order_times.aware(moment).isoformat()


def patient_block(patient: Patient, on: dt.date | None = None) -> dict[str, Any]:
    """The patient as the documents print it."""
    return {
        "name": f"{patient.given_name} {patient.family_name}",
        "given_name": patient.given_name,
        "mrn": patient.mrn,
        "birth_date": patient.birth_date.isoformat(),
        "age_years": _age(patient.birth_date, on or dt.date.today()),
        "sex": patient.sex,
        "allergies": list(patient.allergies or []),
        "medications": list(patient.medications or []),
    }


def _diagnosis(patient: Patient) -> str:
    """`CD22-positive relapsed or refractory B-cell precursor ALL`, from the recorded facts."""
    facts = patient.diagnosis or {}
    known = [text for key, text in _DIAGNOSIS.items() if facts.get(key) is True]
    missing = [key for key in _DIAGNOSIS if facts.get(key) is None]
    text = " ".join(known) or "not recorded"
    if missing and known:
        text += " (not recorded: " + ", ".join(m.replace("_", " ") for m in missing) + ")"
    return text


def _regimen(document: dict[str, Any], cycle: int) -> dict[str, Any]:
    """The cycle's start, length and doses as the course engine reads them."""
    try:
        state = build_course(parse_course(document))
    except (InputError, ValueError, TypeError, KeyError):
        return {}
    found = state.cycles.get(cycle)
    if found is None:
        return {"name": "inotuzumab ozogamicin monotherapy"}
    regimen = found.regimen
    schedule = ", ".join(f"day {day}: {amount:g} mg/m²" for day, amount in regimen.doses)
    return {
        "name": f"inotuzumab ozogamicin monotherapy ({regimen.level} dose level)",
        "cycle_start": found.start.isoformat() if found.start else None,
        "cycle_length_days": regimen.length_days,
        "schedule": schedule,
    }


def _labs(document: dict[str, Any], on: dt.date) -> dict[str, Any]:
    """The latest value of each treat-criteria lab on or before `on`, with its date."""
    found: dict[str, Any] = {}
    pre = (document.get("patient") or {}).get("pretreatment") or {}
    for key in _LAB_KEYS:
        if key in pre:
            found[key] = {"value": pre[key], "date": "before the course"}
    dated = [
        e
        for e in document.get("events") or []
        if e.get("type") in ("labs", "cycle_start") and str(e.get("date", "")) <= on.isoformat()
    ]
    for event in sorted(dated, key=lambda e: str(e.get("date"))):
        for key in _LAB_KEYS:
            if key in event:
                found[key] = {"value": event[key], "date": event.get("date")}
    for entry in found.values():
        value = entry["value"]
        if isinstance(value, dict) and value.get("uln"):
            entry["x_uln"] = float(value["value"]) / float(value["uln"])
    return found


def _measurement(session: Session, order: Order, patient_id: int) -> dict[str, Any] | None:
    """The measurement the order's height and weight came from (latest match before signing)."""
    signed = order_times.aware(order.signed_at).date()
    row = session.scalars(
        select(Measurement)
        .where(
            Measurement.patient_id == patient_id,
            Measurement.height_cm == order.height_cm,
            Measurement.weight_kg == order.weight_kg,
            Measurement.measured_on <= signed,
        )
        .order_by(Measurement.measured_on.desc(), Measurement.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    return {"measured_on": row.measured_on.isoformat(), "weight_kg": row.weight_kg}


def preparation_data(session: Session, preparation: Preparation) -> dict[str, Any]:
    """The recorded compounding with its stored beyond-use clock."""
    return {
        "pharmacist": _name(session.get(User, preparation.pharmacist_id)),
        "reconstituted_at": _iso(preparation.reconstituted_at),
        "diluted_at": _iso(preparation.diluted_at),
        "refrigerated": preparation.refrigerated,
        "vial_lots": list(preparation.vial_lots or []),
        "prepared_at": _iso(preparation.prepared_at),
        "beyond_use": dict(preparation.worksheet or {}),
    }


def _administration(session: Session, order_id: int) -> dict[str, Any] | None:
    row = session.scalar(select(Administration).where(Administration.order_id == order_id))
    if row is None:
        return None
    reaction = row.reaction or None
    return {
        "nurse": _name(session.get(User, row.nurse_id)),
        "started_at": _iso(row.started_at),
        "ended_at": _iso(row.ended_at),
        "reaction": None if not reaction else ", ".join(f"{k}: {v}" for k, v in reaction.items()),
    }


def _verification(session: Session, order_id: int) -> dict[str, Any] | None:
    row = session.scalar(select(Verification).where(Verification.order_id == order_id))
    if row is None:
        return None
    return {
        "pharmacist": _name(session.get(User, row.pharmacist_id)),
        "verified_at": _iso(row.verified_at),
        "height_cm": row.height_cm,
        "weight_kg": row.weight_kg,
        "dose_mg": row.dose_mg,
    }


def order_data(session: Session, user: User, order_id: int) -> dict[str, Any]:
    """Everything `reports.order_pdf` prints for one order (clinical roles)."""
    order = orders.get_order(session, user, order_id)
    course = courses.get_course(session, user, order.course_id)
    patient = patients.get_patient(session, user, course.patient_id)
    on = order.scheduled_on
    document = courses.course_document(session, user, course.id, on)
    try:
        premedication = courses.screen(session, user, course.id, on).get("premedication_details")
    except InputError:
        premedication = None
    preparation = session.scalar(select(Preparation).where(Preparation.order_id == order.id))
    return {
        "id": order.id,
        "status": order.status,
        "status_reason": order.status_reason,
        "cycle": order.cycle,
        "day": order.day,
        "scheduled_on": on.isoformat(),
        "height_cm": order.height_cm,
        "weight_kg": order.weight_kg,
        "bsa_m2": order.bsa_m2,
        "bsa_formula": patient.bsa_formula,
        "dose_mg_per_m2": order.dose_mg_per_m2,
        "dose_mg": order.dose_mg,
        "flagged": order.flagged,
        "override_reason": order.override_reason,
        "engine_decision": order.engine_decision,
        "signed_at": _iso(order.signed_at),
        "patient": patient_block(patient, on),
        "diagnosis": _diagnosis(patient),
        "regimen": _regimen(document, order.cycle),
        "measurement": _measurement(session, order, patient.id),
        "premedication": premedication,
        "labs": _labs(document, on),
        "course": {
            "id": course.id,
            "hsct_planned": course.hsct_planned,
            "start_weight_kg": course.start_weight_kg,
        },
        "prescriber": {"name": _name(session.get(User, order.prescriber_id))},
        "verification": _verification(session, order.id),
        "preparation": None if preparation is None else preparation_data(session, preparation),
        "administration": _administration(session, order.id),
    }


def worksheet_inputs(
    session: Session, user: User, order_id: int
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None]:
    """(order data, patient block, preparation data or None) of an order's worksheet."""
    data = order_data(session, user, order_id)
    return data, data["patient"], data["preparation"]


def handout_inputs(
    session: Session, user: User, course_id: int, today: dt.date
) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any] | None, dict[str, Any]]:
    """(course document, screen, plan or None, patient block) of a course's handout."""
    course = courses.get_course(session, user, course_id)
    patient = patients.get_patient(session, user, course.patient_id)
    document = courses.course_document(session, user, course_id, today)
    screen = courses.screen(session, user, course_id, today)
    try:
        plan: dict[str, Any] | None = courses.plan(session, user, course_id, today)
    except InputError:
        plan = None
    return document, screen, plan, patient_block(patient, today)


def plan_or_none(session: Session, user: User, course_id: int, today: dt.date) -> Any:
    """The engine's plan, or None when the course cannot be planned."""
    try:
        return courses.plan(session, user, course_id, today)
    except InputError:
        return None
