"""The order workflow: sign -> verify -> prepare -> administer (or return / cancel).

- A physician signs an order for one dose; the engine's `assess` decision is attached.
  A dose more than 5% away from the engine's, or one the engine does not allow today,
  needs an override reason and stays flagged.
- A pharmacist who is not the prescriber verifies it independently: their own height
  and weight must reproduce the ordered dose. One verification per order.
- A weight 10% or more away from the course's starting weight sends the order back
  for recalculation, unless the prescriber signed it acknowledging that change.
- Preparation records the beyond-use clock; an administration started past it is refused.
- The nurse's administration becomes the course's `dose` event.
Every transition is checked against the role (Forbidden, 403) and the order's state
(Conflict, 409), and written as one conditional UPDATE on the state and version read
(`transition`): of two concurrent transitions (cancel and administer) exactly one
matches, the other gets 409. One live order per course, cycle and day (a unique index
over the live states); a second sign answers 409 naming the first, unless the new
order names it in `replaces_order_id`, which cancels it explicitly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inocds.adapters.db.engine import lock_row
from inocds.adapters.db.models import Administration, Course, Order, Preparation, User, Verification
from inocds.adapters.db.roles import CLINICAL_ROLES, Role
from inocds.clinical.assess import dose_mg_for
from inocds.clinical.beyond_use import beyond_use
from inocds.clinical.dose import rounded_bsa_m2
from inocds.clinical.validation import FieldError, InputError
from inocds.services import courses, order_times, waste
from inocds.services.access import require_role
from inocds.services.access_log import note_read
from inocds.services.audit import record, to_json
from inocds.services.errors import Conflict, Forbidden, NotFound
from inocds.services.order_checks import (
    DOSE_TOLERANCE_FRACTION,
    WEIGHT_CHANGE_FRACTION,
    engine_differences,
    require_dose_reproduced,
    require_override_reason,
    require_weight_change_acknowledged,
    weight_change_fraction,
)
from inocds.services.order_state import make_room, transition
from inocds.services.order_times import utc
from inocds.services.patients import get_patient, latest_measurement

__all__ = [
    "DOSE_TOLERANCE_FRACTION",
    "WEIGHT_CHANGE_FRACTION",
    "OrderInput",
    "administer",
    "cancel",
    "get_order",
    "list_orders",
    "prepare",
    "sign",
    "verify",
    "weight_change_fraction",
]


@dataclass(frozen=True)
class OrderInput:
    """What the physician signs."""

    cycle: int
    day: int
    dose_mg_per_m2: float
    scheduled_on: dt.date
    override_reason: str | None = None
    weight_change_acknowledged: bool = False
    replaces_order_id: int | None = None


def get_order(session: Session, actor: User, order_id: int) -> Order:
    """One order (clinical roles)."""
    require_role(actor, *CLINICAL_ROLES)
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"no order {order_id}", "order_id")
    course = session.get(Course, order.course_id)
    note_read(actor.id, None if course is None else course.patient_id)
    return order


def list_orders(
    session: Session, actor: User, status: str | None = None, course_id: int | None = None
) -> list[Order]:
    """Orders, newest first, optionally by status or course."""
    require_role(actor, *CLINICAL_ROLES)
    note_read(actor.id, None)
    query = select(Order).order_by(Order.id.desc())
    if status:
        query = query.where(Order.status == status)
    if course_id is not None:
        query = query.where(Order.course_id == course_id)
    return list(session.scalars(query))


def _check_version(order: Order, version: int | None) -> None:
    if version is not None and order.version != version:
        raise Conflict(
            f"order {order.id} changed since version {version} (now {order.version})", "version"
        )


def sign(
    session: Session,
    actor: User,
    course_id: int,
    data: OrderInput,
    today: dt.date,
    now: dt.datetime | None = None,
) -> Order:
    """A physician signs an order; the engine's decision is attached and differences flagged."""
    require_role(actor, Role.PHYSICIAN)
    course = courses.get_course(session, actor, course_id)
    patient = get_patient(session, actor, course.patient_id)
    lock_row(session, Course, course_id)
    make_room(session, actor, course_id, data.cycle, data.day, data.replaces_order_id)
    measurement = latest_measurement(session, patient.id, on_or_before=data.scheduled_on)
    decision = courses.assess(session, actor, course_id, data.scheduled_on or today)
    bsa = rounded_bsa_m2(measurement.height_cm, measurement.weight_kg, patient.bsa_formula)
    dose_mg = dose_mg_for(data.dose_mg_per_m2, bsa)
    problems = engine_differences(
        decision, data.cycle, data.day, data.dose_mg_per_m2, data.scheduled_on
    )
    require_override_reason(problems, data.override_reason)
    require_weight_change_acknowledged(
        course, measurement.weight_kg, data.weight_change_acknowledged
    )
    order = Order(
        course_id=course_id,
        cycle=data.cycle,
        day=data.day,
        scheduled_on=data.scheduled_on,
        height_cm=measurement.height_cm,
        weight_kg=measurement.weight_kg,
        bsa_m2=bsa,
        dose_mg_per_m2=data.dose_mg_per_m2,
        dose_mg=dose_mg,
        engine_decision={
            **decision,
            "differences": problems,
            "weight_change_acknowledged": data.weight_change_acknowledged,
        },
        override_reason=data.override_reason if problems else None,
        flagged=bool(problems),
        prescriber_id=actor.id,
        signed_at=(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
    )
    session.add(order)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            f"cycle {data.cycle} day {data.day} already has a live order", "replaces_order_id"
        ) from None
    record(session, actor.id, "order.sign", "order", order.id, None, to_json(order))
    return order


