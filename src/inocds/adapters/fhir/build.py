"""FHIR R4 resources built and validated with the `fhir.resources` model library.

`fhir.resources` >= 7 carries R4B (4.3.0) as its R4-line package; for the resources
used here (Patient, Observation, MedicationRequest, MedicationAdministration,
CarePlan, PlanDefinition, Bundle, CapabilityStatement, OperationOutcome) R4B's shape
is R4's. The tests also check every Bundle against fhirclient's R4 (4.0.1) models.
"""

from __future__ import annotations

import copy
from typing import Any

from fhir.resources.R4B import get_fhir_model_class

__all__ = ["FHIR_VERSION", "invalid_reason", "operation_outcome", "validated", "with_dose"]

FHIR_VERSION = "4.0.1"


def validated(resource: dict[str, Any]) -> dict[str, Any]:
    """The resource after validation by its model (raises pydantic's ValidationError)."""
    model = get_fhir_model_class(str(resource["resourceType"]))
    built = model.model_validate(resource)
    out: dict[str, Any] = built.model_dump(mode="json", exclude_none=True)
    return out


def invalid_reason(resource: Any) -> str | None:
    """Why `resource` is not a valid FHIR resource (None when it is)."""
    if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
        return "not a FHIR resource (no resourceType)"
    where = f"{resource['resourceType']}/{resource.get('id', '?')}"
    try:
        validated(resource)
    except ValueError as error:  # pydantic's ValidationError, or an unknown resourceType
        errors = getattr(error, "errors", None)
        if callable(errors):
            first = errors()[0]
            location = ".".join(str(part) for part in first["loc"])
            return f"{where}: {location}: {first['msg']}"
        return f"{where}: {error}"
    return None


def operation_outcome(issues: list[tuple[str, str, str]]) -> dict[str, Any]:
    """An OperationOutcome of `(severity, code, diagnostics)` issues."""
    return validated(
        {
            "resourceType": "OperationOutcome",
            "issue": [
                {"severity": severity, "code": code, "diagnostics": text}
                for severity, code, text in issues
            ],
        }
    )


def with_dose(
    draft: dict[str, Any], dose_mg: float, dose_mg_per_m2: float | None
) -> dict[str, Any]:
    """The draft MedicationRequest with its dose set to the protocol's (mg, and mg/m2 if given)."""
    resource = copy.deepcopy(draft)
    instructions = resource.setdefault("dosageInstruction", [{}]) or [{}]
    resource["dosageInstruction"] = instructions
    rates = instructions[0].setdefault("doseAndRate", [])
    replaced = False
    for rate in rates:
        quantity = rate.get("doseQuantity") or {}
        unit = quantity.get("code") or quantity.get("unit")
        if unit == "mg":
            quantity["value"], replaced = dose_mg, True
        elif unit == "mg/m2" and dose_mg_per_m2 is not None:
            quantity["value"] = dose_mg_per_m2
    if not replaced:
        rates.append(
            {
                "type": _dose_rate_type("calculated"),
                "doseQuantity": _mg(dose_mg),
            }
        )
    return validated(resource)


def _mg(value: float, code: str = "mg") -> dict[str, Any]:
    return {"value": value, "unit": code, "system": "http://unitsofmeasure.org", "code": code}


def _dose_rate_type(code: str) -> dict[str, Any]:
    return {
        "coding": [
            {
                "system": "http://terminology.hl7.org/CodeSystem/dose-rate-type",
                "code": code,
                "display": code.title(),
            }
        ]
    }
