"""FHIR R4 data about one patient (prefetch or fhirServer answers) as the course document.

The history is the patient's past MedicationAdministrations of the drug: each becomes
a `dose` event; the cycle and day come from the inocds extensions where present,
otherwise from the dates, the regimen's dose days and `schedule.window`
(protocol/rules.toml). Every date with lab values becomes a `labs` event; the
pretreatment values are the latest on or before the first dose; `today.labs` are the
values dated today (the engine judges whether older ones, as `labs` events, suffice).
What a decision needs and the data lacks is listed in `missing`; units that cannot be
read are `problems`. The engine decides the rest.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from inocds.adapters.fhir.observations import (
    LabValue,
    Problem,
    field_value,
    latest_values,
    read_observations,
    resource_date,
)
from inocds.clinical.bsa import body_surface_area_m2
from inocds.protocol.interop import load_interop
from inocds.protocol.loader import load_protocol

__all__ = [
    "CYCLE_EXTENSION",
    "DAY_EXTENSION",
    "DOSE_PER_M2_EXTENSION",
    "LAB_FIELDS",
    "FhirData",
    "Reading",
    "is_drug",
    "medication_name",
    "read_course",
    "todays_labs",
]

CYCLE_EXTENSION = "https://inocds.org/fhir/StructureDefinition/cycle"
DAY_EXTENSION = "https://inocds.org/fhir/StructureDefinition/cycle-day"
DOSE_PER_M2_EXTENSION = "https://inocds.org/fhir/StructureDefinition/dose-mg-per-m2"
LAB_FIELDS = ("anc_per_mm3", "platelets_per_mm3", "bilirubin", "ast", "alt")
_PRETREATMENT_FIELDS = (*LAB_FIELDS, "peripheral_blasts_per_mm3")
_SEX = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
_DONE = frozenset({"completed", "in-progress"})


@dataclass(frozen=True)
class FhirData:
    """The FHIR resources known about one patient (JSON objects)."""

    patient: dict[str, Any] | None
    observations: list[dict[str, Any]] = field(default_factory=list)
    medication_requests: list[dict[str, Any]] = field(default_factory=list)
    administrations: list[dict[str, Any]] = field(default_factory=list)
    conditions: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Reading:
    """The course document (None where a required part is missing), and what stood in the way."""

    document: dict[str, Any] | None
    missing: tuple[str, ...]
    problems: tuple[Problem, ...]
    assumptions: tuple[str, ...]


def medication_name(resource: dict[str, Any]) -> str:
    """The medication's text, else its first coding display or code."""
    concept = resource.get("medicationCodeableConcept") or {}
    if concept.get("text"):
        return str(concept["text"])
    for coding in concept.get("coding") or []:
        if coding.get("display") or coding.get("code"):
            return str(coding.get("display") or coding.get("code"))
    reference = (resource.get("medicationReference") or {}).get("display")
    return str(reference or "")


def is_drug(resource: dict[str, Any]) -> bool:
    """Whether a MedicationRequest / MedicationAdministration is for inotuzumab ozogamicin."""
    concept = resource.get("medicationCodeableConcept") or {}
    texts = [concept.get("text") or "", medication_name(resource)]
    texts += [c.get("display") or "" for c in concept.get("coding") or []]
    names = load_interop().drug_names
    return any(name in text.lower() for text in texts for name in names)


def _extension(resource: dict[str, Any], url: str) -> Any:
    for item in resource.get("extension") or []:
        if item.get("url") == url:
            for key in ("valueInteger", "valuePositiveInt", "valueDecimal"):
                if key in item:
                    return item[key]
    return None


def _dose_mg_per_m2(resource: dict[str, Any], bsa_m2: float | None) -> float | None:
    given = _extension(resource, DOSE_PER_M2_EXTENSION)
    if isinstance(given, (int, float)):
        return float(given)
    dose = (resource.get("dosage") or {}).get("dose") or {}
    value, unit = dose.get("value"), dose.get("code") or dose.get("unit")
    if not isinstance(value, (int, float)):
        return None
    if unit == "mg/m2":
        return float(value)
    if unit == "mg" and bsa_m2:
        return round(float(value) / round(bsa_m2, 2), 2)  # the contract's rounded BSA
    return None


def _day_for(offset_day: int, used: set[int]) -> int | None:
    """The scheduled day (after day 1) whose window holds `offset_day`, if any."""
    protocol = load_protocol()
    window = int(protocol["schedule.window"].number("window_days"))
    for day, _ in protocol["regimen.cycle1"].day_doses():
        if day > 1 and day not in used and abs(offset_day - day) <= window:
            return day
    return None


