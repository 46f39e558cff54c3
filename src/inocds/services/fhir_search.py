"""FHIR searches over the stored data: the parameters of the CapabilityStatement, strictly.

An unknown parameter is handled as FHIR says: with `Prefer: handling=strict` it is
refused (400 with an OperationOutcome); by default it is ignored and named in an
OperationOutcome entry of the Bundle (search mode `outcome`), never silently.
`date` takes the prefixes eq, ge, le, gt, lt; `code` a comma list of `system|code`
or `code`; `patient` / `subject` an id or `Patient/<id>`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

from sqlalchemy.orm import Session

from inocds.adapters.db.models import User
from inocds.adapters.fhir.definitions import SEARCH_PARAMS, plan_definition
from inocds.services.errors import NotFound
from inocds.services.fhir_api import BadSearch, patient_id, patient_resources
from inocds.services.patients import get_patient, list_patients

__all__ = ["Found", "search"]

_GENERAL = frozenset({"_count", "_format"})
_DATE_FIELDS = {
    "Patient": "birthDate",
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


def _name_matches(resource: dict[str, Any], part: str, value: str) -> bool:
    """FHIR string search: the start of a name part, case-insensitive."""
    words = []
    for name in resource.get("name") or []:
        if part in ("family", "name"):
            words.append(str(name.get("family") or ""))
        if part in ("given", "name"):
            words += [str(g) for g in name.get("given") or []]
    return any(w.lower().startswith(value.lower()) for w in words)


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
    if name in ("family", "given", "name"):
        return _name_matches(resource, name, value)
    if name == "gender":
        return resource.get("gender") in value.split(",")
    if name == "category":
        codes = {
            str(c.get("code"))
            for cat in resource.get("category") or []
            for c in cat.get("coding") or []
        }
        return bool(codes & {v.split("|")[-1] for v in value.split(",")})
    if name in ("date", "effective-time", "birthdate"):
        raw = resource.get(_DATE_FIELDS.get(kind, ""))
        return isinstance(raw, str) and _date_test(value)(dt.date.fromisoformat(raw[:10]))
    return False


class Found(NamedTuple):
    """The matching resources and the parameters ignored (lenient handling)."""

    resources: list[dict[str, Any]]
    ignored: list[str]


def search(
    session: Session,
    actor: User,
    kind: str,
    params: list[tuple[str, str]],
    today: dt.date,
    strict: bool = False,
) -> Found:
    """The resources of `kind` matching every supported parameter."""
    allowed = SEARCH_PARAMS.get(kind)
    if allowed is None:
        raise BadSearch(f"{kind} is not served here", "resourceType")
    unknown = sorted({n for n, _ in params} - set(allowed) - _GENERAL)
    if unknown and strict:
        raise BadSearch(
            f"unsupported search parameter(s) for {kind}: {', '.join(unknown)}", unknown[0]
        )
    for name, value in params:
        if name in ("date", "effective-time", "birthdate"):
            _date_test(value)  # a malformed date is refused even when nothing would match
    if kind == "PlanDefinition":
        found = [plan_definition()]
    else:
        refs = [v for n, v in params if n in ("patient", "subject")]
        if refs:
            try:
                rows = [get_patient(session, actor, patient_id(ref)) for ref in refs[-1:]]
            except NotFound:
                return Found([], unknown)  # an unknown patient matches nothing
        else:
            rows = list_patients(session, actor)
        found = [
            r for row in rows for r in patient_resources(session, actor, row, today, (kind,))[kind]
        ]
    filters = [(n, v) for n, v in params if n not in _GENERAL and n not in unknown]
    return Found([r for r in found if all(_matches(kind, r, n, v) for n, v in filters)], unknown)