def verify(
    session: Session,
    actor: User,
    order_id: int,
    height_cm: float,
    weight_kg: float,
    version: int | None = None,
    now: dt.datetime | None = None,
) -> Verification | None:
    """A pharmacist other than the prescriber reproduces the dose from their own entry.

    Returns None when the order was sent back for recalculation instead (weight change):
    that transition is stored, and the shell answers 409 with the order's reason.
    """
    require_role(actor, Role.PHARMACIST)
    order = get_order(session, actor, order_id)
    if order.prescriber_id == actor.id:
        raise Forbidden("the prescriber may not verify their own order", "pharmacist")
    _check_version(order, version)
    if order.status != "signed":
        raise Conflict(
            f"order {order_id} is {order.status}; only a signed order is verified", "status"
        )
    course = session.get(Course, order.course_id)
    assert course is not None
    acknowledged = bool(order.engine_decision.get("weight_change_acknowledged"))
    change = weight_change_fraction(course, weight_kg)
    if change >= WEIGHT_CHANGE_FRACTION and not acknowledged:
        transition(
            session,
            actor,
            order,
            "returned",
            f"weight {weight_kg:g} kg is {change:.0%} away from the course's start "
            f"({course.start_weight_kg:g} kg): recalculate",
        )
        return None
    formula = get_patient(session, actor, course.patient_id).bsa_formula
    bsa = rounded_bsa_m2(height_cm, weight_kg, formula)
    dose_mg = dose_mg_for(order.dose_mg_per_m2, bsa)
    require_dose_reproduced(order, bsa, dose_mg)
    verification = Verification(
        order_id=order.id,
        pharmacist_id=actor.id,
        height_cm=height_cm,
        weight_kg=weight_kg,
        dose_mg=dose_mg,
        verified_at=(now or dt.datetime.now(dt.UTC)).astimezone(dt.UTC),
    )
    _complete_step(session, actor, order, verification, "verified")
    return verification


def prepare(
    session: Session,
    actor: User,
    order_id: int,
    reconstituted_at: dt.datetime,
    refrigerated: bool,
    diluted_at: dt.datetime | None = None,
    vial_lots: tuple[str, ...] = (),
    version: int | None = None,
    ledger_remainder: bool = True,
) -> Preparation:
    """A pharmacist records the compounding; the beyond-use clock is stored with it."""
    require_role(actor, Role.PHARMACIST)
    order = get_order(session, actor, order_id)
    _check_version(order, version)
    if order.status != "verified":
        raise Conflict(
            f"order {order_id} is {order.status}; only a verified order is prepared", "status"
        )
    order_times.check_preparation_times(session, order, reconstituted_at, diluted_at)
    try:
        clock = beyond_use(reconstituted_at, refrigerated, diluted_at)
    except ValueError as error:
        raise InputError([FieldError("diluted_at", str(error))]) from None
    preparation = Preparation(
        order_id=order.id,
        pharmacist_id=actor.id,
        reconstituted_at=utc(reconstituted_at),
        diluted_at=utc(diluted_at) if diluted_at else None,
        refrigerated=refrigerated,
        vial_lots=list(vial_lots),
        latest_start_at=utc(clock.latest_infusion_start_at),
        latest_end_at=utc(clock.latest_infusion_end_at),
        worksheet=clock.to_dict(),
    )
    _complete_step(session, actor, order, preparation, "prepared")
    if ledger_remainder:  # vials not recorded on the pharmacy day: their rest is waste
        waste.record_untracked_remainder(session, actor, order, preparation)
    return preparation


