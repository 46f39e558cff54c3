"""The protocol as a FHIR PlanDefinition, and the server's CapabilityStatement.

The PlanDefinition follows the shape of HL7's oncology example (regimen -> cycle
with its timing -> drug actions on days of the cycle, dose per m2); every number
comes from protocol/rules.toml, and each action cites its rule id and source.
"""

from __future__ import annotations

from typing import Any

from inocds import __version__
from inocds.adapters.fhir.build import FHIR_VERSION, validated
from inocds.protocol.loader import load_protocol

__all__ = ["PLAN_DEFINITION_ID", "SEARCH_PARAMS", "capability_statement", "plan_definition"]

PLAN_DEFINITION_ID = "inotuzumab-ozogamicin"
PLAN_DEFINITION_URL = f"https://inocds.org/fhir/PlanDefinition/{PLAN_DEFINITION_ID}"
REGIMENS = ("regimen.cycle1", "regimen.subsequent_cr", "regimen.subsequent_no_cr")
SEARCH_PARAMS: dict[str, dict[str, str]] = {
    "Patient": {
        "_id": "token",
        "identifier": "token",
        "name": "string",
        "family": "string",
        "given": "string",
        "birthdate": "date",
        "gender": "token",
    },
    "Observation": {
        "category": "token",
        "patient": "reference",
        "subject": "reference",
        "code": "token",
        "date": "date",
    },
    "MedicationRequest": {
        "patient": "reference",
        "subject": "reference",
        "status": "token",
        "date": "date",
    },
    "MedicationAdministration": {
        "patient": "reference",
        "subject": "reference",
        "effective-time": "date",
        "date": "date",
    },
    "CarePlan": {"patient": "reference", "subject": "reference"},
    "PlanDefinition": {"_id": "token"},
    "Condition": {"patient": "reference", "subject": "reference"},
}


def _cycle_action(rule_id: str) -> dict[str, Any]:
    rule = load_protocol()[rule_id]
    length = int(rule.number("cycle_length_days"))
    doses = []
    for day, amount in rule.day_doses():
        doses.append(
            {
                "title": f"day {day}: {amount} mg/m2",
                "description": f"inotuzumab ozogamicin {amount} mg/m2 IV on day {day}",
                # timingDuration: the time from the cycle's start (day 1) to this dose
                "timingDuration": {
                    "value": day - 1,
                    "unit": "d",
                    "system": "http://unitsofmeasure.org",
                    "code": "d",
                },
            }
        )
    return {
        "id": rule_id,
        "title": rule_id,
        "description": rule.statement,
        "documentation": [{"type": "citation", "citation": rule.source}],
        "timingTiming": {"repeat": {"duration": length, "durationUnit": "d"}},
        "action": doses,
    }


def plan_definition() -> dict[str, Any]:
    """The protocol's regimens as a PlanDefinition (clinical protocol)."""
    return validated(
        {
            "resourceType": "PlanDefinition",
            "id": PLAN_DEFINITION_ID,
            "url": PLAN_DEFINITION_URL,
            "version": __version__,
            "name": "InotuzumabOzogamicin",
            "title": "Inotuzumab ozogamicin (Besponsa) for relapsed or refractory B-cell ALL",
            "type": {
                "coding": [
                    {
                        "system": "http://terminology.hl7.org/CodeSystem/plan-definition-type",
                        "code": "clinical-protocol",
                    }
                ]
            },
            "status": "active",
            "description": "The regimens the inocds engine applies (protocol/rules.toml); "
            "each action names its rule id and source.",
            "action": [_cycle_action(rule_id) for rule_id in REGIMENS],
        }
    )


def capability_statement(base_url: str) -> dict[str, Any]:
    """What this FHIR server does: reads and searches, the lab import, $everything."""
    resources = []
    for kind, params in SEARCH_PARAMS.items():
        entry: dict[str, Any] = {
            "type": kind,
            "interaction": [{"code": "read"}, {"code": "search-type"}],
            "searchParam": [{"name": n, "type": t} for n, t in params.items()],
        }
        if kind == "Patient":
            entry["operation"] = [
                {
                    "name": "everything",
                    "definition": "http://hl7.org/fhir/OperationDefinition/Patient-everything",
                }
            ]
        resources.append(entry)
    return validated(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-01-01",
            "kind": "instance",
            "software": {"name": "inocds", "version": __version__},
            "implementation": {"description": "inocds FHIR R4 API", "url": base_url},
            "fhirVersion": FHIR_VERSION,
            "format": ["application/fhir+json", "json"],
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Bearer token of an inocds user (POST /api/v1/auth/token). "
                    "POST a transaction or batch Bundle of laboratory Observations "
                    "to import them as course labs events.",
                    "security": {
                        "service": [
                            {
                                "coding": [
                                    {
                                        "system": "http://terminology.hl7.org/CodeSystem/restful-security-service",
                                        "code": "OAuth",
                                    }
                                ]
                            }
                        ],
                        "description": "Authorization: Bearer <token>",
                    },
                    "resource": resources,
                    "interaction": [{"code": "transaction"}, {"code": "batch"}],
                }
            ],
        }
    )
