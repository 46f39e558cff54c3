"""The five BSA formulas against values worked from their published equations.

References (the equations, as published):
- Mosteller RD. N Engl J Med 1987;317:1098 — sqrt(height_cm x weight_kg / 3600);
  the same letter gives the inch/pound form sqrt(height_in x weight_lb / 3131).
- Du Bois D, Du Bois EF. Arch Intern Med 1916;17:863-871 — 0.007184 x H_cm^0.725 x
  W_kg^0.425 (published as 71.84 x W^0.425 x H^0.725 in cm2; with height in metres
  the constant is 0.20247).
- Haycock GB, Schwartz GJ, Wisotsky DH. J Pediatr 1978;93:62-66 — 0.024265 x
  H_cm^0.3964 x W_kg^0.5378.
- Gehan EA, George SL. Cancer Chemother Rep 1970;54:225-235 — 0.0235 x H_cm^0.42246 x
  W_kg^0.51456.
- Boyd E. The growth of the surface area of the human body. 1935 — 0.0003207 x
  H_cm^0.3 x W_g^(0.7285 - 0.0188 x log10 W_g).

Each expected value is worked by hand in the comment (powers as exp(p x ln x)),
to 4 decimals; the code must agree within 0.0005 m2.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from inocds.clinical.bsa import FORMULAS, body_surface_area_m2
from inocds.clinical.dose import rounded_bsa_m2

heights = st.floats(min_value=30, max_value=250)
weights = st.floats(min_value=1, max_value=350)


@pytest.mark.parametrize(
    ("formula", "height_cm", "weight_kg", "expected_m2"),
    [
        # Mosteller: 180 x 80 = 14400; / 3600 = 4; sqrt(4) = 2.0000 (the contract example).
        ("mosteller", 180, 80, 2.0000),
        # Mosteller: 170 x 70 = 11900; / 3600 = 3.30556; sqrt = 1.8181.
        ("mosteller", 170, 70, 1.8181),
        # Mosteller, newborn: 50 x 3 = 150; / 3600 = 0.041667; sqrt = 0.2041.
        ("mosteller", 50, 3, 0.2041),
        # Du Bois: 180^0.725 = exp(0.725 x 5.19296) = 43.1591; 80^0.425 = exp(0.425 x
        # 4.38203) = 6.43892; 0.007184 x 43.1591 x 6.43892 = 1.9964.
        ("dubois", 180, 80, 1.9964),
        # Du Bois: 170^0.725 = 41.4072; 70^0.425 = 6.08368; 0.007184 x 41.4072 x 6.08368 = 1.8097.
        ("dubois", 170, 70, 1.8097),
        # Haycock: 180^0.3964 = exp(0.3964 x 5.19296) = 7.83412; 80^0.5378 = exp(0.5378 x
        # 4.38203) = 10.55557; 0.024265 x 7.83412 x 10.55557 = 2.0066.
        ("haycock", 180, 80, 2.0066),
        # Haycock, newborn (the population it was validated in): 50^0.3964 = 4.71489;
        # 3^0.5378 = 1.80549; 0.024265 x 4.71489 x 1.80549 = 0.2066.
        ("haycock", 50, 3, 0.2066),
        # Gehan-George: 180^0.42246 = exp(0.42246 x 5.19296) = 8.96938; 80^0.51456 =
        # exp(0.51456 x 4.38203) = 9.53354; 0.0235 x 8.96938 x 9.53354 = 2.0095.
        ("gehan_george", 180, 80, 2.0095),
        # Gehan-George, child 110 cm / 18 kg: 110^0.42246 = 7.28462; 18^0.51456 = 4.42500;
        # 0.0235 x 7.28462 x 4.42500 = 0.7575.
        ("gehan_george", 110, 18, 0.7575),
        # Boyd: W = 80000 g; log10 80000 = 4.90309; exponent 0.7285 - 0.0188 x 4.90309 =
        # 0.636322; 80000^0.636322 = 1318.085; 180^0.3 = 4.74878;
        # 0.0003207 x 4.74878 x 1318.085 = 2.0074.
        ("boyd", 180, 80, 2.0074),
        # Boyd, child 110 cm / 18 kg: W = 18000 g; exponent 0.7285 - 0.0188 x 4.25527 =
        # 0.648501; 18000^0.648501 = 574.841; 110^0.3 = 4.09655; 0.0003207 x 4.09655 x
        # 574.841 = 0.7552.
        ("boyd", 110, 18, 0.7552),
    ],
)
def test_formula_matches_worked_value(
    formula: str, height_cm: float, weight_kg: float, expected_m2: float
) -> None:
    """Each formula gives the value worked by hand from its published equation."""
    assert body_surface_area_m2(height_cm, weight_kg, formula) == pytest.approx(
        expected_m2, abs=5e-4
    )


def test_default_formula_is_mosteller() -> None:
    """Without a formula name the BSA is Mosteller's (the contract's default)."""
    assert body_surface_area_m2(170, 70) == FORMULAS["mosteller"](170, 70)


def test_five_formulas_are_offered() -> None:
    """Exactly the contract's five formula names are available."""
    assert set(FORMULAS) == {"mosteller", "dubois", "haycock", "gehan_george", "boyd"}


