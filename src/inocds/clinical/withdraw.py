"""How to measure the volume to withdraw: which syringes, read to which graduation.

`withdraw_plan(volume_ml, concentration_mg_per_ml)` splits the exact volume into draws
(prep.withdraw_syringes): full draws of the largest listed syringe while the rest does
not fit it, then the rest in the smallest syringe that holds it, each rounded half up
to its syringe's graduation. The measured total and the mg it carries are reported, so
a difference from the ordered dose is visible, never hidden.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from inocds.protocol.loader import load_protocol

__all__ = ["Draw", "WithdrawPlan", "withdraw_plan"]


@dataclass(frozen=True)
class Draw:
    """One draw: the syringe size, its graduation and the volume to read on it."""

    syringe_ml: float
    graduation_ml: float
    volume_ml: float


@dataclass(frozen=True)
class WithdrawPlan:
    """The draws, their measured total and the mg that total carries."""

    draws: tuple[Draw, ...]
    exact_ml: float
    measured_ml: float
    measured_mg: float
    rule: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "draws": [
                {
                    "syringe_ml": d.syringe_ml,
                    "graduation_ml": d.graduation_ml,
                    "volume_ml": d.volume_ml,
                }
                for d in self.draws
            ],
            "exact_ml": self.exact_ml,
            "measured_ml": self.measured_ml,
            "measured_mg": self.measured_mg,
            "rule": self.rule,
        }


def _to_step(value: Decimal, step: Decimal) -> Decimal:
    return (value / step).quantize(Decimal(1), rounding=ROUND_HALF_UP) * step


def withdraw_plan(volume_ml: float, concentration_mg_per_ml: float) -> WithdrawPlan:
    """The draws that measure `volume_ml` (> 0) with the listed syringes."""
    if volume_ml <= 0:
        raise ValueError(f"the volume to withdraw must be above 0 mL; got {volume_ml}")
    rule = load_protocol()["prep.withdraw_syringes"]
    sizes = [Decimal(str(s)) for s in rule.numbers("sizes_ml")]
    steps = [Decimal(str(g)) for g in rule.numbers("graduations_ml")]
    syringes = sorted(zip(sizes, steps, strict=True))
    largest, largest_step = syringes[-1]
    rest = Decimal(str(volume_ml))
    draws: list[Draw] = []
    while rest > largest:
        draws.append(Draw(float(largest), float(largest_step), float(largest)))
        rest -= largest
    size, step = next((s, g) for s, g in syringes if rest <= s)
    measured = _to_step(rest, step)
    if measured <= 0:
        measured = step
    draws.append(Draw(float(size), float(step), float(measured)))
    total = sum((Decimal(str(d.volume_ml)) for d in draws), Decimal(0))
    mg = (total * Decimal(str(concentration_mg_per_ml))).quantize(
        Decimal("0.001"), rounding=ROUND_HALF_UP
    )
    return WithdrawPlan(tuple(draws), volume_ml, float(total), float(mg), rule.id)
