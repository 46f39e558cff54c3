"""Preparation of one dose: bag or syringe, the preparation steps, the beyond-use clock.

Scope
- `plan_infusion(dose_mg, drug_volume_ml)`: the container. A 50 mL sodium chloride
  bag when the dose in 50 mL stays inside the bag window (prep.bag, 0.01-0.1 mg/mL:
  from 0.5 mg to 5 mg); below it a syringe whose volume keeps the concentration in
  the syringe window (prep.syringe, 0.025-0.1 mg/mL), as near the target
  concentration as the volume step allows; above it a larger bag
  (prep.bag_large_dose, only reachable with an override). Every route runs 1 h
  (prep.infusion), so the rate is the final volume per hour.
- `preparation_steps(...)`: reconstitution, dilution, administration, filters,
  light, observation, as the `preparation` object of the dose answer.
- The beyond-use clock is `clinical.beyond_use`, the `prepare` command
  `clinical.prepare_command`.

Sources: US prescribing information 2.4 and the hospital syringe window, as
summarised in FACTS.md "Product and preparation"; every number is read from
protocol/preparation.toml.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from inocds.protocol.loader import Protocol, Rule, load_protocol

__all__ = ["Infusion", "plan_infusion", "preparation_steps"]

_CENT = Decimal("0.01")
_TEN_THOUSANDTH = Decimal("0.0001")


def _dec(value: float) -> Decimal:
    """The decimal a person reads in `value` (its shortest repr), not its binary expansion."""
    return Decimal(repr(float(value)))


def _param(rule: Rule, name: str) -> Decimal:
    return _dec(rule.number(name))


def _round(value: Decimal, quantum: Decimal = _CENT) -> float:
    """Half-up rounding, as done by hand."""
    return float(value.quantize(quantum, rounding=ROUND_HALF_UP))


# ------------------------------------------------------------------ container


class Infusion(NamedTuple):
    """The diluted infusion: container, volumes, concentration, rate and duration."""

    container: str
    """"bag" or "syringe"."""
    diluent: str
    final_volume_ml: float
    diluent_volume_ml: float
    """Sodium chloride to add to the withdrawn drug to reach the final volume."""
    final_concentration_mg_per_ml: float
    infusion_rate_ml_per_h: float
    infusion_minutes: int
    device: str
    rule: str
    """The protocol rule that chose the container."""


def plan_infusion(dose_mg: float, drug_volume_ml: float) -> Infusion:
    """The container, final volume and rate for `dose_mg` (drug volume already withdrawn).

    Raises ValueError for a dose that is not positive.
    """
    if not dose_mg > 0:
        raise ValueError(f"dose_mg must be above 0, got {dose_mg!r}")
    protocol = load_protocol()
    bag = protocol["prep.bag"]
    dose = _dec(dose_mg)
    bag_volume = _param(bag, "total_volume_ml")
    bag_min = _param(bag, "min_concentration_mg_per_ml")
    bag_max = _param(bag, "max_concentration_mg_per_ml")
    # Compare dose with concentration x volume: exact in decimals (0.5 mg = 0.01 x 50).
    if dose < bag_min * bag_volume:
        syringe = protocol["prep.syringe"]
        container, rule_id, volume = "syringe", "prep.syringe", _syringe_volume(dose, syringe)
        diluent, device = syringe.text("diluent"), syringe.text("device")
    else:
        container, rule_id, volume = "bag", "prep.bag", bag_volume
        diluent, device = bag.text("diluent"), bag.text("device")
        if dose > bag_max * bag_volume:
            step = _param(protocol["prep.bag_large_dose"], "volume_step_ml")
            rule_id = "prep.bag_large_dose"
            volume = math.ceil(dose / bag_max / step) * step
    infusion = protocol["prep.infusion"]
    minutes = infusion.integer("infusion_minutes")
    return Infusion(
        container=container,
        diluent=diluent,
        final_volume_ml=_round(volume),
        diluent_volume_ml=_round(volume - _dec(drug_volume_ml)),
        final_concentration_mg_per_ml=_round(dose / volume, _TEN_THOUSANDTH),
        infusion_rate_ml_per_h=_round(volume * 60 / minutes),
        infusion_minutes=minutes,
        device=device,
        rule=rule_id,
    )


def _syringe_volume(dose: Decimal, syringe: Rule) -> Decimal:
    """The syringe volume: a whole number of steps inside the window, nearest the target."""
    low = _param(syringe, "min_concentration_mg_per_ml")
    high = _param(syringe, "max_concentration_mg_per_ml")
    target = _param(syringe, "target_concentration_mg_per_ml")
    step = _param(syringe, "volume_step_ml")
    fewest = math.ceil(dose / high / step)  # more volume -> lower concentration
    most = math.floor(dose / low / step)
    if fewest > most:  # a window narrower than one step: the exact target volume
        return (dose / target).quantize(_CENT, rounding=ROUND_HALF_UP)
    nearest = int((dose / target / step).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    return min(max(nearest, fewest), most) * step


# ------------------------------------------------------------------ preparation steps


def preparation_steps(
    vials: int, volume_ml: float, dose_mg: float, infusion: Infusion
) -> dict[str, Any]:
    """The `preparation` object: what to do, with the rule behind each step."""
    protocol = load_protocol()
    return {
        "reconstitution": _reconstitution(vials, protocol),
        "dilution": _dilution(volume_ml, dose_mg, infusion, protocol),
        "administration": _administration(infusion, protocol["prep.containers"]),
        "filters": _filters(protocol["prep.filters"]),
        "light_protection": {
            "required": True,
            "instructions": "Shield the vials, the diluted solution and the running infusion "
            "from light.",
            "rule": "prep.light",
        },
        "observation": _observation(protocol["prep.observation"]),
        "time_limits": _time_limits(protocol["prep.beyond_use"]),
    }


def _reconstitution(vials: int, protocol: Protocol) -> dict[str, Any]:
    """Step 1: the powder in each vial dissolved, and how long it keeps."""
    recon = protocol["prep.reconstitution"]
    stored = protocol["prep.reconstituted_storage"]
    return {
        "vials": vials,
        "diluent": recon.text("diluent"),
        "diluent_ml_per_vial": recon.number("diluent_ml_per_vial"),
        "concentration_mg_per_ml": recon.number("concentration_mg_per_ml"),
        "deliverable_ml_per_vial": recon.number("deliverable_ml_per_vial"),
        "mixing": recon.text("mixing"),
        "expected_appearance": recon.text("appearance"),
        "storage": (
            f"Use at once, or keep at 2-8 C for up to {stored.number('max_hours'):g} h, "
            "protected from light; do not freeze."
        ),
        "rules": ["prep.reconstitution", "prep.reconstituted_storage"],
    }


def _dilution(
    volume_ml: float, dose_mg: float, infusion: Infusion, protocol: Protocol
) -> dict[str, Any]:
    """Step 2: the dose withdrawn and diluted in the bag or syringe."""
    dilution: dict[str, Any] = {
        "container": infusion.container,
        "diluent": infusion.diluent,
        "withdraw_ml": volume_ml,
        "diluent_volume_ml": infusion.diluent_volume_ml,
        "final_volume_ml": infusion.final_volume_ml,
        "final_concentration_mg_per_ml": infusion.final_concentration_mg_per_ml,
        "instructions": (
            f"Withdraw {volume_ml:g} mL ({dose_mg:g} mg) of the reconstituted solution and "
            f"add it to {infusion.diluent} to a total of {infusion.final_volume_ml:g} mL "
            f"({infusion.final_concentration_mg_per_ml:g} mg/mL); discard what is left "
            "in the vials."
        ),
        "rule": infusion.rule,
    }
    if infusion.container == "bag":
        dilution["mixing"] = protocol["prep.bag"].text("mixing")
        dilution["bag_materials"] = list(protocol["prep.containers"].texts("bags"))
    return dilution


def _administration(infusion: Infusion, containers: Rule) -> dict[str, Any]:
    """Step 3: the infusion itself, its device, rate and line."""
    return {
        "device": infusion.device,
        "infusion_minutes": infusion.infusion_minutes,
        "infusion_rate_ml_per_h": infusion.infusion_rate_ml_per_h,
        "line_materials": list(containers.texts("lines")),
        "instructions": (
            f"Infuse over {infusion.infusion_minutes} min at "
            f"{infusion.infusion_rate_ml_per_h:g} mL/h at room temperature by "
            f"{infusion.device}; give nothing else through the line; flush it with "
            "sodium chloride afterwards so the whole dose is given."
        ),
        "rules": ["prep.infusion", "prep.containers"],
    }


def _filters(filters: Rule) -> dict[str, Any]:
    """In-line filters: not required; which ones are allowed and forbidden."""
    return {
        "required": False,
        "allowed": list(filters.texts("allowed")),
        "forbidden": list(filters.texts("forbidden")),
        "rule": "prep.filters",
    }


def _observation(observation: Rule) -> dict[str, Any]:
    """Watching the patient during and after the infusion."""
    minutes = observation.integer("observation_minutes")
    return {
        "minutes_after_infusion": minutes,
        "instructions": (
            "Watch for fever, chills, rash or breathing difficulty during the infusion "
            f"and for at least {minutes} min after it ends."
        ),
        "rule": "prep.observation",
    }


def _time_limits(clock: Rule) -> dict[str, Any]:
    """The numbers of the beyond-use clock (the clock itself is `clinical.beyond_use`)."""
    return {
        "reconstitution_to_dilution_max_hours": clock.number(
            "reconstitution_to_dilution_max_hours"
        ),
        "reconstitution_to_end_max_hours": clock.number("reconstitution_to_end_max_hours"),
        "diluted_room_temperature_max_hours": clock.number("diluted_room_temperature_max_hours"),
        "diluted_refrigerated_max_hours": clock.number("diluted_refrigerated_max_hours"),
        "warm_up_minutes": clock.number("warm_up_minutes"),
        "rules": ["prep.beyond_use", "prep.diluted_storage_reading"],
    }