def test_formulas_agree_for_an_average_adult() -> None:
    """For 180 cm / 80 kg the five formulas lie within 0.02 m2 of each other (1.9964-2.0095)."""
    values = [f(180, 80) for f in FORMULAS.values()]
    assert max(values) - min(values) < 0.02


@pytest.mark.parametrize(
    ("height_cm", "weight_kg", "formula", "expected"),
    [
        (180, 80, "mosteller", 2.0),  # 2.0000 -> 2.00
        (170, 70, "mosteller", 1.82),  # 1.8181 -> 1.82
        (180, 80, "dubois", 2.0),  # 1.9964 -> 2.00
        (180, 80, "haycock", 2.01),  # 2.0066 -> 2.01
        (165, 62, "mosteller", 1.69),  # sqrt(165 x 62 / 3600) = sqrt(2.84167) = 1.6857 -> 1.69
    ],
)
def test_rounded_bsa(height_cm: float, weight_kg: float, formula: str, expected: float) -> None:
    """rounded_bsa_m2 rounds the formula's value to 2 decimals."""
    assert rounded_bsa_m2(height_cm, weight_kg, formula) == expected


@given(heights, weights)
def test_dubois_metre_form_agrees(height_cm: float, weight_kg: float) -> None:
    """Du Bois with height in metres (constant 0.20247) gives the same value as in cm."""
    metres = 0.20247 * (height_cm / 100) ** 0.725 * weight_kg**0.425
    assert FORMULAS["dubois"](height_cm, weight_kg) == pytest.approx(metres, rel=2e-4)


@given(heights, weights)
def test_mosteller_imperial_form_agrees(height_cm: float, weight_kg: float) -> None:
    """Mosteller's inch/pound form (divisor 3131) agrees with the metric one within 0.2%."""
    # 1 in x 1 lb = 2.54 cm x 0.45359 kg = 1.15212 cm.kg, so 3131 in.lb = 3607 cm.kg, not
    # 3600: the rounded divisor differs by 0.2%, the square root by 0.1%.
    imperial = math.sqrt((height_cm / 2.54) * (weight_kg / 0.45359237) / 3131)
    assert FORMULAS["mosteller"](height_cm, weight_kg) == pytest.approx(imperial, rel=2e-3)


@given(heights, weights, st.sampled_from(sorted(FORMULAS)))
def test_bsa_grows_with_height_and_weight(height_cm: float, weight_kg: float, name: str) -> None:
    """Every formula is positive and grows with height and with weight."""
    f = FORMULAS[name]
    base = f(height_cm, weight_kg)
    assert base > 0
    assert f(height_cm * 1.01, weight_kg) > base
    assert f(height_cm, weight_kg * 1.01) > base
