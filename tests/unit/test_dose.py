"""The `dose` command and `compute_dose`: amounts, vials, container, overrides, warnings.

Protocol numbers used in the worked arithmetic (protocol/preparation.toml):
reconstituted 0.25 mg/mL; vial 0.9 mg at 27,489.60 USD; bag 50 mL at 0.01-0.1 mg/mL;
syringe 0.025-0.1 mg/mL, target 0.05 mg/mL, step 0.5 mL; infusion 60 min;
largest single dose 0.8 mg/m2 (regimen.max_single_dose).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inocds.clinical.dose import DoseResult, compute_dose, run_dose
from inocds.clinical.validation import InputError

EXAMPLE = {"height_cm": 180, "weight_kg": 80, "dose_mg_per_m2": 0.8}

# BSA values as the request gives them (2 decimals) and doses within the request limits.
bsas = st.integers(min_value=20, max_value=350).map(lambda c: c / 100)
doses_per_m2 = st.integers(min_value=100, max_value=2000).map(lambda m: m / 1000)


def _errors(raw: Any) -> dict[str, str]:
    with pytest.raises(InputError) as caught:
        run_dose(raw)
    return {e.field: e.message for e in caught.value.errors}


def _codes(answer: dict[str, Any]) -> list[str]:
    return [w["code"] for w in answer["warnings"]]


# ------------------------------------------------------------------ the example


def test_contract_example() -> None:
    """180 cm / 80 kg at 0.8 mg/m2 gives the contract's example answer exactly."""
    # BSA sqrt(180 x 80 / 3600) = 2.00; dose 0.8 x 2.00 = 1.60 mg; volume 1.6 / 0.25 = 6.4 mL;
    # vials: 1 x 0.9 < 1.6 <= 2 x 0.9 -> 2; waste 1.8 - 1.6 = 0.2 mg; bag 50 mL over 1 h.
    answer = run_dose(EXAMPLE)
    expected = {
        "bsa_m2": 2.0,
        "dose_mg_per_m2": 0.8,
        "dose_mg": 1.6,
        "concentration_mg_per_ml": 0.25,
        "volume_ml": 6.4,
        "vials": 2,
        "waste_mg": 0.2,
        "final_volume_ml": 50,
        "infusion_rate_ml_per_h": 50,
        "infusion_minutes": 60,
        "warnings": [],
    }
    assert {k: answer[k] for k in expected} == expected


def test_example_extra_fields() -> None:
    """The example also gives cost, container, diluent volume and final concentration."""
    answer = run_dose(EXAMPLE)
    # 2 vials x 27,489.60 = 54,979.20 USD; 50 - 6.4 = 43.6 mL sodium chloride; 1.6 / 50 = 0.032.
    assert answer["cost_usd"] == 54979.2
    assert answer["container"] == "bag"
    assert answer["diluent_volume_ml"] == 43.6
    assert answer["final_concentration_mg_per_ml"] == 0.032
    assert answer["bsa_formula"] == "mosteller"
    assert answer["bsa_source"] == "height_weight"


def test_json_surface_equals_typed_core() -> None:
    """run_dose reports the same numbers as compute_dose on the rounded BSA."""
    answer = run_dose(EXAMPLE)
    result = compute_dose(2.0, 0.8)
    for name in ("bsa_m2", "dose_mg", "volume_ml", "vials", "waste_mg", "cost_usd"):
        assert answer[name] == getattr(result, name)
    assert answer["final_volume_ml"] == result.infusion.final_volume_ml
    assert answer["infusion_rate_ml_per_h"] == result.infusion.infusion_rate_ml_per_h


def test_dose_result_is_frozen() -> None:
    """DoseResult is an immutable value."""
    result = compute_dose(2.0, 0.8)
    assert isinstance(result, DoseResult)
    with pytest.raises(AttributeError):
        result.dose_mg = 2.0  # type: ignore[misc]