def administer(
    session: Session,
    actor: User,
    order_id: int,
    started_at: dt.datetime,
    ended_at: dt.datetime | None,
    reaction: dict[str, Any] | None,
    today: dt.date,
    version: int | None = None,
) -> Administration:
    """A nurse records the infusion; it becomes the course's dose event."""
    require_role(actor, Role.NURSE)
    order = get_order(session, actor, order_id)
    _check_version(order, version)
    if order.status != "prepared":
        raise Conflict(
            f"order {order_id} is {order.status}; only a prepared order is given", "status"
        )
    preparation = session.scalar(select(Preparation).where(Preparation.order_id == order_id))
    assert preparation is not None
    order_times.check_not_expired(preparation, started_at)
    order_times.check_administration_times(order, preparation, started_at, ended_at)
    transition(session, actor, order, "administered")
    payload = {
        "type": "dose",
        "date": started_at.date().isoformat(),
        "cycle": order.cycle,
        "day": order.day,
        "dose_mg_per_m2": order.dose_mg_per_m2,
    }
    event = courses.append_event(session, actor, order.course_id, payload, today, by_workflow=True)
    if reaction:
        _record_reaction(session, actor, order, started_at, reaction, today)
    administration = Administration(
        order_id=order.id,
        nurse_id=actor.id,
        started_at=utc(started_at),
        ended_at=utc(ended_at) if ended_at else None,
        reaction=reaction,
        dose_event_id=event.id,
    )
    _store_step(session, actor, order, administration, "administered")
    return administration


def _record_reaction(
    session: Session,
    actor: User,
    order: Order,
    started_at: dt.datetime,
    reaction: dict[str, Any],
    today: dt.date,
) -> None:
    """An infusion reaction the nurse noted becomes the course's toxicity event."""
    courses.append_event(
        session,
        actor,
        order.course_id,
        {
            "type": "toxicity",
            "category": "infusion_reaction",
            "name": str(reaction.get("name", "infusion reaction")),
            "grade": reaction.get("grade"),
            "onset": started_at.date().isoformat(),
            "resolved": reaction.get("resolved"),
        },
        today,
        by_workflow=True,
    )


def _complete_step(
    session: Session, actor: User, order: Order, record_row: Any, status: str
) -> None:
    """Moves the order on (conditional on its state), then stores and audits the step's record."""
    transition(session, actor, order, status)
    _store_step(session, actor, order, record_row, status)


def _store_step(session: Session, actor: User, order: Order, record_row: Any, status: str) -> None:
    """Stores the step's record (one per order: a duplicate is a Conflict) and audits it."""
    session.add(record_row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(f"order {order.id} is already {status}", "order_id") from None
    entity = type(record_row).__tablename__.removesuffix("s")
    record(session, actor.id, f"{entity}.create", entity, record_row.id, None, to_json(record_row))


def cancel(
    session: Session, actor: User, order_id: int, reason: str, version: int | None = None
) -> Order:
    """The prescriber (or any physician) cancels an order not yet given."""
    require_role(actor, Role.PHYSICIAN)
    order = get_order(session, actor, order_id)
    _check_version(order, version)
    if order.status in ("administered", "cancelled"):
        raise Conflict(f"order {order_id} is {order.status}", "status")
    if order.status == "prepared":  # the bag made for it is waste (issue 15)
        waste.record_cancelled_bag(session, actor, order, dt.datetime.now(dt.UTC))
    transition(session, actor, order, "cancelled", reason)
    return order
