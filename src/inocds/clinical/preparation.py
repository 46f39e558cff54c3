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
- `beyond_use(...)` and `run_prepare(raw)`: the latest dilution, infusion start and
  infusion end from the reconstitution and dilution times (prep.beyond_use, read
  as stated in prep.diluted_storage_reading).

Sources: US prescribing information 2.4 and the hospital syringe window, as
summarised in FACTS.md "Product and preparation"; every number is read from
protocol/preparation.toml.
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from inocds.clinical.validation import Bool, FieldError, InputError, Spec, Timestamp
from inocds.protocol.loader import Rule, load_protocol

__all__ = [
    "PREPARE_OPTIONAL",
    "PREPARE_REQUIRED",
    "BeyondUse",
    "Infusion",
    "Limit",
    "beyond_use",
    "plan_infusion",
    "preparation_steps",
    "run_prepare",
]

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
    recon = protocol["prep.reconstitution"]
    stored = protocol["prep.reconstituted_storage"]
    filters = protocol["prep.filters"]
    containers = protocol["prep.containers"]
    clock = protocol["prep.beyond_use"]
    observation_minutes = protocol["prep.observation"].integer("observation_minutes")
    diluent_ml = recon.number("diluent_ml_per_vial")
    concentration = recon.number("concentration_mg_per_ml")
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
        dilution["bag_materials"] = list(containers.texts("bags"))
    return {
        "reconstitution": {
            "vials": vials,
            "diluent": recon.text("diluent"),
            "diluent_ml_per_vial": diluent_ml,
            "concentration_mg_per_ml": concentration,
            "deliverable_ml_per_vial": recon.number("deliverable_ml_per_vial"),
            "mixing": recon.text("mixing"),
            "expected_appearance": recon.text("appearance"),
            "storage": (
                f"Use at once, or keep at 2-8 C for up to {stored.number('max_hours'):g} h, "
                "protected from light; do not freeze."
            ),
            "rules": ["prep.reconstitution", "prep.reconstituted_storage"],
        },
        "dilution": dilution,
        "administration": {
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
        },
        "filters": {
            "required": False,
            "allowed": list(filters.texts("allowed")),
            "forbidden": list(filters.texts("forbidden")),
            "rule": "prep.filters",
        },
        "light_protection": {
            "required": True,
            "instructions": "Shield the vials, the diluted solution and the running infusion "
            "from light.",
            "rule": "prep.light",
        },
        "observation": {
            "minutes_after_infusion": observation_minutes,
            "instructions": (
                "Watch for fever, chills, rash or breathing difficulty during the infusion "
                f"and for at least {observation_minutes} min after it ends."
            ),
            "rule": "prep.observation",
        },
        "time_limits": {
            "reconstitution_to_dilution_max_hours": clock.number(
                "reconstitution_to_dilution_max_hours"
            ),
            "reconstitution_to_end_max_hours": clock.number("reconstitution_to_end_max_hours"),
            "diluted_room_temperature_max_hours": clock.number(
                "diluted_room_temperature_max_hours"
            ),
            "diluted_refrigerated_max_hours": clock.number("diluted_refrigerated_max_hours"),
            "warm_up_minutes": clock.number("warm_up_minutes"),
            "rules": ["prep.beyond_use", "prep.diluted_storage_reading"],
        },
    }


# ------------------------------------------------------------------ beyond-use clock


class Limit(NamedTuple):
    """One time limit of the clock: what it bounds, when it falls, the rule behind it."""

    limit: str
    at: dt.datetime
    rule: str
    message: str


class BeyondUse(NamedTuple):
    """The latest times for dilution and infusion, and which limit sets them."""

    reconstituted_at: dt.datetime
    diluted_at: dt.datetime | None
    diluted_refrigerated: bool
    latest_dilution_at: dt.datetime
    latest_removal_from_refrigerator_at: dt.datetime | None
    latest_infusion_start_at: dt.datetime
    latest_infusion_end_at: dt.datetime
    diluted_storage_limit_at: dt.datetime | None
    binding_limits: tuple[str, ...]
    limits: tuple[Limit, ...]
    notes: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """JSON form; every timestamp in the offset of `reconstituted_at`."""
        zone = self.reconstituted_at.tzinfo

        def iso(moment: dt.datetime | None) -> str | None:
            return None if moment is None else moment.astimezone(zone).isoformat()

        return {
            "reconstituted_at": iso(self.reconstituted_at),
            "diluted_at": iso(self.diluted_at),
            "diluted_refrigerated": self.diluted_refrigerated,
            "latest_dilution_at": iso(self.latest_dilution_at),
            "latest_removal_from_refrigerator_at": iso(self.latest_removal_from_refrigerator_at),
            "latest_infusion_start_at": iso(self.latest_infusion_start_at),
            "latest_infusion_end_at": iso(self.latest_infusion_end_at),
            "diluted_storage_limit_at": iso(self.diluted_storage_limit_at),
            "binding_limits": list(self.binding_limits),
            "limits": [
                {"limit": x.limit, "at": iso(x.at), "rule": x.rule, "message": x.message}
                for x in self.limits
            ],
            "notes": list(self.notes),
            "rules": sorted({x.rule for x in self.limits} | {"prep.diluted_storage_reading"}),
        }