# ------------------------------------------------------------------ arithmetic


def test_whole_vials_are_exact() -> None:
    """1.8 mg is exactly 2 vials and 2.7 mg exactly 3, despite binary floating point."""
    # 0.8 x 2.25 = 1.80 mg; 1.8 / 0.9 = 2 (in floats 2.7 / 0.9 = 3.0000000000000004).
    two = compute_dose(2.25, 0.8)
    assert (two.dose_mg, two.vials, two.waste_mg) == (1.8, 2, 0.0)
    # 0.9 x 3.00 = 2.70 mg -> 3 vials, no waste.
    three = compute_dose(3.0, 0.9)
    assert (three.dose_mg, three.vials, three.waste_mg) == (2.7, 3, 0.0)
    # 0.5 x 1.80 = 0.90 mg -> 1 vial.
    assert compute_dose(1.8, 0.5).vials == 1


def test_dose_rounds_half_up() -> None:
    """0.5 mg/m2 x 1.73 m2 = 0.865 mg is rounded half up to 0.87 mg."""
    result = compute_dose(1.73, 0.5)
    assert result.dose_mg == 0.87
    # 0.87 / 0.25 = 3.48 mL; 0.9 - 0.87 = 0.03 mg wasted.
    assert (result.volume_ml, result.vials, result.waste_mg) == (3.48, 1, 0.03)


def test_bsa_is_rounded_before_the_dose() -> None:
    """The dose comes from the BSA rounded to 2 decimals, not from the raw BSA."""
    # Mosteller 165 cm / 62 kg = sqrt(2.84167) = 1.6857 -> 1.69 m2; 0.8 x 1.69 = 1.352 -> 1.35 mg.
    answer = run_dose({"height_cm": 165, "weight_kg": 62, "dose_mg_per_m2": 0.8})
    assert (answer["bsa_m2"], answer["dose_mg"]) == (1.69, 1.35)
    # 0.5 x 1.69 = 0.845 -> 0.85 mg, whereas 0.5 x 1.6857 = 0.8429 would give 0.84.
    answer = run_dose({"height_cm": 165, "weight_kg": 62, "dose_mg_per_m2": 0.5})
    assert answer["dose_mg"] == 0.85


def test_bsa_formula_is_used() -> None:
    """bsa_formula picks the formula: Haycock 180 cm / 80 kg = 2.0066 -> 2.01 m2."""
    answer = run_dose({**EXAMPLE, "bsa_formula": "haycock"})
    # 0.8 x 2.01 = 1.608 -> 1.61 mg.
    assert (answer["bsa_m2"], answer["dose_mg"], answer["bsa_formula"]) == (2.01, 1.61, "haycock")


def test_bsa_given_directly() -> None:
    """bsa_m2 may replace height and weight; it is rounded to 2 decimals."""
    answer = run_dose({"bsa_m2": 1.734, "dose_mg_per_m2": 0.8})
    # 1.734 -> 1.73 m2; 0.8 x 1.73 = 1.384 -> 1.38 mg.
    assert (answer["bsa_m2"], answer["dose_mg"]) == (1.73, 1.38)
    assert answer["bsa_source"] == "given"
    assert answer["bsa_formula"] is None


@given(bsas, doses_per_m2)
def test_vials_cover_the_dose_with_less_than_one_vial_to_spare(
    bsa_m2: float, dose_mg_per_m2: float
) -> None:
    """vials x 0.9 >= dose_mg > (vials - 1) x 0.9, and 0 <= waste_mg < 0.9."""
    result = compute_dose(bsa_m2, dose_mg_per_m2)
    dose_cg = round(result.dose_mg * 100)  # exact integers: centigrams
    assert result.vials * 90 >= dose_cg > (result.vials - 1) * 90
    assert 0 <= result.waste_mg < 0.9
    assert round(result.waste_mg * 100) == result.vials * 90 - dose_cg


