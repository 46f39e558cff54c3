"""Plausibility of input (exit 2 / 422): counts per mm3 (data.count_units), BMI (data.bmi).

A count such as platelets 80 or ANC 1.5 is a count in 10^3/uL (10^9/L) read as
per mm3; the refusal says what was probably meant. Height and weight must fit one
person; the refusal suggests inches or pounds where that explains the slip.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from inocds.clinical.rules import ids
from inocds.clinical.validation import FieldError, Num, Spec
from inocds.protocol.loader import load_protocol, rule_number

__all__ = ["Count", "bmi_errors"]

_NAMES = {"platelets": "platelets", "anc": "ANC", "blasts": "blasts"}


def render(rule_id: str, key: str = "message", **values: Any) -> str:
    """rules.text.render, imported on the first refusal: accepted input (a cold `inocds
    dose`) does not import the reasons module and its dataclasses."""
    from inocds.clinical.rules.text import render as render_template

    return render_template(rule_id, key, **values)


class Count(Spec):
    """A cell count per mm3: a whole number within [0, hi], 0 or at least the family's minimum."""

    __slots__ = ("_minimum", "hi", "kind", "number")

    def __init__(self, kind: str, hi: float) -> None:
        self.kind = kind
        self.hi = hi
        self.number = Num(0, hi)
        self._minimum: float | None = None  # read from the protocol on first use

    def minimum(self) -> float:
        """The smallest plausible non-zero count per mm3 of this family (data.count_units)."""
        if self._minimum is None:
            rule = load_protocol()[ids.DATA_COUNT_UNITS]
            if self.kind == "platelets":
                self._minimum = rule.number("min_platelets_per_mm3")
            elif self.kind == "anc":
                self._minimum = rule.number("min_anc_per_mm3")
            else:
                self._minimum = 0.0
        return self._minimum

    def compiled(self) -> Callable[[Any], Any]:
        """The fast twin of `check` (clinical.validation_compiled): accepted counts only."""
        from inocds.clinical.validation_compiled import Refused, compiled

        if not self.number.finite:
            return compiled(self.number)  # Num refuses every value then, so does check
        lo, hi, minimum, floor = self.number.lo, self.number.hi, self.minimum(), math.floor

        def count(value: Any) -> Any:
            kind = type(value)
            if (kind is int or kind is float) and not value < lo and value <= hi:
                cleaned = float(value)  # what Num(lo, hi) returns
                if not 0 < cleaned < minimum and cleaned == floor(cleaned):
                    return cleaned
            raise Refused

        return count

    def written(self, raw: str, out: str, constant: Callable[[Any], str]) -> list[str] | None:
        """The twin's test written inline (clinical.validation_source): a count is read 7
        times per course document, ~2,500 instructions less each than calling the twin."""
        if not self.number.finite:
            return None  # the twin refuses every value then
        lo, hi = constant(self.number.lo), constant(self.number.hi)
        minimum, floor = constant(self.minimum()), constant(math.floor)
        kind = f"type({raw})"
        return [
            f"if not (({kind} is int or {kind} is float) and not {raw} < {lo} and {raw} <= {hi}):",
            "    raise Refused",
            f"{out} = float({raw})",  # what Num(lo, hi) returns
            # the float of an int is whole: floor only for a float
            f"if 0 < {out} < {minimum} or ({kind} is float and {out} != {floor}({out})):",
            "    raise Refused",
        ]

    def check(self, value: Any, path: str, errors: list[FieldError]) -> Any:
        cleaned = self.number.check(value, path, errors)
        if cleaned is None:
            return None
        name = _NAMES[self.kind]
        minimum = self.minimum()
        if 0 < cleaned < minimum:
            factor = rule_number(ids.DATA_COUNT_UNITS, "per_mm3_per_10e3_per_ul")
            message = render(
                ids.DATA_COUNT_UNITS,
                "small",
                name=name,
                value=cleaned,
                suggested=cleaned * factor,
                minimum=minimum,
            )
            errors.append(FieldError(path, message))
            return None
        if cleaned != math.floor(cleaned):
            errors.append(
                FieldError(path, render(ids.DATA_COUNT_UNITS, "fraction", name=name, value=cleaned))
            )
            return None
        return float(cleaned)


def _hint(height_cm: float, weight_kg: float, low: float, high: float) -> str:
    rule = load_protocol()[ids.DATA_BMI]
    inch, pound = rule.number("cm_per_inch"), rule.number("lb_per_kg")
    hints = []
    as_cm = height_cm * inch
    if (
        low <= weight_kg / (as_cm / 100) ** 2 <= high
        or low <= (weight_kg / pound) / (as_cm / 100) ** 2 <= high
    ):
        hints.append(render(ids.DATA_BMI, "inches", height=height_cm, converted=as_cm))
    as_kg = weight_kg / pound
    if any(low <= as_kg / (h / 100) ** 2 <= high for h in (height_cm, as_cm)):
        hints.append(render(ids.DATA_BMI, "pounds", weight=weight_kg, converted=as_kg))
    return "".join(hints)


def bmi_errors(height_cm: float, weight_kg: float, prefix: str = "") -> list[FieldError]:
    """Errors naming height and weight when their BMI is outside the plausible range."""
    low = rule_number(ids.DATA_BMI, "min_kg_per_m2")
    high = rule_number(ids.DATA_BMI, "max_kg_per_m2")
    bmi = weight_kg / (height_cm / 100) ** 2
    if low <= bmi <= high:
        return []
    message = render(
        ids.DATA_BMI,
        height=height_cm,
        weight=weight_kg,
        bmi=bmi,
        hint=_hint(height_cm, weight_kg, low, high),
    )
    return [
        FieldError(f"{prefix}height_cm", message),
        FieldError(f"{prefix}weight_kg", message),
    ]