def _dose_events(
    administrations: list[dict[str, Any]], bsa_m2: float | None, problems: list[Problem]
) -> list[dict[str, Any]]:
    dated = []
    for index, resource in enumerate(administrations):
        when = resource_date(resource, "effectiveDateTime", "effectivePeriod")
        if not is_drug(resource) or resource.get("status") not in _DONE:
            continue
        where = f"MedicationAdministration/{resource.get('id') or index}"
        amount = _dose_mg_per_m2(resource, bsa_m2)
        if when is None or amount is None:
            problems.append(Problem(where, "the dose's date or amount (mg or mg/m2) is missing"))
            continue
        dated.append((when, resource, amount))
    events: list[dict[str, Any]] = []
    cycle, start, used = 0, dt.date.min, set[int]()
    for when, resource, amount in sorted(dated, key=lambda item: item[0]):
        given_cycle = _extension(resource, CYCLE_EXTENSION)
        given_day = _extension(resource, DAY_EXTENSION)
        day = given_day if isinstance(given_day, int) else None
        if day is None and cycle:
            day = _day_for((when - start).days + 1, used)
        if day is None or day == 1:
            cycle, start, used, day = (given_cycle or cycle + 1), when, set(), 1
        used.add(day)
        events.append(
            {
                "type": "dose",
                "date": when.isoformat(),
                "cycle": cycle,
                "day": day,
                "dose_mg_per_m2": amount,
            }
        )
    return events


def _cycle_starts(doses: list[dict[str, Any]], values: list[LabValue]) -> list[dict[str, Any]]:
    starts = []
    for dose in doses:
        if dose["day"] != 1:
            continue
        counts = latest_values(values, dt.date.fromisoformat(dose["date"]))
        event = {"type": "cycle_start", "date": dose["date"], "cycle": dose["cycle"]}
        for name in ("anc_per_mm3", "platelets_per_mm3"):
            if name in counts:
                event[name] = counts[name]
        starts.append(event)
    return starts


def todays_labs(values: list[LabValue], today: dt.date) -> dict[str, Any]:
    """The lab values dated `today` (older ones are `labs` events: the engine judges their age)."""
    yesterday = today - dt.timedelta(days=1)
    return {k: v for k, v in latest_values(values, today, yesterday).items() if k in LAB_FIELDS}


def _labs_events(values: list[LabValue], today: dt.date) -> list[dict[str, Any]]:
    by_date: dict[dt.date, dict[str, Any]] = {}
    for value in sorted(values, key=lambda v: v.date):
        if value.field in LAB_FIELDS and value.date <= today:
            by_date.setdefault(value.date, {})[value.field] = field_value(value)
    return [{"type": "labs", "date": d.isoformat(), **labs} for d, labs in sorted(by_date.items())]


def _patient_block(
    data: FhirData, values: list[LabValue], today: dt.date, missing: list[str]
) -> dict[str, Any]:
    patient = data.patient or {}
    block: dict[str, Any] = {}
    if patient.get("birthDate"):
        block["birth_date"] = str(patient["birthDate"])[:10]
    else:
        missing.append("Patient.birthDate")
    block["sex"] = _SEX.get(str(patient.get("gender") or "unknown"), "unknown")
    body = latest_values(values, today)
    for name, label in (
        ("height_cm", "body height (LOINC 8302-2)"),
        ("weight_kg", "body weight (LOINC 29463-7)"),
    ):
        if name in body:
            block[name] = round(float(body[name]), 2)
        else:
            missing.append(label)
    names = [medication_name(r) for r in data.medication_requests if not is_drug(r)]
    block["medications"] = sorted({n for n in names if n})
    return block


def read_course(data: FhirData, today: dt.date, hsct_planned: bool | None = None) -> Reading:
    """The course document for `today` from the patient's FHIR data."""
    missing: list[str] = []
    assumptions: list[str] = []
    values, problems, _ = read_observations(data.observations)
    if data.patient is None:
        missing.append("Patient")
    block = _patient_block(data, values, today, missing)
    bsa = None
    if block.get("height_cm", 0) > 0 and block.get("weight_kg", 0) > 0:  # else the engine refuses
        bsa = body_surface_area_m2(block["height_cm"], block["weight_kg"])
    doses = _dose_events(data.administrations, bsa, problems)
    first_dose = dt.date.fromisoformat(doses[0]["date"]) if doses else today
    pre = latest_values(values, first_dose)
    pretreatment = {k: v for k, v in pre.items() if k in _PRETREATMENT_FIELDS}
    for name, code in (("anc_per_mm3", "751-8"), ("platelets_per_mm3", "777-3")):
        if name not in pretreatment:
            missing.append(f"pretreatment {name} (LOINC {code}) on or before the first dose")
    if hsct_planned is None:
        hsct_planned = False
        assumptions.append("HSCT plan not recorded in the EHR data: taken as not planned")
    block["hsct_planned"] = hsct_planned
    block["pretreatment"] = pretreatment
    labs = todays_labs(values, today)
    events = [*_cycle_starts(doses, values), *doses, *_labs_events(values, today)]
    document: dict[str, Any] = {
        "patient": block,
        "events": events,
        "today": {"date": today.isoformat()},
    }
    if labs:
        document["today"]["labs"] = labs
    blocking = bool(missing) or any(p for p in problems)
    return Reading(
        None if blocking else document, tuple(missing), tuple(problems), tuple(assumptions)
    )