@given(bsas, doses_per_m2)
def test_dose_is_the_rounded_product(bsa_m2: float, dose_mg_per_m2: float) -> None:
    """dose_mg is dose_mg_per_m2 x bsa_m2 rounded half up to 2 decimals; volume is dose / 0.25."""
    result = compute_dose(bsa_m2, dose_mg_per_m2)
    exact = Decimal(str(dose_mg_per_m2)) * Decimal(str(bsa_m2))
    assert result.dose_mg == float(exact.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))
    assert result.volume_ml == pytest.approx(result.dose_mg * 4, abs=1e-9)


@given(bsas, doses_per_m2)
def test_infusion_stays_in_its_window_and_runs_one_hour(
    bsa_m2: float, dose_mg_per_m2: float
) -> None:
    """Every infusion's concentration is inside its container's window; rate = volume per hour."""
    result = compute_dose(bsa_m2, dose_mg_per_m2)
    infusion = result.infusion
    concentration = result.dose_mg / infusion.final_volume_ml
    if infusion.container == "bag":
        assert 0.01 <= concentration <= 0.1 + 1e-12
        assert infusion.final_volume_ml >= 50
    else:
        assert result.dose_mg < 0.5
        assert 0.025 <= concentration <= 0.1
    assert infusion.final_volume_ml > result.volume_ml
    assert infusion.infusion_minutes == 60
    assert infusion.infusion_rate_ml_per_h == infusion.final_volume_ml
    assert infusion.diluent_volume_ml == pytest.approx(
        infusion.final_volume_ml - result.volume_ml, abs=0.006
    )


# ------------------------------------------------------------------ bag or syringe


def test_half_a_milligram_goes_in_the_bag() -> None:
    """0.5 mg in 50 mL is exactly 0.01 mg/mL, the bag window's lower edge: a bag."""
    # 0.5 mg/m2 x 1.00 m2 = 0.50 mg; 0.50 / 50 = 0.01 mg/mL.
    infusion = compute_dose(1.0, 0.5).infusion
    assert (infusion.container, infusion.final_volume_ml) == ("bag", 50)
    assert infusion.final_concentration_mg_per_ml == 0.01


def test_just_below_half_a_milligram_goes_by_syringe() -> None:
    """0.49 mg would be 0.0098 mg/mL in 50 mL, too dilute: a 10 mL syringe at 0.049 mg/mL."""
    # 0.5 x 0.98 = 0.49 mg; 0.49 / 0.05 = 9.8 mL -> nearest 0.5 mL step 10 mL; 0.49 / 10 = 0.049.
    result = compute_dose(0.98, 0.5)
    infusion = result.infusion
    assert result.dose_mg == 0.49
    assert (infusion.container, infusion.final_volume_ml) == ("syringe", 10)
    assert 0.025 <= infusion.final_concentration_mg_per_ml <= 0.1
    # 10 mL over 1 h; 10 - 1.96 = 8.04 mL sodium chloride.
    assert infusion.infusion_rate_ml_per_h == 10
    assert infusion.diluent_volume_ml == 8.04


def test_child_dose_never_goes_in_fifty_ml() -> None:
    """A child's 0.2 mg dose goes in a 4 mL syringe at 0.05 mg/mL, never in 50 mL."""
    # 0.5 x 0.40 = 0.20 mg; 0.20 / 0.05 = 4 mL (a whole number of 0.5 mL steps).
    answer = run_dose({"bsa_m2": 0.4, "dose_mg_per_m2": 0.5})
    assert answer["container"] == "syringe"
    assert answer["final_volume_ml"] == 4
    assert answer["final_concentration_mg_per_ml"] == 0.05
    assert answer["infusion_rate_ml_per_h"] == 4
    assert answer["preparation"]["administration"]["device"].startswith("syringe pump")
    assert "syringe_route" in _codes(answer)
    assert "bsa_below_usual_range" in _codes(answer)


