"""The pharmacy day's vial plan: the fewest 0.9 mg vials for the day's doses.

Model
- Each dose i has an amount d_i and a planned dilution time t_i. A vial holds
  C = 0.9 mg (prep.vial); reconstituted at r it serves dilutions in [r, r + W],
  W = 4 h (prep.reconstituted_storage). A dose may draw from several vials.
- Policy (pharmacy.vial_sharing): `none` plans each dose alone, `same_patient`
  each patient alone, `across_patients` the whole day together.
- Amounts are whole micrograms, so sums and comparisons are exact.

Why the greedy plan is exact (pharmacy.vial_plan)
1. For a fixed set of vials, drawing first from the earliest-reconstituted open
   vial (FIFO) is never worse: if a dose at t draws from a later vial while an
   earlier one keeps mg used at t' >= t, swapping the amounts keeps every draw
   inside its window (all windows have the same length W).
2. Under FIFO the day's milligrams form one stream in time order and each vial
   serves a contiguous piece [a, b] of it, with b - a <= C and the time of b within
   W of the time of a; delaying a vial's reconstitution to its first draw only helps.
3. reach(a), the furthest end a vial starting at a can serve, never decreases in a.
   The greedy piece starts where the previous one ended and takes reach(start);
   by induction its k-th end is at least any plan's k-th end, so it covers the day
   with no more vials than any plan. (Tests compare it with an exhaustive search.)
The plan runs in O(n log n) for n doses (the sort).
"""

from __future__ import annotations

import datetime as dt
import math
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from inocds.clinical.reasons import Reason, cite
from inocds.clinical.validation import (
    Enum,
    FieldError,
    ListOf,
    Num,
    Obj,
    Text,
    Timestamp,
    validate,
)
from inocds.protocol.loader import load_protocol

__all__ = [
    "PlanDose",
    "VialPlan",
    "VialUse",
    "plan_answer",
    "plan_vials",
    "policies",
    "run_vial_plan",
    "vials_without_sharing",
]

UG_PER_MG = 1000
_CENT = Decimal("0.01")


class PlanDose(NamedTuple):
    """One dose of the day: its id, patient, amount in micrograms and dilution time."""

    id: str
    patient: str
    ug: int
    dilute_at: dt.datetime


class VialUse(NamedTuple):
    """One reconstituted vial: when, and the (dose id, micrograms) drawn from it."""

    reconstitute_at: dt.datetime
    draws: tuple[tuple[str, int], ...]


class VialPlan(NamedTuple):
    """The vials of the day, in order of reconstitution."""

    vials: tuple[VialUse, ...]
    vial_ug: int


def policies() -> tuple[str, ...]:
    """The sharing policies the protocol knows (pharmacy.vial_sharing)."""
    return load_protocol()["pharmacy.vial_sharing"].texts("policies")


def vial_ug() -> int:
    """The vial's deliverable amount in micrograms (prep.vial)."""
    return round(Decimal(repr(load_protocol()["prep.vial"].number("vial_mg"))) * UG_PER_MG)


def window() -> dt.timedelta:
    """How long a reconstituted vial serves dilutions (prep.reconstituted_storage)."""
    return dt.timedelta(hours=load_protocol()["prep.reconstituted_storage"].number("max_hours"))


def _plan_group(doses: list[PlanDose], capacity: int, limit: dt.timedelta) -> list[VialUse]:
    """The greedy FIFO plan of doses that may share vials (sorted by dilution time)."""
    opened: list[tuple[dt.datetime, list[tuple[str, int]]]] = []
    remaining = 0  # what the newest vial still holds; older ones are empty or expired
    for dose in sorted(doses, key=lambda d: d.dilute_at):
        need = dose.ug
        if opened and dose.dilute_at - opened[-1][0] > limit:
            remaining = 0  # the newest vial expired: its remainder is waste
        while need > 0:
            if remaining == 0:
                opened.append((dose.dilute_at, []))
                remaining = capacity
            take = min(need, remaining)
            opened[-1][1].append((dose.id, take))
            need -= take
            remaining -= take
    return [VialUse(at, tuple(draws)) for at, draws in opened]


def plan_vials(
    doses: list[PlanDose],
    policy: str,
    capacity: int | None = None,
    limit: dt.timedelta | None = None,
) -> VialPlan:
    """The plan with the fewest vials that `policy` allows (exact; see the module docstring)."""
    if policy not in policies():
        raise ValueError(f"unknown policy {policy!r}")
    capacity = capacity or vial_ug()
    limit = limit if limit is not None else window()
    groups: dict[str, list[PlanDose]] = {}
    for dose in doses:
        key = {"none": dose.id, "same_patient": dose.patient}.get(policy, "")
        groups.setdefault(key, []).append(dose)
    vials = [v for group in groups.values() for v in _plan_group(group, capacity, limit)]
    order = {d.id: i for i, d in enumerate(doses)}
    vials.sort(key=lambda v: (v.reconstitute_at, order[v.draws[0][0]]))
    return VialPlan(tuple(vials), capacity)


