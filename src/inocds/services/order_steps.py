"""Order steps as a pharmacy works (issue 11, item 4), beside `services/orders.py`.

- `blind_check` / `verify_own_dose` / `return_order`: the pharmacist enters height and
  weight, or their own dose, before seeing the order's values; a mismatch is shown and
  the order goes back to the prescriber only when the pharmacist confirms it.
- `resign`: a returned order is signed again with the patient's latest measurements.
- `complete_administration`: the end time, infused volume or a later reaction added
  after the infusion was recorded.
The order of times (signed, verified, made, started, ended) is checked in
`services/order_times.py`, called by `orders.prepare` and `orders.administer`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inocds.adapters.db.models import (
    Course,
    Order,
    User,
    Verification,
)
from inocds.adapters.db.roles import Role
from inocds.clinical.assess import dose_mg_for
from inocds.clinical.dose import rounded_bsa_m2
from inocds.clinical.validation import FieldError, InputError
from inocds.services import courses, orders
from inocds.services.access import require_role
from inocds.services.administrations import complete_administration
from inocds.services.audit import record, to_json
from inocds.services.errors import Conflict, Forbidden
from inocds.services.order_state import transition
from inocds.services.patients import get_patient, latest_measurement

__all__ = [
    "BlindResult",
    "blind_check",
    "complete_administration",
    "resign",
    "return_order",
    "verify_own_dose",
]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _minute(moment: dt.datetime) -> dt.datetime:
    return _aware(moment).replace(second=0, microsecond=0)


def _shown(moment: dt.datetime, like: dt.datetime) -> str:
    return _aware(moment).astimezone(like.tzinfo).isoformat(timespec="minutes")


# ------------------------------------------------------------------ blind verification


@dataclass(frozen=True)
class BlindResult:
    """What a blind check found: the pharmacist's figures and whether they match."""

    matches: bool
    dose_mg: float
    bsa_m2: float | None
    message: str


def _signed_order(session: Session, actor: User, order_id: int, version: int | None) -> Order:
    require_role(actor, Role.PHARMACIST)
    order = orders.get_order(session, actor, order_id)
    if order.prescriber_id == actor.id:
        raise Forbidden("the prescriber may not verify their own order", "pharmacist")
    if version is not None and order.version != version:
        raise Conflict(f"order {order_id} changed since version {version}", "version")
    if order.status != "signed":
        raise Conflict(
            f"order {order_id} is {order.status}; only a signed order is checked", "status"
        )
    return order


def blind_check(
    session: Session,
    actor: User,
    order_id: int,
    *,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    dose_mg: float | None = None,
    version: int | None = None,
) -> BlindResult:
    """Compares the pharmacist's own entry with the order (writes nothing)."""
    order = _signed_order(session, actor, order_id, version)
    if dose_mg is not None:
        mine, bsa = round(dose_mg, 2), None
    elif height_cm is not None and weight_kg is not None:
        course = session.get(Course, order.course_id)
        assert course is not None
        formula = get_patient(session, actor, course.patient_id).bsa_formula
        bsa = rounded_bsa_m2(height_cm, weight_kg, formula)
        mine = dose_mg_for(order.dose_mg_per_m2, bsa)
    else:
        raise InputError([FieldError("dose_mg", "enter height and weight, or your own dose")])
    yours = f"your entry gives {f'BSA {bsa:.2f} m2 and ' if bsa else ''}{mine:.2f} mg"
    theirs = f"the order says BSA {order.bsa_m2:.2f} m2 and {order.dose_mg:.2f} mg"
    matches = abs(mine - order.dose_mg) < 0.005
    return BlindResult(matches, mine, bsa, f"{yours}; {theirs}")