def test_syringe_volume_rounds_to_the_step() -> None:
    """0.33 mg: 0.33 / 0.05 = 6.6 mL -> 6.5 mL (13 steps of 0.5), 0.0508 mg/mL."""
    # 0.6 x 0.55 = 0.33 mg.
    infusion = compute_dose(0.55, 0.6).infusion
    assert (infusion.container, infusion.final_volume_ml) == ("syringe", 6.5)
    assert infusion.final_concentration_mg_per_ml == 0.0508


@given(st.integers(min_value=2, max_value=49))
def test_syringe_concentration_in_window(dose_cg: int) -> None:
    """Any dose from 0.02 to 0.49 mg gets a syringe in 0.5 mL steps within 0.025-0.1 mg/mL."""
    result = compute_dose(1.0, dose_cg / 100)
    infusion = result.infusion
    assert infusion.container == "syringe"
    assert 0.025 <= result.dose_mg / infusion.final_volume_ml <= 0.1
    assert (infusion.final_volume_ml * 2) == int(infusion.final_volume_ml * 2)


def test_five_milligrams_is_the_bag_upper_edge() -> None:
    """5.0 mg in 50 mL is 0.1 mg/mL, the bag's upper edge; 5.01 mg needs a larger bag."""
    # 2.0 x 2.50 = 5.00 mg -> 50 mL at 0.1 mg/mL.
    at_edge = compute_dose(2.5, 2.0).infusion
    assert (at_edge.container, at_edge.final_volume_ml, at_edge.rule) == ("bag", 50, "prep.bag")
    # 2.0 x 2.51 = 5.02 mg; 5.02 / 0.1 = 50.2 mL -> next 10 mL: 60 mL at 60 mL/h.
    above = compute_dose(2.51, 2.0).infusion
    assert (above.final_volume_ml, above.infusion_rate_ml_per_h) == (60, 60)
    assert above.rule == "prep.bag_large_dose"


# ------------------------------------------------------------------ override


def test_dose_above_maximum_needs_override() -> None:
    """1.0 mg/m2 without override_reason is refused, naming the 0.8 maximum and the override."""
    message = _errors({**EXAMPLE, "dose_mg_per_m2": 1.0})["dose_mg_per_m2"]
    assert "0.8" in message
    assert "override_reason" in message


def test_maximum_itself_needs_no_override() -> None:
    """0.8 mg/m2 exactly is allowed without an override."""
    assert run_dose(EXAMPLE)["warnings"] == []


def test_override_allows_a_larger_dose_with_a_warning() -> None:
    """With override_reason, 1.0 mg/m2 is computed and flagged."""
    answer = run_dose({**EXAMPLE, "dose_mg_per_m2": 1.0, "override_reason": "study protocol X"})
    # 1.0 x 2.00 = 2.00 mg -> 3 vials (2.7 mg), waste 0.7 mg.
    assert (answer["dose_mg"], answer["vials"], answer["waste_mg"]) == (2.0, 3, 0.7)
    assert _codes(answer) == ["dose_above_protocol_maximum"]
    assert "study protocol X" in answer["warnings"][0]["message"]
    assert "regimen.max_single_dose" in answer["rules"]
    assert answer["override_reason"] == "study protocol X"


def test_override_has_a_ceiling() -> None:
    """Even with an override, a dose above 2.0 mg/m2 is refused as implausible."""
    message = _errors({**EXAMPLE, "dose_mg_per_m2": 2.5, "override_reason": "typo?"})[
        "dose_mg_per_m2"
    ]
    assert "2" in message and "0.8" in message


def test_unneeded_override_is_reported() -> None:
    """An override_reason with a dose within the maximum changes nothing but is reported."""
    answer = run_dose({**EXAMPLE, "override_reason": "just in case"})
    assert answer["dose_mg"] == 1.6
    assert _codes(answer) == ["override_reason_not_needed"]


