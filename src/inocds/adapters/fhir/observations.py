"""FHIR Observations (LOINC code, UCUM unit, referenceRange.high as ULN) as course-document values.

An Observation whose LOINC code is not in `protocol/interop.toml` is `unknown_code`
(ignored by a CDS service, refused by the import); a known code with a unit this
project does not convert is a `Problem` naming it, never a guess.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any, NamedTuple

from inocds.adapters.fhir.units import UnitNotUnderstood, convert
from inocds.protocol.interop import LoincEntry, load_interop

__all__ = [
    "LOINC",
    "UCUM",
    "LabValue",
    "Problem",
    "latest_values",
    "read_observations",
    "resource_date",
]

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
_IGNORED_STATUSES = frozenset({"entered-in-error", "cancelled", "registered"})


class LabValue(NamedTuple):
    """One converted value: its date, course-document field, value and ULN (liver tests)."""

    date: dt.date
    field: str
    value: float
    uln: float | None
    source: str  # the Observation's id or position, for messages


class Problem(NamedTuple):
    """Something in the incoming data that cannot be used, and where it is."""

    where: str
    message: str


def resource_date(resource: dict[str, Any], *names: str) -> dt.date | None:
    """The date part of the first of `names` present (dateTime, Period.start or instant)."""
    for name in names:
        raw = resource.get(name)
        if isinstance(raw, dict):
            raw = raw.get("start")
        if isinstance(raw, str) and len(raw) >= 10:
            try:
                return dt.date.fromisoformat(raw[:10])
            except ValueError:
                return None
    return None


def _entry(resource: dict[str, Any]) -> LoincEntry | None:
    table = load_interop().loinc
    for coding in (resource.get("code") or {}).get("coding") or []:
        if coding.get("system") == LOINC and coding.get("code") in table:
            return table[coding["code"]]
    return None


def _unit(quantity: dict[str, Any]) -> str | None:
    if quantity.get("system") == UCUM and quantity.get("code"):
        return str(quantity["code"])
    code = quantity.get("code") or quantity.get("unit")
    return str(code) if code else None


def _uln(resource: dict[str, Any], entry: LoincEntry, unit: str | None, where: str) -> float:
    ranges = resource.get("referenceRange") or []
    high = ranges[0].get("high") if ranges else None
    if not isinstance(high, dict) or not isinstance(high.get("value"), (int, float)):
        raise ValueError(f"{entry.display}: referenceRange.high (the ULN) is missing")
    high_unit = _unit(high) or unit
    if entry.kind == "liver" and high_unit != unit:
        raise ValueError(
            f"{entry.display}: the ULN's unit {high_unit!r} differs from the value's {unit!r}"
        )
    return convert(float(high["value"]), high_unit, entry.kind)


def read_observation(resource: dict[str, Any], where: str) -> LabValue | Problem | None:
    """One Observation as a value, a Problem, or None (not a code this project reads)."""
    entry = _entry(resource)
    if entry is None or resource.get("status") in _IGNORED_STATUSES:
        return None
    quantity = resource.get("valueQuantity")
    if not isinstance(quantity, dict) or not isinstance(quantity.get("value"), (int, float)):
        return Problem(where, f"{entry.display} (LOINC {entry.code}) has no valueQuantity")
    when = resource_date(resource, "effectiveDateTime", "effectivePeriod", "issued")
    if when is None:
        return Problem(where, f"{entry.display} (LOINC {entry.code}) has no effective date")
    unit = _unit(quantity)
    try:
        value = convert(float(quantity["value"]), unit, entry.kind)
        uln = _uln(resource, entry, unit, where) if entry.kind in ("liver", "bilirubin") else None
    except UnitNotUnderstood as error:
        return Problem(where, f"{entry.display} (LOINC {entry.code}): {error}")
    except ValueError as error:
        return Problem(where, str(error))
    if not math.isfinite(value) or (uln is not None and not math.isfinite(uln)):
        return Problem(where, f"{entry.display} (LOINC {entry.code}): value out of range")
    if entry.kind == "count":
        value = float(round(value))  # cell counts per mm3 are whole numbers (CONTRACT v1.1)
    return LabValue(when, entry.field, value, uln, where)


def read_observations(
    resources: list[dict[str, Any]], prefix: str = "Observation"
) -> tuple[list[LabValue], list[Problem], list[str]]:
    """Values, problems, and the places of Observations with a code not read here."""
    values: list[LabValue] = []
    problems: list[Problem] = []
    unknown: list[str] = []
    for index, resource in enumerate(resources):
        where = f"{prefix}/{resource.get('id') or index}"
        result = read_observation(resource, where)
        if isinstance(result, LabValue):
            values.append(result)
        elif isinstance(result, Problem):
            problems.append(result)
        else:
            unknown.append(where)
    return values, problems, unknown


def field_value(value: LabValue) -> Any:
    """The course-document form of a value: a number, or {value, uln} for a liver test."""
    if value.uln is None:
        return int(value.value) if value.field.endswith("_per_mm3") else value.value
    return {"value": round(value.value, 4), "uln": round(value.uln, 4)}


def latest_values(
    values: list[LabValue], on_or_before: dt.date, after: dt.date | None = None
) -> dict[str, Any]:
    """The latest value of each field dated in (after, on_or_before]."""
    chosen: dict[str, LabValue] = {}
    for value in sorted(values, key=lambda v: v.date):
        if value.date > on_or_before or (after is not None and value.date <= after):
            continue
        chosen[value.field] = value
    return {name: field_value(value) for name, value in chosen.items()}
