"""FHIR searches over the stored data: the parameters of the CapabilityStatement, strictly.

An unknown parameter is refused (400 with an OperationOutcome), never ignored.
`date` takes the prefixes eq, ge, le, gt, lt; `code` a comma list of `system|code`
or `code`; `patient` / `subject` an id or `Patient/<id>`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy.orm import Session

from inocds.adapters.db.models import User
from inocds.adapters.fhir.definitions import SEARCH_PARAMS, plan_definition
from inocds.services.errors import NotFound
from inocds.services.fhir_api import BadSearch, patient_id, patient_resources
from inocds.services.patients import get_patient, list_patients

__all__ = ["search"]

_GENERAL = frozenset({"_count", "_format"})
_DATE_FIELDS = {
    "Observation": "effectiveDateTime",
    "MedicationRequest": "authoredOn",
    "MedicationAdministration": "effectiveDateTime",
}


def _date_test(value: str) -> Any:
    prefix, raw = (value[:2], value[2:]) if value[:2].isalpha() else ("eq", value)
    try:
        wanted = dt.date.fromisoformat(raw[:10])
    except ValueError:
        raise BadSearch(f"date {value!r}: expected [eq|ge|le|gt|lt]YYYY-MM-DD", "date") from None
    tests = {
        "eq": lambda d: d == wanted,
        "ge": lambda d: d >= wanted,
        "le": lambda d: d <= wanted,
        "gt": lambda d: d > wanted,
        "lt": lambda d: d < wanted,
    }
    if prefix not in tests:
        raise BadSearch(f"date prefix {prefix!r} is not supported", "date")
    return tests[prefix]


def _codes(resource: dict[str, Any]) -> set[str]:
    out = set()
    for coding in (resource.get("code") or {}).get("coding") or []:
        out |= {f"{coding.get('system')}|{coding.get('code')}", str(coding.get("code"))}
    return out


def _identifiers(resource: dict[str, Any]) -> set[str]:
    out = set()
    for item in resource.get("identifier") or []:
        out |= {f"{item.get('system')}|{item.get('value')}", str(item.get("value"))}
    return out


def _matches(kind: str, resource: dict[str, Any], name: str, value: str) -> bool:
    if name in ("patient", "subject"):
        return True  # the patients were chosen already
    if name == "_id":
        return resource.get("id") in value.split(",")
    if name == "code":
        return bool(_codes(resource) & set(value.split(",")))
    if name == "identifier":
        return bool(_identifiers(resource) & set(value.split(",")))
    if name == "status":
        return resource.get("status") in value.split(",")
    if name in ("date", "effective-time"):
        raw = resource.get(_DATE_FIELDS.get(kind, ""))
        return isinstance(raw, str) and _date_test(value)(dt.date.fromisoformat(raw[:10]))
    return False


def search(
    session: Session, actor: User, kind: str, params: list[tuple[str, str]], today: dt.date
) -> list[dict[str, Any]]:
    """The resources of `kind` matching every parameter."""
    allowed = SEARCH_PARAMS.get(kind)
    if allowed is None:
        raise BadSearch(f"{kind} is not served here", "resourceType")
    unknown = sorted({n for n, _ in params} - set(allowed) - _GENERAL)
    if unknown:
        raise BadSearch(
            f"unsupported search parameter(s) for {kind}: {', '.join(unknown)}", unknown[0]
        )
    for name, value in params:
        if name in ("date", "effective-time"):
            _date_test(value)  # a malformed date is refused even when nothing would match
    if kind == "PlanDefinition":
        found = [plan_definition()]
    else:
        refs = [v for n, v in params if n in ("patient", "subject")]
        if refs:
            try:
                rows = [get_patient(session, actor, patient_id(ref)) for ref in refs[-1:]]
            except NotFound:
                return []  # a search for an unknown patient matches nothing
        else:
            rows = list_patients(session, actor)
        found = [
            r for row in rows for r in patient_resources(session, actor, row, today, (kind,))[kind]
        ]
    filters = [(n, v) for n, v in params if n not in _GENERAL]
    return [r for r in found if all(_matches(kind, r, n, v) for n, v in filters)]