def test_empty_override_reason_is_bad_input() -> None:
    """A blank override_reason is not a reason."""
    errors = _errors({**EXAMPLE, "dose_mg_per_m2": 1.0, "override_reason": "  "})
    assert "override_reason" in errors


# ------------------------------------------------------------------ warnings


def test_large_bsa_is_flagged_not_capped() -> None:
    """A BSA above 2.5 m2 is used uncapped and flagged."""
    # sqrt(190 x 150 / 3600) = sqrt(7.9167) = 2.8137 -> 2.81 m2; 0.8 x 2.81 = 2.248 -> 2.25 mg.
    answer = run_dose({"height_cm": 190, "weight_kg": 150, "dose_mg_per_m2": 0.8})
    assert (answer["bsa_m2"], answer["dose_mg"]) == (2.81, 2.25)
    assert _codes(answer) == ["bsa_above_usual_range"]


# ------------------------------------------------------------------ bad input


def test_either_bsa_or_height_and_weight() -> None:
    """Giving both bsa_m2 and height/weight is refused on each field concerned."""
    errors = _errors({**EXAMPLE, "bsa_m2": 2.0})
    assert {"bsa_m2", "height_cm", "weight_kg"} <= set(errors)


def test_neither_bsa_nor_height_and_weight() -> None:
    """Giving neither bsa_m2 nor height and weight names height_cm and weight_kg."""
    errors = _errors({"dose_mg_per_m2": 0.8})
    assert set(errors) == {"height_cm", "weight_kg"}
    assert "bsa_m2" in errors["height_cm"]


def test_formula_with_direct_bsa_is_refused() -> None:
    """bsa_formula means nothing with bsa_m2 and is refused."""
    assert "bsa_formula" in _errors({"bsa_m2": 2.0, "dose_mg_per_m2": 0.8, "bsa_formula": "boyd"})


def test_implausible_computed_bsa_is_refused() -> None:
    """Height and weight each plausible but giving a BSA above 3.5 m2 are both named."""
    # sqrt(250 x 350 / 3600) = sqrt(24.306) = 4.93 m2 > 3.5.
    errors = _errors({"height_cm": 250, "weight_kg": 350, "dose_mg_per_m2": 0.8})
    assert set(errors) == {"height_cm", "weight_kg"}
    assert "4.93" in errors["height_cm"]


def test_every_bad_field_is_named_at_once() -> None:
    """Several bad fields are all reported in one answer."""
    errors = _errors({"height_cm": "tall", "weight_kg": -3, "dose_mg_per_m2": 1.2, "x": 1})
    assert set(errors) == {"height_cm", "weight_kg", "dose_mg_per_m2", "x"}


def test_compute_dose_rejects_nonsense() -> None:
    """compute_dose refuses a non-positive BSA or dose."""
    with pytest.raises(ValueError):
        compute_dose(0, 0.8)
    with pytest.raises(ValueError):
        compute_dose(2.0, -0.5)


# ------------------------------------------------------------------ preparation object


def test_preparation_object() -> None:
    """The preparation object covers reconstitution, dilution, filters, light and observation."""
    prep = run_dose(EXAMPLE)["preparation"]
    recon = prep["reconstitution"]
    assert (recon["vials"], recon["diluent_ml_per_vial"]) == (2, 4)
    assert recon["diluent"] == "sterile water for injection"
    assert "shake" in recon["mixing"]
    assert "opalescent" in recon["expected_appearance"]
    assert prep["dilution"]["withdraw_ml"] == 6.4
    assert prep["dilution"]["diluent"] == "0.9% sodium chloride"
    assert prep["filters"]["required"] is False
    assert "nylon" in prep["filters"]["forbidden"]
    assert prep["light_protection"]["required"] is True
    assert prep["observation"]["minutes_after_infusion"] == 60
    assert prep["time_limits"]["reconstitution_to_end_max_hours"] == 8
