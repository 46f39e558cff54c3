"""FHIR import: a lab system's Bundle (transaction or batch) of Observations -> `labs` events.

Each Observation must name a stored patient (`subject`: `Patient/<id>`), carry a
LOINC code of a lab field (ANC, platelets, bilirubin, AST, ALT) and a UCUM unit this
project converts (adapters/fhir/units.py). Anything else refuses the whole Bundle
with an OperationOutcome naming each entry, before anything is stored. The values
of one patient and date become one `labs` event of the patient's latest course,
appended (and audited) like a lab result typed by hand; the import itself is audited.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import Course, User
from inocds.adapters.fhir.build import validated
from inocds.adapters.fhir.course import LAB_FIELDS
from inocds.adapters.fhir.observations import LabValue, Problem, field_value, read_observation
from inocds.clinical.validation import InputError
from inocds.services.audit import record
from inocds.services.courses import append_event
from inocds.services.errors import NotFound, ServiceError
from inocds.services.fhir_api import TAG
from inocds.services.patients import get_patient

__all__ = ["ImportRefused", "import_bundle"]


class ImportRefused(Exception):
    """The Bundle cannot be imported: HTTP status and `(severity, code, diagnostics)` issues."""

    def __init__(self, status_code: int, issues: list[tuple[str, str, str]]) -> None:
        super().__init__("; ".join(text for _, _, text in issues))
        self.status_code, self.issues = status_code, issues


class _Read(NamedTuple):
    patient_id: int
    value: LabValue


Issue = tuple[str, str, str]
"""An OperationOutcome issue: severity, code, diagnostics."""


def _patient_of(resource: dict[str, Any]) -> int | None:
    reference = str((resource.get("subject") or {}).get("reference") or "")
    raw = reference.removeprefix("Patient/")
    return int(raw) if reference.startswith("Patient/") and raw.isdigit() else None


def _read_entry(index: int, entry: Any) -> _Read | Issue:
    where = f"Bundle.entry[{index}]"
    resource = entry.get("resource") if isinstance(entry, dict) else None
    if not isinstance(resource, dict) or resource.get("resourceType") != "Observation":
        return ("error", "not-supported", f"{where}: only Observation resources are imported")
    try:
        validated(resource)
    except ValidationError as error:
        first = error.errors()[0]
        return (
            "error",
            "structure",
            f"{where}: not a valid Observation: {'.'.join(map(str, first['loc']))}: {first['msg']}",
        )
    patient_id = _patient_of(resource)
    if patient_id is None:
        return ("error", "required", f"{where}: subject must reference Patient/<id>")
    value = read_observation(resource, where)
    if value is None:
        codes = [
            f"{c.get('system')}|{c.get('code')}"
            for c in (resource.get("code") or {}).get("coding") or []
        ]
        return (
            "error",
            "code-invalid",
            f"{where}: code {', '.join(codes) or '(none)'} is not a lab this project reads",
        )
    if isinstance(value, Problem):
        return (
            "error",
            "value",
            value.message if value.where in value.message else f"{where}: {value.message}",
        )
    if value.field not in LAB_FIELDS:
        return ("error", "not-supported", f"{where}: {value.field} is not imported as a lab")
    return _Read(patient_id, value)


def _course_id(session: Session, actor: User, patient_id: int) -> int:
    get_patient(session, actor, patient_id)
    course = session.scalar(
        select(Course.id).where(Course.patient_id == patient_id).order_by(Course.id.desc())
    )
    if course is None:
        raise NotFound(f"patient {patient_id} has no course to add labs to", "subject")
    return course


def _append_all(
    session: Session, actor: User, groups: dict[tuple[int, dt.date], dict[str, Any]], today: dt.date
) -> dict[tuple[int, dt.date], int]:
    """Appends one labs event per patient and date; their ids."""
    locations: dict[tuple[int, dt.date], int] = {}
    for (patient_id, when), labs in sorted(groups.items()):
        course_id = _course_id(session, actor, patient_id)
        payload = {"type": "labs", "date": when.isoformat(), **labs}
        try:
            event = append_event(session, actor, course_id, payload, today)
        except InputError as error:
            raise ImportRefused(
                422,
                [
                    ("error", "invalid", f"Patient/{patient_id} {when}: {e.field}: {e.message}")
                    for e in error.errors
                ],
            ) from None
        locations[(patient_id, when)] = event.id
    return locations


def import_bundle(session: Session, actor: User, bundle: Any, today: dt.date) -> dict[str, Any]:
    """Imports the Bundle's Observations; the response Bundle (transaction-/batch-response)."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        raise ImportRefused(400, [("error", "structure", "the body must be a FHIR Bundle")])
    kind = bundle.get("type")
    if kind not in ("transaction", "batch"):
        raise ImportRefused(
            400, [("error", "not-supported", "Bundle.type must be transaction or batch")]
        )
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise ImportRefused(400, [("error", "structure", "Bundle.entry must be a list")])
    read = [_read_entry(i, e) for i, e in enumerate(entries)]
    issues = [r for r in read if not isinstance(r, _Read)]
    values = [r for r in read if isinstance(r, _Read)]
    if issues or not read:
        raise ImportRefused(422, issues or [("error", "required", "the Bundle has no entries")])
    groups: dict[tuple[int, dt.date], dict[str, Any]] = {}
    for patient_id, value in values:
        groups.setdefault((patient_id, value.date), {})[value.field] = field_value(value)
    try:
        locations = _append_all(session, actor, groups, today)
    except (ImportRefused, ServiceError):
        session.rollback()  # all or nothing: no labs event of this Bundle stays stored
        raise
    record(
        session,
        actor.id,
        "fhir.import",
        "course_event",
        None,
        None,
        {"bundle_type": kind, "observations": len(read), "events": sorted(locations.values())},
    )
    entries = [
        {
            "response": {
                "status": "201 Created",
                "location": f"Observation/e{locations[(p, v.date)]}-{TAG[v.field]}",
            }
        }
        for p, v in values
    ]
    return validated({"resourceType": "Bundle", "type": f"{kind}-response", "entry": entries})