def _hours(rule: Rule, name: str) -> dt.timedelta:
    return dt.timedelta(hours=rule.number(name))


def _clock(value: dt.datetime, zone: dt.tzinfo | None) -> str:
    return value.astimezone(zone).strftime("%H:%M")


def beyond_use(
    reconstituted_at: dt.datetime,
    diluted_refrigerated: bool,
    diluted_at: dt.datetime | None = None,
) -> BeyondUse:
    """The beyond-use clock of one preparation (timestamps must carry an offset).

    Room temperature: the infusion ends by the earlier of reconstitution + 8 h and
    dilution + 4 h (read as covering the infusion, prep.diluted_storage_reading).
    Refrigerated: the bag leaves the refrigerator by the earlier of dilution + 3 h
    and reconstitution + 8 h - infusion - warm-up; it starts after the warm-up.
    Raises ValueError when `diluted_at` is before reconstitution or after the
    latest dilution time.
    """
    protocol = load_protocol()
    clock = protocol["prep.beyond_use"]
    reading = protocol["prep.diluted_storage_reading"].text("room_temperature_limit_ends_at")
    if reading not in ("infusion_end", "infusion_start"):
        raise ValueError(f"prep.diluted_storage_reading: unknown reading {reading!r}")
    infusion = dt.timedelta(minutes=protocol["prep.infusion"].number("infusion_minutes"))
    warm_up = dt.timedelta(minutes=clock.number("warm_up_minutes"))
    to_dilution = _hours(clock, "reconstitution_to_dilution_max_hours")
    to_end = _hours(clock, "reconstitution_to_end_max_hours")
    zone = reconstituted_at.tzinfo
    r = reconstituted_at

    latest_dilution = r + to_dilution
    if diluted_at is not None and not r <= diluted_at <= latest_dilution:
        raise ValueError("diluted_at must lie between reconstitution and the latest dilution")
    end_by_reconstitution = r + to_end
    limits = [
        Limit(
            "reconstitution_to_dilution",
            latest_dilution,
            "prep.beyond_use",
            f"Dilute within {to_dilution.total_seconds() / 3600:g} h of reconstitution "
            f"(by {_clock(latest_dilution, zone)}); the reconstituted vials wait at 2-8 C, "
            "protected from light, no longer than that.",
        ),
        Limit(
            "reconstitution_to_end_of_infusion",
            end_by_reconstitution,
            "prep.beyond_use",
            f"The infusion must end within {to_end.total_seconds() / 3600:g} h of "
            f"reconstitution (by {_clock(end_by_reconstitution, zone)}), warm-up and "
            "infusion included.",
        ),
    ]
    notes: list[str] = []
    removal: dt.datetime | None = None
    storage_limit: dt.datetime | None = None

    if diluted_refrigerated:
        fridge = _hours(clock, "diluted_refrigerated_max_hours")
        removal_by_reconstitution = end_by_reconstitution - infusion - warm_up
        candidates = {"reconstitution_to_end_of_infusion": removal_by_reconstitution}
        if diluted_at is not None:
            storage_limit = diluted_at + fridge
            candidates["diluted_refrigerated"] = storage_limit
            limits.append(
                Limit(
                    "diluted_refrigerated",
                    storage_limit,
                    "prep.beyond_use",
                    f"A diluted product kept at 2-8 C leaves the refrigerator within "
                    f"{fridge.total_seconds() / 3600:g} h of dilution "
                    f"(by {_clock(storage_limit, zone)}).",
                )
            )
        removal = min(candidates.values())
        binding = tuple(k for k, v in candidates.items() if v == removal)
        start = removal + warm_up
        end = start + infusion
        limits.append(
            Limit(
                "warm_up_before_start",
                start,
                "prep.beyond_use",
                f"A refrigerated product needs about {warm_up.total_seconds() / 60:g} min at "
                "room temperature before the infusion starts.",
            )
        )
        notes.append(
            f"Refrigerated: take the product out of the refrigerator by "
            f"{_clock(removal, zone)}, let it reach room temperature for about "
            f"{warm_up.total_seconds() / 60:g} min, start by {_clock(start, zone)} and end "
            f"by {_clock(end, zone)}. The warm-up and the infusion count within the "
            f"{to_end.total_seconds() / 3600:g} h from reconstitution, so the product must "
            f"leave the refrigerator {(to_end - infusion - warm_up).total_seconds() / 3600:g} h "
            "after reconstitution at the latest."
        )
        if diluted_at is None:
            notes.append(
                f"Once diluted, the product may stay at 2-8 C for at most "
                f"{fridge.total_seconds() / 3600:g} h; give diluted_at to put that limit "
                "on the clock."
            )
        elif binding == ("diluted_refrigerated",):
            notes.append(
                f"The {fridge.total_seconds() / 3600:g} h refrigerated storage limit binds: "
                "dilution came early enough that the 8 h limit from reconstitution falls later."
            )
        elif binding == ("reconstitution_to_end_of_infusion",):
            notes.append(
                f"The {to_end.total_seconds() / 3600:g} h limit from reconstitution binds: "
                "dilution came late, so the refrigerated storage limit falls later than the "
                "product can wait."
            )
        else:
            notes.append("The refrigerated storage limit and the 8 h limit fall together.")
        notes.append(
            "Starting earlier than the latest time is fine once the product has warmed up."
        )
    else:
        room = _hours(clock, "diluted_room_temperature_max_hours")
        candidates = {"reconstitution_to_end_of_infusion": end_by_reconstitution}
        if diluted_at is not None:
            storage_limit = diluted_at + room
            end_by_storage = (
                storage_limit if reading == "infusion_end" else storage_limit + infusion
            )
            candidates["diluted_room_temperature"] = end_by_storage
            covered = "the end" if reading == "infusion_end" else "the start"
            limits.append(
                Limit(
                    "diluted_room_temperature",
                    storage_limit,
                    "prep.beyond_use",
                    f"A diluted product at 20-25 C keeps {room.total_seconds() / 3600:g} h from "
                    f"dilution (by {_clock(storage_limit, zone)}), counted to {covered} of the "
                    "infusion (prep.diluted_storage_reading).",
                )
            )
        end = min(candidates.values())
        binding = tuple(k for k, v in candidates.items() if v == end)
        start = end - infusion
        if diluted_at is None:
            notes.append(
                f"Once diluted, the product keeps {room.total_seconds() / 3600:g} h at room "
                "temperature, counted to the end of the infusion "
                "(prep.diluted_storage_reading); give diluted_at to put that limit on the clock."
            )
        elif binding == ("diluted_room_temperature",):
            notes.append(
                f"The {room.total_seconds() / 3600:g} h room-temperature limit of the diluted "
                "product binds: it falls before the 8 h limit from reconstitution because "
                "dilution came less than 4 h after reconstitution."
            )
        elif binding == ("reconstitution_to_end_of_infusion",):
            notes.append(
                f"The {to_end.total_seconds() / 3600:g} h limit from reconstitution binds."
            )
        else:
            notes.append(
                "The room-temperature limit of the diluted product and the 8 h limit from "
                "reconstitution fall together (dilution at the latest allowed time)."
            )
        notes.append(
            f"Start by {_clock(start, zone)} so the {infusion.total_seconds() / 60:g}-min "
            f"infusion ends by {_clock(end, zone)}."
        )
    limits.append(
        Limit(
            "infusion_duration",
            end,
            "prep.infusion",
            f"The infusion runs {infusion.total_seconds() / 60:g} min, so it starts by "
            f"{_clock(start, zone)} to end by {_clock(end, zone)}.",
        )
    )
    return BeyondUse(
        reconstituted_at=r,
        diluted_at=diluted_at,
        diluted_refrigerated=diluted_refrigerated,
        latest_dilution_at=latest_dilution,
        latest_removal_from_refrigerator_at=removal,
        latest_infusion_start_at=start,
        latest_infusion_end_at=end,
        diluted_storage_limit_at=storage_limit,
        binding_limits=binding,
        limits=tuple(limits),
        notes=tuple(notes),
    )