def verify_own_dose(
    session: Session,
    actor: User,
    order_id: int,
    dose_mg: float,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Verification:
    """Verifies from the pharmacist's own dose (method "dose"); a mismatch is refused (422)."""
    result = blind_check(session, actor, order_id, dose_mg=dose_mg, version=version)
    if not result.matches:
        raise InputError([FieldError("dose_mg", f"{result.message}: the dose is not reproduced")])
    order = orders.get_order(session, actor, order_id)
    verification = Verification(
        order_id=order.id,
        pharmacist_id=actor.id,
        height_cm=None,
        weight_kg=None,
        method="dose",
        dose_mg=result.dose_mg,
        verified_at=(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
    )
    session.add(verification)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"order {order.id} is already verified", "order_id") from None
    record(
        session,
        actor.id,
        "verification.create",
        "verification",
        verification.id,
        None,
        to_json(verification),
    )
    _move(session, actor, order, "verified", None, "order.verified")
    return verification


def _move(
    session: Session, actor: User, order: Order, status: str, reason: str | None, action: str
) -> None:
    """One conditional step (order_state.transition): of two concurrent steps, one wins."""
    transition(session, actor, order, status, reason, action)


def return_order(
    session: Session,
    actor: User,
    order_id: int,
    *,
    height_cm: float | None = None,
    weight_kg: float | None = None,
    dose_mg: float | None = None,
    version: int | None = None,
) -> Order:
    """The pharmacist confirms a mismatch: the order goes back to the prescriber with it."""
    result = blind_check(
        session,
        actor,
        order_id,
        height_cm=height_cm,
        weight_kg=weight_kg,
        dose_mg=dose_mg,
        version=version,
    )
    if result.matches:
        raise Conflict("your entry reproduces the dose: verify the order instead", "dose_mg")
    order = orders.get_order(session, actor, order_id)
    _move(
        session,
        actor,
        order,
        "returned",
        f"pharmacist's independent check: {result.message}",
        "order.returned",
    )
    return order


# ------------------------------------------------------------------ re-sign


def resign(
    session: Session,
    actor: User,
    order_id: int,
    today: dt.date,
    *,
    override_reason: str | None = None,
    weight_change_acknowledged: bool = False,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Order:
    """A physician signs a returned order again, from the patient's latest height and weight."""
    require_role(actor, Role.PHYSICIAN)
    order = orders.get_order(session, actor, order_id)
    if version is not None and order.version != version:
        raise Conflict(f"order {order_id} changed since version {version}", "version")
    if order.status != "returned":
        raise Conflict(
            f"order {order_id} is {order.status}; only a returned order is re-signed", "status"
        )
    course = courses.get_course(session, actor, order.course_id)
    patient = get_patient(session, actor, course.patient_id)
    measurement = latest_measurement(session, patient.id)
    data = orders.OrderInput(
        order.cycle,
        order.day,
        order.dose_mg_per_m2,
        order.scheduled_on,
        override_reason,
        weight_change_acknowledged,
    )
    decision = courses.assess(session, actor, course.id, order.scheduled_on or today)
    problems = _differences(decision, data)
    if problems and not (override_reason and override_reason.strip()):
        raise InputError(
            [
                FieldError(
                    "override_reason", "; ".join(problems) + ": an override reason is required"
                )
            ]
        )
    change = orders.weight_change_fraction(course, measurement.weight_kg)
    if change >= orders.WEIGHT_CHANGE_FRACTION and not weight_change_acknowledged:
        raise Conflict(
            f"weight {measurement.weight_kg:g} kg is {change:.0%} away from the course's start "
            f"({course.start_weight_kg:g} kg): confirm the recalculated dose "
            "(weight_change_acknowledged)",
            "weight_change_acknowledged",
        )
    _recalculate(
        session, actor, order, patient.bsa_formula, measurement, decision, data, problems, now
    )
    return order


def _recalculate(
    session: Session,
    actor: User,
    order: Order,
    formula: str,
    measurement: Any,
    decision: dict[str, Any],
    data: orders.OrderInput,
    problems: list[str],
    now: dt.datetime | None = None,
) -> None:
    """The returned order, signed again: new measurement, BSA, dose and engine decision."""
    override_reason = data.override_reason
    weight_change_acknowledged = data.weight_change_acknowledged
    before = to_json(order)
    bsa = rounded_bsa_m2(measurement.height_cm, measurement.weight_kg, formula)
    order.height_cm, order.weight_kg, order.bsa_m2 = (
        measurement.height_cm,
        measurement.weight_kg,
        bsa,
    )
    order.dose_mg = dose_mg_for(order.dose_mg_per_m2, bsa)
    order.engine_decision = {
        **decision,
        "differences": problems,
        "weight_change_acknowledged": weight_change_acknowledged,
    }
    order.override_reason = override_reason if problems else None
    order.flagged = bool(problems)
    order.prescriber_id = actor.id
    order.signed_at = (now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
    order.status, order.status_reason = "signed", None
    order.version += 1
    session.flush()
    record(session, actor.id, "order.resign", "order", order.id, before, to_json(order))


def _differences(decision: dict[str, Any], data: orders.OrderInput) -> list[str]:
    """How the order differs from the engine's decision (as `orders.sign` words it)."""
    if decision["action"] != "give":
        return [f"the engine does not allow a dose on {data.scheduled_on}: {decision['action']}"]
    if (decision["cycle"], decision["day"]) != (data.cycle, data.day):
        return [f"the engine's due dose is cycle {decision['cycle']} day {decision['day']}"]
    engine = float(decision["dose_mg_per_m2"])
    if abs(data.dose_mg_per_m2 - engine) > orders.DOSE_TOLERANCE_FRACTION * engine:
        return [
            f"{data.dose_mg_per_m2:g} mg/m2 differs from the engine's {engine:g} mg/m2 "
            f"by more than {orders.DOSE_TOLERANCE_FRACTION:.0%}"
        ]
    return []
