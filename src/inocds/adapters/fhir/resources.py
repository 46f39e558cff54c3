"""The stored data as FHIR R4 resources, each validated by `fhir.resources` (see build.py).

Ids: `Patient/<patient id>`, `Observation/m<measurement id>-<field>` (height, weight),
`Observation/e<event id>-<field>` (labs and cycle_start counts),
`Observation/c<course id>-pre-<field>` (pretreatment values), `MedicationRequest/<order id>`,
`MedicationAdministration/e<dose event id>`, `CarePlan/<course id>`.
Units: cell counts per microlitre (UCUM `/uL`), bilirubin mg/dL, AST/ALT U/L.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.adapters.fhir.build import validated
from inocds.adapters.fhir.course import CYCLE_EXTENSION, DAY_EXTENSION, DOSE_PER_M2_EXTENSION
from inocds.adapters.fhir.observations import LOINC, UCUM
from inocds.protocol.interop import load_interop

__all__ = [
    "DRUG",
    "MRN_SYSTEM",
    "bundle",
    "care_plan",
    "medication_administration",
    "medication_request",
    "observation",
    "patient",
]

MRN_SYSTEM = "urn:inocds:mrn"
MCODE_REQUEST = (
    "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-cancer-related-medication-request"
)
DRUG = {"text": "inotuzumab ozogamicin", "coding": [{"display": "inotuzumab ozogamicin"}]}
_UNIT = {"count": "/uL", "bilirubin": "mg/dL", "liver": "U/L", "height_cm": "cm", "weight_kg": "kg"}
_ORDER_STATUS = {
    "signed": "active",
    "verified": "active",
    "prepared": "active",
    "administered": "completed",
    "returned": "stopped",
    "cancelled": "cancelled",
}


def instant(moment: dt.datetime) -> str:
    """A FHIR dateTime with its offset (a stored naive time is UTC), to the second."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)
    return aware.astimezone(dt.UTC).replace(microsecond=0).isoformat()


def _quantity(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _first_code(field: str) -> tuple[str, str, str]:
    for entry in load_interop().loinc.values():
        if entry.field == field:
            return entry.code, entry.display, entry.kind
    raise KeyError(field)


def patient(row: Any) -> dict[str, Any]:
    """Patient from a stored patient row."""
    return validated(
        {
            "resourceType": "Patient",
            "id": str(row.id),
            "identifier": [{"system": MRN_SYSTEM, "value": row.mrn}],
            "name": [{"family": row.family_name, "given": [row.given_name]}],
            "gender": row.sex if row.sex in ("female", "male", "other") else "unknown",
            "birthDate": row.birth_date.isoformat(),
        }
    )


def observation(
    oid: str, patient_id: int, field: str, value: Any, when: dt.date | str
) -> dict[str, Any]:
    """An Observation of one course-document value (a liver test's ULN as referenceRange.high)."""
    code, display, kind = _first_code(field)
    unit = _UNIT[kind]
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid,
        "status": "final",
        "category": [
            {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/observation-category",
                        "code": "vital-signs"
                        if kind in ("height_cm", "weight_kg")
                        else "laboratory",
                    }
                ]
            }
        ],
        "code": {"coding": [{"system": LOINC, "code": code, "display": display}], "text": display},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": str(when)[:10],
    }
    if isinstance(value, dict):
        resource["valueQuantity"] = _quantity(float(value["value"]), unit)
        resource["referenceRange"] = [{"high": _quantity(float(value["uln"]), unit)}]
    else:
        resource["valueQuantity"] = _quantity(float(value), unit)
    return validated(resource)


def _extensions(cycle: int, day: int, dose_mg_per_m2: float | None) -> list[dict[str, Any]]:
    out = [
        {"url": CYCLE_EXTENSION, "valuePositiveInt": cycle},
        {"url": DAY_EXTENSION, "valuePositiveInt": day},
    ]
    if dose_mg_per_m2 is not None:
        out.append({"url": DOSE_PER_M2_EXTENSION, "valueDecimal": dose_mg_per_m2})
    return out


def _rate(code: str, value: float, unit: str) -> dict[str, Any]:
    system = "http://terminology.hl7.org/CodeSystem/dose-rate-type"
    return {
        "type": {"coding": [{"system": system, "code": code}]},
        "doseQuantity": _quantity(value, unit),
    }