# ------------------------------------------------------------------ the `prepare` command

PREPARE_REQUIRED: dict[str, Spec] = {
    "reconstituted_at": Timestamp(),
    "diluted_refrigerated": Bool(),
}
PREPARE_OPTIONAL: dict[str, Spec] = {"diluted_at": Timestamp()}


def run_prepare(raw: Any) -> dict[str, Any]:
    """The `prepare` command: the dose answer plus its `beyond_use` clock.

    Takes the `dose` request fields plus `reconstituted_at` (timestamp with offset),
    `diluted_refrigerated` (bool) and optional `diluted_at`. Raises InputError.
    """
    # Imported here: dose imports this module for the container choice.
    from inocds.clinical.dose import collect_dose_request, dose_answer

    errors: list[FieldError] = []
    request, extra = collect_dose_request(raw, errors, PREPARE_REQUIRED, PREPARE_OPTIONAL)
    reconstituted = extra.get("reconstituted_at")
    diluted = extra.get("diluted_at")
    if isinstance(reconstituted, dt.datetime) and isinstance(diluted, dt.datetime):
        clock = load_protocol()["prep.beyond_use"]
        latest = reconstituted + _hours(clock, "reconstitution_to_dilution_max_hours")
        if not reconstituted <= diluted <= latest:
            zone = reconstituted.tzinfo
            errors.append(
                FieldError(
                    "diluted_at",
                    f"must be at or after reconstituted_at "
                    f"({reconstituted.isoformat()}) and at most "
                    f"{clock.number('reconstitution_to_dilution_max_hours'):g} h after it "
                    f"(by {latest.astimezone(zone).isoformat()}, prep.beyond_use); got "
                    f"{diluted.isoformat()}",
                )
            )
    refrigerated = extra.get("diluted_refrigerated")
    if errors or request is None or reconstituted is None or refrigerated is None:
        raise InputError(errors)
    answer = dose_answer(request)
    answer["beyond_use"] = beyond_use(reconstituted, refrigerated, diluted).to_dict()
    return answer
