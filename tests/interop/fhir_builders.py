"""FHIR R4 resources as an EHR would send them (prefetch, draft orders, lab Bundles)."""

from __future__ import annotations

from typing import Any

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"


def quantity(value: float, unit: str) -> dict[str, Any]:
    """A UCUM Quantity."""
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def observation(
    code: str, value: float, unit: str, date: str, uln: float | None = None, oid: str = ""
) -> dict[str, Any]:
    """A final laboratory Observation with a LOINC code and, for liver tests, its ULN."""
    resource: dict[str, Any] = {
        "resourceType": "Observation",
        "id": oid or f"{code}-{date}",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": code}]},
        "subject": {"reference": "Patient/ehr-1"},
        "effectiveDateTime": date,
        "valueQuantity": quantity(value, unit),
    }
    if uln is not None:
        resource["referenceRange"] = [{"high": quantity(uln, unit)}]
    return resource


def patient(identifier: str = "EHR-0001", birth_date: str = "1970-02-03") -> dict[str, Any]:
    """The EHR's Patient."""
    return {
        "resourceType": "Patient",
        "id": "ehr-1",
        "identifier": [{"system": "urn:oid:1.2.3.4", "value": identifier}],
        "birthDate": birth_date,
        "gender": "male",
    }


def labs(date: str, anc: float = 1800, anc_unit: str = "/uL", platelets: float = 60000) -> list:
    """A full pre-dose panel: ANC, platelets, bilirubin, AST, ALT (with ULNs)."""
    return [
        observation("751-8", anc, anc_unit, date),
        observation("777-3", platelets, "/uL", date),
        observation("1975-2", 0.8, "mg/dL", date, uln=1.2),
        observation("1920-8", 30, "U/L", date, uln=40),
        observation("1742-6", 25, "U/L", date, uln=40),
    ]


def body(date: str, height_cm: float = 170, weight_kg: float = 60) -> list:
    """Height and weight."""
    return [
        observation("8302-2", height_cm, "cm", date),
        observation("29463-7", weight_kg, "kg", date),
    ]


def searchset(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A search Bundle, as prefetch carries it."""
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "total": len(resources),
        "entry": [{"resource": r} for r in resources],
    }


INOTUZUMAB = {
    "coding": [
        {
            "system": "http://www.nlm.nih.gov/research/umls/rxnorm",
            "display": "inotuzumab ozogamicin",
        }
    ],
    "text": "inotuzumab ozogamicin",
}


def medication_request(
    name: str = "", dose_mg: float | None = None, rid: str = "draft-1", status: str = "draft"
) -> dict[str, Any]:
    """A MedicationRequest: the drug (default) with an absolute dose, or another medication."""
    resource: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "id": rid,
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {"text": name} if name else INOTUZUMAB,
        "subject": {"reference": "Patient/ehr-1"},
    }
    if dose_mg is not None:
        resource["dosageInstruction"] = [
            {"doseAndRate": [{"doseQuantity": quantity(dose_mg, "mg")}]}
        ]
    return resource


def administration(date: str, dose_mg: float, aid: str) -> dict[str, Any]:
    """A completed MedicationAdministration of the drug."""
    return {
        "resourceType": "MedicationAdministration",
        "id": aid,
        "status": "completed",
        "medicationCodeableConcept": INOTUZUMAB,
        "subject": {"reference": "Patient/ehr-1"},
        "effectiveDateTime": date,
        "dosage": {"dose": quantity(dose_mg, "mg")},
    }


def hook_request(
    hook: str, prefetch: dict[str, Any] | None, draft: list | None = None, **extra: Any
) -> dict[str, Any]:
    """A CDS Hooks request as an EHR sends it."""
    context: dict[str, Any] = {"userId": "Practitioner/1", "patientId": "ehr-1"}
    if draft is not None:
        context["draftOrders"] = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": r} for r in draft],
        }
    body: dict[str, Any] = {
        "hook": hook,
        "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
        "context": context,
        **extra,
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    return body
