"""What the pages' forms send: input names and the payloads read from them.

Every number and date is read by `Form` (one parser: thousands separators, units,
bounds); the builders here only arrange the values for the use cases and add the
checks a single input cannot make (a plausible height and weight together).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.entrypoints.web.forms import Form
from inocds.protocol import schema
from inocds.protocol.loader import load_protocol

__all__ = [
    "COURSE_INPUTS",
    "EVENT_FORMS",
    "MEASUREMENT_INPUTS",
    "PATIENT_INPUTS",
    "event_payload",
    "liver_tests",
    "measurement_payload",
    "patient_details",
    "patient_payload",
    "plausible_body",
]


PATIENT_INPUTS = frozenset(
    {
        "mrn",
        "family_name",
        "given_name",
        "birth_date",
        "sex",
        "height_cm",
        "weight_kg",
        "measured_on",
        "can_become_pregnant",
        "bsa_formula",
        "history_prior_hsct",
        "history_liver_disease",
        "history_prior_vod",
        "history_salvage_line",
        "diagnosis_cd22_positive",
        "diagnosis_b_cell_precursor_all",
        "diagnosis_relapsed_or_refractory",
        "medications",
        "allergies",
    }
)
MEASUREMENT_INPUTS = frozenset({"measured_on", "height_cm", "weight_kg"})
COURSE_INPUTS = frozenset(
    {
        "hsct_planned",
        "anc_per_mm3",
        "platelets_per_mm3",
        "peripheral_blasts_per_mm3",
        "anc_per_mm3_unit",
        "platelets_per_mm3_unit",
        "peripheral_blasts_per_mm3_unit",
        "bilirubin_value",
        "bilirubin_uln",
        "ast_value",
        "ast_uln",
        "alt_value",
        "alt_uln",
    }
)


_COUNT_INPUTS = frozenset(
    {"anc_per_mm3", "anc_per_mm3_unit", "platelets_per_mm3", "platelets_per_mm3_unit"}
)

EVENT_FORMS: dict[str, frozenset[str]] = {
    "labs": _COUNT_INPUTS
    | frozenset(
        {
            "date",
            "platelets_transfused",
            "bilirubin_value",
            "bilirubin_uln",
            "ast_value",
            "ast_uln",
            "alt_value",
            "alt_uln",
        }
    ),
    "toxicity": frozenset({"category", "name", "grade", "onset", "resolved", "cycle"}),
    "response": frozenset({"date", "status", "mrd", "cycle"}),
    "cycle_start": _COUNT_INPUTS | frozenset({"date", "cycle", "platelets_transfused"}),
    "discontinued": frozenset({"date", "reason"}),
    "dose": frozenset({"date", "cycle", "day", "dose_mg_per_m2"}),
}


def plausible_body(form: Form, height: float | None, weight: float | None) -> None:
    """Refuses a height and weight no person has (BMI outside the protocol's bounds)."""
    if height is None or weight is None:
        return
    bounds = load_protocol()["dose.bsa"]
    if not (
        bounds.number("min_height_cm") <= height <= bounds.number("max_height_cm")
        and bounds.number("min_weight_kg") <= weight <= bounds.number("max_weight_kg")
    ):
        return  # out of range: the range error says so, beside its own input
    rule = load_protocol()["data.bmi"]  # the contract's bounds, the same as the engine's
    low, high = rule.number("min_kg_per_m2"), rule.number("max_kg_per_m2")
    bmi = weight / (height / 100) ** 2
    if not low <= bmi <= high:
        form.error(
            "weight_kg",
            f"{weight:g} kg at {height:g} cm (body-mass index {bmi:.0f}) is not plausible: "
            f"check both values (the plausible range is {low:g} to {high:g} kg/m²)",
        )


def measurement_payload(form: Form, today: dt.date, birth: dt.date | None) -> dict[str, Any]:
    """Height, weight and date of a measurement, read and checked for plausibility."""
    data: dict[str, Any] = {}
    height = form.number("height_cm", required=True)
    weight = form.number("weight_kg", required=True)
    measured = form.date("measured_on", required=True, not_after=today, not_before=birth)
    limit = load_protocol()["workflow.plausibility"].integer("max_backdating_days")
    if measured is not None and measured < today - dt.timedelta(days=limit):
        form.error(
            "measured_on",
            f"{measured} is more than {limit} days ago: a dose needs a current height and "
            "weight (check the year)",
        )
        measured = None
    for key, value in (("height_cm", height), ("weight_kg", weight), ("measured_on", measured)):
        if value is not None:
            data[key] = value
    plausible_body(form, height, weight)
    return data


def patient_payload(form: Form, today: dt.date) -> dict[str, Any]:
    """The API's PatientCreate body from the form (empty inputs left out)."""
    data = patient_details(form, today)
    data.update(measurement_payload(form, today, data.get("birth_date")))
    return data


def patient_details(form: Form, today: dt.date) -> dict[str, Any]:
    """The patient's details without a measurement (the new-patient and edit forms)."""
    v = form.values
    data: dict[str, Any] = {
        key: v[key].strip()
        for key in ("mrn", "family_name", "given_name", "sex", "bsa_formula")
        if v.get(key, "").strip()
    }
    birth = form.date("birth_date", required=True, not_after=today)
    if birth is not None:
        data["birth_date"] = birth
    data["can_become_pregnant"] = form.tristate("can_become_pregnant")
    salvage = form.number("history_salvage_line", integer=True, low=1)
    data["history"] = {
        "prior_hsct": form.checked("history_prior_hsct"),
        "liver_disease": form.checked("history_liver_disease"),
        "prior_vod": form.checked("history_prior_vod"),
        "salvage_line": int(salvage) if salvage is not None else None,
    }
    data["diagnosis"] = {
        key: form.tristate(f"diagnosis_{key}")
        for key in ("cd22_positive", "b_cell_precursor_all", "relapsed_or_refractory")
    }
    lines = v.get("medications", "").replace(",", "\n").splitlines()
    medications = [line.strip() for line in lines]
    data["medications"] = [m for m in medications if m]
    data["allergies"] = [a.strip() for a in v.get("allergies", "").splitlines() if a.strip()]
    return data


def liver_tests(form: Form) -> dict[str, Any]:
    """Bilirubin, AST and ALT as {value, uln}, for each test whose value was typed.

    A value needs its upper limit of normal. An upper limit alone is left out: the
    forms pre-fill the laboratory's limits, so a test not measured has one.
    """
    found: dict[str, Any] = {}
    for key in ("bilirubin", "ast", "alt"):
        if not form.values.get(f"{key}_value", "").strip():
            continue
        value = form.number(f"{key}_value", low=0)
        uln = form.number(f"{key}_uln", low=0)
        if not form.values.get(f"{key}_uln", "").strip():
            form.error(f"{key}_uln", "give the upper limit of normal with the value")
        elif value is not None and uln is not None:
            if uln <= 0:
                form.error(f"{key}_uln", "must be above 0")
            else:
                found[key] = {"value": value, "uln": uln}
    return found


def _counts(form: Form, payload: dict[str, Any]) -> None:
    """ANC and platelets (each in its chosen unit); a transfused platelet count is refused
    as a gate count: the label's thresholds are for counts not propped up by transfusion."""
    for key in ("anc_per_mm3", "platelets_per_mm3"):
        value = form.count(key)
        if value is not None:
            payload[key] = value
    if form.checked("platelets_transfused") and "platelets_per_mm3" in payload:
        del payload["platelets_per_mm3"]
        form.error(
            "platelets_per_mm3",
            "was measured with transfusion support: the thresholds (heme.platelet_gate) are "
            "for counts independent of transfusion; record a count taken without it, or "
            "leave this empty and note the transfusion",
        )


def _regimen_days() -> tuple[str, ...]:
    return tuple(str(day) for day in schema.dose_days())


_MAX_CYCLE = schema.TYPO_GUARD.max_cycle


def _toxicity(form: Form, payload: dict[str, Any], today: dt.date) -> None:
    payload["category"] = form.choice("category", schema.TOXICITY_CATEGORIES, required=True)
    grade = form.number(
        "grade", required=True, integer=True, low=schema.MIN_GRADE, high=schema.MAX_GRADE
    )
    payload["grade"] = int(grade) if grade is not None else None
    onset = form.date("onset", required=True, not_after=today)
    resolved = form.date("resolved", not_after=today, not_before=onset, before_what="the onset")
    payload["onset"] = onset.isoformat() if onset else None
    payload["resolved"] = resolved.isoformat() if resolved else None
    payload["name"] = form.text("name", max_length=200)
    cycle = form.number("cycle", integer=True, low=1, high=_MAX_CYCLE)
    if cycle is not None:
        payload["cycle"] = int(cycle)


def event_payload(kind: str, form: Form, today: dt.date) -> dict[str, Any] | None:
    """The contract event typed into a course page form (None when a value is refused).

    Dates after `today` are refused here; the course-level checks (before the course,
    before birth, an impossible order of cycles) are the use case's."""
    payload: dict[str, Any] = {"type": kind}
    if kind == "toxicity":
        _toxicity(form, payload, today)
    else:
        when = form.date("date", required=True, not_after=today)
        payload["date"] = when.isoformat() if when else None
    if kind == "labs":
        _counts(form, payload)
        payload.update(liver_tests(form))
        if len(payload) == 2 and not form.failed:
            form.error("anc_per_mm3", "enter at least one value")
    elif kind == "cycle_start":
        cycle = form.number("cycle", required=True, integer=True, low=1, high=_MAX_CYCLE)
        payload["cycle"] = int(cycle) if cycle is not None else None
        _counts(form, payload)
    elif kind == "response":
        payload["status"] = form.choice("status", schema.RESPONSE_STATUSES, required=True)
        payload["mrd"] = form.choice("mrd", schema.MRD_RESULTS)
        cycle = form.number("cycle", integer=True, low=1, high=_MAX_CYCLE)
        if cycle is not None:
            payload["cycle"] = int(cycle)
    elif kind == "discontinued":
        payload["reason"] = form.text("reason", max_length=500)
    elif kind == "dose":
        cycle = form.number("cycle", required=True, integer=True, low=1, high=_MAX_CYCLE)
        day = form.choice("day", _regimen_days(), required=True)
        payload["cycle"] = int(cycle) if cycle is not None else None
        payload["day"] = int(day) if day is not None else None
        payload["dose_mg_per_m2"] = form.number(
            "dose_mg_per_m2", required=True, low=0, high=schema.dose_ceiling_mg_per_m2()
        )
    return None if form.failed else payload