def medication_request(order: Any, patient_id: int) -> dict[str, Any]:
    """An order as an mCODE-shaped CancerRelatedMedicationRequest: dose per m2 and absolute dose."""
    return validated(
        {
            "resourceType": "MedicationRequest",
            "id": str(order.id),
            "meta": {"profile": [MCODE_REQUEST]},
            "extension": _extensions(order.cycle, order.day, order.dose_mg_per_m2),
            "status": _ORDER_STATUS.get(order.status, "unknown"),
            "intent": "order",
            "medicationCodeableConcept": DRUG,
            "subject": {"reference": f"Patient/{patient_id}"},
            "authoredOn": instant(order.signed_at),
            "requester": {"display": f"user {order.prescriber_id}"},
            "dosageInstruction": [
                {
                    "text": f"cycle {order.cycle} day {order.day} on {order.scheduled_on}",
                    "timing": {"event": [order.scheduled_on.isoformat()]},
                    "route": {"text": "intravenous"},
                    "doseAndRate": [
                        _rate("ordered", order.dose_mg_per_m2, "mg/m2"),
                        _rate("calculated", order.dose_mg, "mg"),
                    ],
                }
            ],
        }
    )


def medication_administration(
    event_id: int, patient_id: int, payload: dict[str, Any], dose_mg: float | None
) -> dict[str, Any]:
    """A recorded dose event as a completed MedicationAdministration (cycle and day extensions)."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationAdministration",
        "id": f"e{event_id}",
        "extension": _extensions(payload["cycle"], payload["day"], payload["dose_mg_per_m2"]),
        "status": "completed",
        "medicationCodeableConcept": DRUG,
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": payload["date"],
    }
    if dose_mg is not None:
        resource["dosage"] = {"dose": _quantity(dose_mg, "mg")}
    return validated(resource)


def care_plan(
    course: Any, patient_id: int, status: str, plan: dict[str, Any], decision: dict[str, Any]
) -> dict[str, Any]:
    """A course and the engine's plan for its next cycle as a CarePlan."""
    activities = []
    for dose in plan.get("doses") or []:
        activities.append(
            {
                "detail": {
                    "kind": "MedicationRequest",
                    "instantiatesCanonical": [
                        "https://inocds.org/fhir/PlanDefinition/inotuzumab-ozogamicin"
                    ],
                    "status": "scheduled",
                    "description": f"cycle {plan.get('cycle')} day {dose['day']}: "
                    f"{dose['dose_mg_per_m2']} mg/m2 = {dose['dose_mg']} mg",
                    "scheduledString": f"{dose['date']} "
                    f"(from {dose['earliest']} to {dose['latest']})",
                    "productCodeableConcept": DRUG,
                    "dailyAmount": _quantity(float(dose["dose_mg"]), "mg"),
                }
            }
        )
    rules = ", ".join(str(r.get("rule")) for r in decision.get("reasons") or [])
    return validated(
        {
            "resourceType": "CarePlan",
            "id": str(course.id),
            "instantiatesCanonical": [
                "https://inocds.org/fhir/PlanDefinition/inotuzumab-ozogamicin"
            ],
            "status": status,
            "intent": "plan",
            "title": "Inotuzumab ozogamicin course",
            "description": f"Today: {decision.get('action')} (rules: {rules})",
            "subject": {"reference": f"Patient/{patient_id}"},
            "created": instant(course.created_at),
            "activity": activities,
        }
    )


def bundle(
    kind: str, resources: list[dict[str, Any]], base_url: str, self_url: str | None = None
) -> dict[str, Any]:
    """A Bundle (`searchset`, `collection` ...) of resources with their full URLs."""
    out: dict[str, Any] = {"resourceType": "Bundle", "type": kind}
    if kind == "searchset":
        out["total"] = len(resources)
    if self_url:
        out["link"] = [{"relation": "self", "url": self_url}]
    entries = []
    for resource in resources:
        entry: dict[str, Any] = {
            "fullUrl": f"{base_url}/{resource['resourceType']}/{resource['id']}",
            "resource": resource,
        }
        if kind == "searchset":
            entry["search"] = {"mode": "match"}
        entries.append(entry)
    out["entry"] = entries
    return validated(out)
