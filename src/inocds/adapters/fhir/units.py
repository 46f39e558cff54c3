"""UCUM units of incoming lab values, converted to the course document's units with `pint`.

Only the UCUM codes listed here (with any `{annotation}`, which UCUM defines as unity)
are accepted; any other code is refused with
`UnitNotUnderstood` (the caller says so on a card or in an OperationOutcome),
never guessed. Cell counts end per mm3 (= per microlitre, CONTRACT.md);
bilirubin ends in mg/dL, the umol/L conversion going through the molar mass
kept in `protocol/interop.toml` with its source; AST and ALT keep their own
unit (U/L or [IU]/L) because only their ratio to the ULN matters.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

import pint

from inocds.protocol.interop import load_interop

__all__ = ["UnitNotUnderstood", "convert", "known_units"]

# UCUM code -> pint expression, per kind of value. Explicit, not parsed: a code
# missing here is unknown.
_UNITS: dict[str, dict[str, str]] = {
    "count": {
        "/uL": "1 / microliter",
        "/mm3": "1 / millimeter ** 3",
        "10*3/uL": "1e3 / microliter",
        "10*3/mm3": "1e3 / millimeter ** 3",
        "10*9/L": "1e9 / liter",
        "10*6/L": "1e6 / liter",
    },
    "bilirubin": {
        "mg/dL": "milligram / deciliter",
        "mg/L": "milligram / liter",
        "umol/L": "micromole / liter",
        "mmol/L": "millimole / liter",
    },
    "liver": {"U/L": "U/L", "[IU]/L": "[IU]/L"},
    "height_cm": {"cm": "centimeter", "m": "meter", "[in_i]": "inch"},
    "weight_kg": {"kg": "kilogram", "g": "gram", "[lb_av]": "pound"},
}
_TARGET = {
    "count": "1 / millimeter ** 3",
    "bilirubin": "milligram / deciliter",
    "height_cm": "centimeter",
    "weight_kg": "kilogram",
}


_ANNOTATION = re.compile(r"\{[^{}]*\}")
"""A UCUM annotation such as `{cells}`: unity by the UCUM rules, so `{cells}/uL` is `/uL`."""


class UnitNotUnderstood(ValueError):
    """An incoming unit that is not one of the UCUM codes this project converts."""

    def __init__(self, unit: str | None, kind: str) -> None:
        allowed = ", ".join(_UNITS[kind])
        shown = "no unit" if not unit else f"unit {unit!r}"
        super().__init__(f"{shown} is not understood here (UCUM codes accepted: {allowed})")
        self.unit = unit
        self.kind = kind


@lru_cache(maxsize=1)
def _registry() -> Any:  # pint.UnitRegistry (its generic parameters are internal)
    return pint.UnitRegistry()


def known_units(kind: str) -> tuple[str, ...]:
    """The UCUM codes accepted for a kind of value."""
    return tuple(_UNITS[kind])


def convert(value: float, unit: str | None, kind: str) -> float:
    """`value` in UCUM `unit` expressed in the course document's unit for `kind`.

    For `liver` the value is returned as is (its ULN must share the unit; the caller
    checks). Raises UnitNotUnderstood for a unit not listed for the kind.
    """
    expression = _UNITS[kind].get(_ANNOTATION.sub("", unit or ""))
    if expression is None:
        raise UnitNotUnderstood(unit, kind)
    if kind == "liver":
        return float(value)
    registry = _registry()
    quantity = registry.parse_expression(expression) * value
    if kind == "bilirubin" and quantity.check("[substance] / [length] ** 3"):
        molar_mass = load_interop().bilirubin_molar_mass_g_per_mol
        quantity = quantity * registry.Quantity(molar_mass, "gram / mole")
    return float(quantity.to(_TARGET[kind]).magnitude)
