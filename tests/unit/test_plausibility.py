"""Plausibility refusals say what was probably meant (data.count_units, data.bmi)."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from tests.builders import BASE_PATIENT, NORMAL_LABS

from inocds.clinical.documents import parse_course
from inocds.clinical.dose import run_dose
from inocds.clinical.validation import InputError


def _doc(**today_labs: Any) -> dict[str, Any]:
    return {
        "patient": copy.deepcopy(BASE_PATIENT),
        "events": [],
        "today": {"date": "2026-01-05", "labs": {**NORMAL_LABS, **today_labs}},
    }


def _errors(raw: dict[str, Any], parse: Any = parse_course) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        parse(raw)
    return {e.field: e.message for e in caught.value.errors}


def test_platelets_80_says_enter_80000() -> None:
    """Platelets 80 is 80 x 10^3/uL: 80 x 1000 = 80000 per mm3."""
    message = _errors(_doc(platelets_per_mm3=80))["today.labs.platelets_per_mm3"]
    assert "10^3/uL" in message and "enter 80000" in message and "(data.count_units)" in message


def test_anc_1_5_says_enter_1500() -> None:
    """ANC 1.5 is 1.5 x 10^9/L: 1.5 x 1000 = 1500 per mm3."""
    message = _errors(_doc(anc_per_mm3=1.5))["today.labs.anc_per_mm3"]
    assert "enter 1500" in message


def test_count_with_a_fraction_is_refused() -> None:
    """80000.5 platelets per mm3 is not a whole count."""
    assert (
        "whole numbers" in _errors(_doc(platelets_per_mm3=80000.5))["today.labs.platelets_per_mm3"]
    )


def test_zero_counts_and_counts_at_the_floor_pass() -> None:
    """ANC 0 and 10, platelets 0 and 1000 are counts per mm3 (0, or at least the floor)."""
    for anc, plt in ((0, 0), (10, 1000)):
        parse_course(_doc(anc_per_mm3=anc, platelets_per_mm3=plt))


def test_inches_and_pounds_are_named() -> None:
    """69 in / 154 lb: BMI 154 / 0.69^2 = 323.5; 69 x 2.54 = 175 cm, 154 / 2.2046 = 69.9 kg."""
    raw = _doc()
    raw["patient"].update(height_cm=69, weight_kg=154)
    errors = _errors(raw)
    assert set(errors) == {"patient.height_cm", "patient.weight_kg"}
    message = errors["patient.height_cm"]
    assert "323.5" in message and "175 cm" in message and "69.9 kg" in message


def test_dose_refuses_175_cm_and_3_kg() -> None:
    """175 cm / 3 kg: BMI 3 / 1.75^2 = 0.98, below 10."""
    errors = _errors({"height_cm": 175, "weight_kg": 3, "dose_mg_per_m2": 0.8}, run_dose)
    assert set(errors) == {"height_cm", "weight_kg"} and "(data.bmi)" in errors["weight_kg"]
