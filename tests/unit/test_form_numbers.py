"""The pages' one number parser: counts as shown, decimal commas, ambiguity refused, units."""

from __future__ import annotations

import pytest

from inocds.entrypoints.web.forms import Form


def typed(value: str, name: str = "anc_per_mm3", **extra: str) -> Form:
    return Form("labs", values={name: value, **extra}, inputs=frozenset({name}))


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("1,500", 1500), ("1500", 1500), ("100,000", 100000), ("100 000", 100000), ("0", 0)],
)
def test_a_count_accepts_thousands_separators_as_the_pages_show_them(
    raw: str, expected: float
) -> None:
    """ "1,500" is 1500 cells/mm³ (the pages print counts with thousands commas)."""
    form = typed(raw)
    assert form.count("anc_per_mm3") == expected and not form.failed


@pytest.mark.parametrize("raw", ["1,5", "1.5", "1,50"])
def test_a_count_with_a_decimal_in_mm3_is_refused_with_a_suggestion(raw: str) -> None:
    """A count per mm³ is whole: "1,5" or "1.5" is refused and the 10^9/L unit suggested."""
    form = typed(raw)
    assert form.count("anc_per_mm3") is None
    assert "10^9/L" in form.errors["anc_per_mm3"][0]


def test_a_negative_count_is_a_form_error_not_a_crash() -> None:
    """-600 is refused beside the input: "must not be negative" (no upper bound is formatted)."""
    form = typed("-600")
    assert form.count("anc_per_mm3") is None
    assert form.errors == {"anc_per_mm3": ["must not be negative"]}


@pytest.mark.parametrize(("unit", "raw"), [("e9_per_L", "1.5"), ("e3_per_uL", "1,5")])
def test_a_count_in_another_unit_is_converted_and_the_conversion_noted(unit: str, raw: str) -> None:
    """1.5 × 10^9/L = 1.5 × 10^3/µL = 1.5 × 1,000/mm³ = 1,500/mm³, and the page says so."""
    form = typed(raw, anc_per_mm3_unit=unit)
    assert form.count("anc_per_mm3") == 1500
    assert form.notes and form.notes[0].endswith("= 1,500/mm³")


def test_a_decimal_comma_is_read_in_a_measurement_but_1_500_is_ambiguous() -> None:
    """Weight "70,5" is 70.5 kg; "1,500" could be 1.5 or 1500: refused, never guessed."""
    assert typed("70,5", "weight_kg").number("weight_kg") == 70.5
    form = typed("1,500", "weight_kg")
    assert form.number("weight_kg") is None
    assert "ambiguous" in form.errors["weight_kg"][0]


def test_an_unreadable_number_names_an_example() -> None:
    """ "sixty" is refused with an example of what is expected."""
    form = typed("sixty", "weight_kg")
    assert form.number("weight_kg") is None
    assert form.errors["weight_kg"][0].startswith("must be a number, such as 70.5")


def test_an_engine_path_in_a_general_error_is_shown_by_its_label() -> None:
    """A path no input shows ("patient.weight_kg") reads "Weight (kg): …", not the path."""
    form = Form("sign", inputs=frozenset({"cycle"}))
    form.error("patient.weight_kg", "must be at most 350")
    assert form.general == ["Weight (kg): must be at most 350"]
