"""What a signed or verified order is checked against: the engine, the weight, the dose.

`orders.sign` compares the order with the engine's decision (a difference needs an
override reason) and with the course's starting weight (a change of 10% or more needs
the physician's acknowledgement); `orders.verify` checks that the pharmacist's own
height and weight reproduce the ordered dose. The two fractions are read from
protocol/rules.toml (workflow.dose_tolerance, workflow.weight_change).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.adapters.db.models import Course, Order
from inocds.clinical.validation import FieldError, InputError
from inocds.protocol.loader import load_protocol
from inocds.services.errors import Conflict

__all__ = [
    "DOSE_TOLERANCE_FRACTION",
    "WEIGHT_CHANGE_FRACTION",
    "engine_differences",
    "require_dose_reproduced",
    "require_override_reason",
    "require_weight_change_acknowledged",
    "weight_change_fraction",
]

DOSE_TOLERANCE_FRACTION = load_protocol()["workflow.dose_tolerance"].number(
    "max_difference_fraction"
)
"""An ordered dose more than this far from the engine's needs an override (5%)."""
WEIGHT_CHANGE_FRACTION = load_protocol()["workflow.weight_change"].number("recalculate_at_fraction")
"""A weight this far from the course's start sends the order back (10%)."""


def weight_change_fraction(course: Course, weight_kg: float) -> float:
    """|weight - course start weight| / course start weight."""
    return abs(weight_kg - course.start_weight_kg) / course.start_weight_kg


def engine_differences(
    decision: dict[str, Any],
    cycle: int,
    day: int,
    dose_mg_per_m2: float,
    scheduled_on: dt.date,
) -> list[str]:
    """Where the order departs from the engine's decision (empty when it agrees)."""
    problems: list[str] = []
    if decision["action"] != "give":
        problems.append(f"the engine does not allow a dose on {scheduled_on}: {decision['action']}")
    elif (decision["cycle"], decision["day"]) != (cycle, day):
        problems.append(f"the engine's due dose is cycle {decision['cycle']} day {decision['day']}")
    else:
        engine = float(decision["dose_mg_per_m2"])
        if abs(dose_mg_per_m2 - engine) > DOSE_TOLERANCE_FRACTION * engine:
            problems.append(
                f"{dose_mg_per_m2:g} mg/m2 differs from the engine's {engine:g} mg/m2 "
                f"by more than {DOSE_TOLERANCE_FRACTION:.0%}"
            )
    return problems


def require_override_reason(problems: list[str], override_reason: str | None) -> None:
    """An order that departs from the engine carries a reason (InputError otherwise)."""
    if problems and not (override_reason and override_reason.strip()):
        raise InputError(
            [
                FieldError(
                    "override_reason", "; ".join(problems) + ": an override reason is required"
                )
            ]
        )


def require_weight_change_acknowledged(
    course: Course, weight_kg: float, acknowledged: bool
) -> None:
    """A weight 10% or more from the course's start is signed only when acknowledged."""
    change = weight_change_fraction(course, weight_kg)
    if change >= WEIGHT_CHANGE_FRACTION and not acknowledged:
        raise Conflict(
            f"weight {weight_kg:g} kg is {change:.0%} away from the course's start "
            f"({course.start_weight_kg:g} kg): confirm the recalculated dose "
            "(weight_change_acknowledged)",
            "weight_change_acknowledged",
        )


def require_dose_reproduced(order: Order, bsa: float, dose_mg: float) -> None:
    """The pharmacist's own BSA and dose match the order's (InputError otherwise)."""
    if dose_mg != order.dose_mg:
        raise InputError(
            [
                FieldError(
                    "weight_kg",
                    f"your entry gives BSA {bsa:.2f} m2 and {dose_mg:.2f} mg; the order says "
                    f"BSA {order.bsa_m2:.2f} m2 and {order.dose_mg:.2f} mg: the dose is not "
                    "reproduced",
                )
            ]
        )
