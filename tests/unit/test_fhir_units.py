"""UCUM lab units converted to the course document's units (pint), and unknown units refused."""

from __future__ import annotations

import pytest

from inocds.adapters.fhir.units import UnitNotUnderstood, convert
from inocds.protocol.interop import load_interop


@pytest.mark.parametrize(
    ("value", "unit", "per_mm3"),
    [
        (0.6, "10*9/L", 600),  # 0.6e9 / 1e6 mm3 per L = 600
        (0.6, "10*3/uL", 600),  # 0.6e3 per uL, and 1 uL = 1 mm3
        (600, "/uL", 600),
        (600, "/mm3", 600),
        (45, "10*3/mm3", 45000),
        (600, "{cells}/uL", 600),  # a UCUM annotation is unity
    ],
)
def test_cell_counts_end_per_mm3(value: float, unit: str, per_mm3: int) -> None:
    """Counts in 10*9/L, 10*3/uL, /uL and /mm3 are the same per-mm3 number."""
    assert convert(value, unit, "count") == pytest.approx(per_mm3)


def test_bilirubin_umol_per_l_to_mg_per_dl_through_the_molar_mass() -> None:
    """34.2 umol/L x 584.66 g/mol = 19.995 mg/L = 1.9995 mg/dL (1 mg/dL = 17.10 umol/L)."""
    assert load_interop().bilirubin_molar_mass_g_per_mol == 584.66
    assert convert(34.2, "umol/L", "bilirubin") == pytest.approx(1.9995, abs=1e-4)
    assert convert(1.2, "mg/dL", "bilirubin") == pytest.approx(1.2)


def test_height_and_weight_units() -> None:
    """1.7 m is 170 cm; 132.28 lb is 60 kg (1 lb = 0.45359237 kg)."""
    assert convert(1.7, "m", "height_cm") == pytest.approx(170)
    assert convert(132.2774, "[lb_av]", "weight_kg") == pytest.approx(60, abs=1e-3)


@pytest.mark.parametrize(
    ("unit", "kind"),
    [("K/uL", "count"), ("10^9/L", "count"), (None, "count"), ("mg%", "bilirubin")],
)
def test_unknown_units_are_refused_never_guessed(unit: str | None, kind: str) -> None:
    """A unit not in the UCUM list (K/uL, 10^9/L, none, mg%) raises UnitNotUnderstood naming it."""
    with pytest.raises(UnitNotUnderstood) as refused:
        convert(1.0, unit, kind)
    assert (unit or "no unit") in str(refused.value)


def test_every_loinc_entry_names_a_course_field() -> None:
    """The LOINC table maps the issue's codes (751-8, 777-3, 1975-2, 1920-8, 1742-6, ...)."""
    table = load_interop().loinc
    expected = {
        "8302-2": "height_cm",
        "29463-7": "weight_kg",
        "751-8": "anc_per_mm3",
        "777-3": "platelets_per_mm3",
        "1975-2": "bilirubin",
        "1920-8": "ast",
        "1742-6": "alt",
    }
    assert {code: table[code].field for code in expected} == expected