def vials_without_sharing(doses: list[PlanDose], capacity: int | None = None) -> int:
    """Vials opened when every dose has its own: the sum of ceil(dose / vial)."""
    capacity = capacity or vial_ug()
    return sum(-(-d.ug // capacity) for d in doses)


# ------------------------------------------------------------------ request and answer


def _mg(ug: int | Decimal) -> float:
    return float(Decimal(ug) / UG_PER_MG)


def _money(value: Decimal) -> float:
    return float(value.quantize(_CENT, rounding=ROUND_HALF_UP))


def _ml(ug: int) -> float:
    concentration = Decimal(
        repr(load_protocol()["prep.reconstitution"].number("concentration_mg_per_ml"))
    )
    return _money(Decimal(ug) / UG_PER_MG / concentration)


def _spec() -> Obj:
    protocol = load_protocol()
    limits = protocol["dose.request_limits"].number("max_dose_with_override_mg_per_m2")
    largest = limits * protocol["dose.bsa"].number("max_bsa_m2")
    dose = Obj(
        required={
            "id": Text(100),
            "patient": Text(100),
            "dose_mg": Num(0, largest, lo_open=True),
            "dilute_at": Timestamp(),
        }
    )
    return Obj(
        required={
            "doses": ListOf(dose, protocol["pharmacy.vial_plan"].integer("max_doses")),
        },
        optional={
            "policy": Enum(policies()),
            "price_per_vial_usd": Num(0, 1_000_000, lo_open=True),
        },
        checks=(_check_doses,),
    )


def _check_doses(cleaned: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    """Ids are unique, amounts whole micrograms, dilution times listed in order."""
    decimals = load_protocol()["pharmacy.vial_plan"].integer("mg_decimals")
    seen: dict[str, int] = {}
    previous: dt.datetime | None = None
    for i, dose in enumerate(cleaned["doses"]):
        where = f"doses[{i}]"
        if dose["id"] in seen:
            errors.append(FieldError(f"{where}.id", f"repeats the id of doses[{seen[dose['id']]}]"))
        seen.setdefault(dose["id"], i)
        amount = Decimal(repr(dose["dose_mg"]))
        if amount != amount.quantize(Decimal(1).scaleb(-decimals)):
            errors.append(
                FieldError(f"{where}.dose_mg", f"must have at most {decimals} decimals (mg)")
            )
        if previous is not None and dose["dilute_at"] < previous:
            errors.append(
                FieldError(
                    f"{where}.dilute_at",
                    f"must not be before doses[{i - 1}].dilute_at: list the doses in the "
                    "order of their dilution",
                )
            )
        previous = dose["dilute_at"]


def _reasons(policy: str, plan: VialPlan, saved: int) -> list[Reason]:
    protocol = load_protocol()
    vial_mg = _mg(plan.vial_ug)
    hours = protocol["prep.reconstituted_storage"].number("max_hours")
    price = protocol["prep.vial"]
    return [
        cite(
            "prep.vial",
            f"Each vial delivers {vial_mg:g} mg; no vial gives more. Price per vial: "
            f"{price.text('price_basis')} as of {price.text('price_as_of')}, unless the "
            "request or the site gives its own.",
        ),
        cite(
            "prep.reconstituted_storage",
            f"A reconstituted vial serves only dilutions made within {hours:g} h of its "
            "reconstitution; its remainder is then discarded.",
        ),
        cite(
            "pharmacy.vial_sharing",
            f"Policy {policy}: "
            + {
                "none": "each dose has its own vials.",
                "same_patient": "a vial is shared only between doses of one patient.",
                "across_patients": "a vial may serve any patient's dose.",
            }[policy],
        ),
        cite(
            "pharmacy.vial_plan",
            f"The plan is exact: no plan under this policy opens fewer than "
            f"{len(plan.vials)} vials ({saved} fewer than one vial set per dose).",
        ),
    ]


def plan_answer(
    doses: list[PlanDose], policy: str, price_per_vial_usd: float | None = None
) -> dict[str, Any]:
    """The `vial-plan` answer for validated doses."""
    price = Decimal(
        repr(
            price_per_vial_usd
            if price_per_vial_usd is not None
            else load_protocol()["prep.vial"].number("price_usd_per_vial")
        )
    )
    plan = plan_vials(doses, policy)
    total = sum(d.ug for d in doses)
    opened = len(plan.vials)
    alone = vials_without_sharing(doses, plan.vial_ug)
    waste = opened * plan.vial_ug - total
    patients = {d.id: d.patient for d in doses}
    vials = []
    for number, vial in enumerate(plan.vials, start=1):
        used = sum(ug for _, ug in vial.draws)
        vials.append(
            {
                "vial": number,
                "reconstitute_at": vial.reconstitute_at.isoformat(),
                "dilute_by": (vial.reconstitute_at + window()).isoformat(),
                "patients": sorted({patients[dose] for dose, _ in vial.draws}),
                "used_mg": _mg(used),
                "remainder_mg": _mg(plan.vial_ug - used),
                "draws": [
                    {"dose": dose, "patient": patients[dose], "mg": _mg(ug), "ml": _ml(ug)}
                    for dose, ug in vial.draws
                ],
            }
        )
    return {
        "policy": policy,
        "vial_mg": _mg(plan.vial_ug),
        "price_per_vial_usd": _money(price),
        "total_mg": _mg(total),
        "lower_bound": math.ceil(Decimal(total) / plan.vial_ug),
        "vials_opened": opened,
        "vials_without_sharing": alone,
        "waste_mg": _mg(waste),
        "waste_usd": _money(Decimal(waste) / plan.vial_ug * price),
        "saved_usd": _money((alone - opened) * price),
        "vials": vials,
        "reasons": [r.to_dict() for r in _reasons(policy, plan, alone - opened)],
    }


def run_vial_plan(raw: Any) -> dict[str, Any]:
    """The `vial-plan` command: validates the request (InputError naming every field), plans."""
    request = validate(_spec(), raw)
    doses = [
        PlanDose(
            id=d["id"],
            patient=d["patient"],
            ug=int(Decimal(repr(d["dose_mg"])) * UG_PER_MG),
            dilute_at=d["dilute_at"],
        )
        for d in request["doses"]
    ]
    policy = request.get("policy") or load_protocol()["pharmacy.vial_sharing"].text(
        "default_policy"
    )
    return plan_answer(doses, policy, request.get("price_per_vial_usd"))
