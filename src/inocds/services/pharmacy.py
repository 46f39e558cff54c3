"""The pharmacy day: the doses due, the vial plan, vials opened, bags made from them.

- `due_orders`: verified (and already prepared) orders scheduled on a date, across patients.
- `propose_plan`: the vial plan (`clinical/vials.py`) of the doses still to prepare,
  under the site's sharing policy and price.
- `open_vial` records a reconstituted vial and its lot; `prepare_bag` draws a dose
  from one or more open vials into its bag (which lot went to which bag), then records
  the preparation through the order workflow; `close_vial` discards a vial's remainder
  into the waste ledger; `discard_bag` discards a prepared bag (expired, not used,
  spilled) into the ledger and sends the order back to "verified" to be made again.
Every write is audited; roles are checked here (pharmacist).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import (
    Course,
    Order,
    Patient,
    Preparation,
    User,
    VialDraw,
    WasteEntry,
)
from inocds.adapters.db.roles import CLINICAL_ROLES, Role
from inocds.clinical.validation import FieldError, InputError
from inocds.clinical.vials import UG_PER_MG, PlanDose, plan_answer
from inocds.protocol.loader import load_protocol
from inocds.services import orders, waste
from inocds.services.access import require_role
from inocds.services.audit import record, to_json
from inocds.services.errors import Conflict
from inocds.services.order_state import transition
from inocds.services.pharmacy_vials import (
    MG_TOLERANCE,
    VialState,
    aware,
    close_vial,
    dec,
    get_vial,
    open_vial,
    vial_state,
    vials_of_day,
)

__all__ = [
    "DISCARD_REASONS",
    "DueOrder",
    "VialState",
    "close_vial",
    "discard_bag",
    "due_orders",
    "open_vial",
    "prepare_bag",
    "propose_plan",
    "suggest_draws",
    "vials_of_day",
]

DISCARD_REASONS = ("expired_bag", "unused_bag", "spill")


@dataclass(frozen=True)
class DueOrder:
    """An order due on the day, with its patient and (if made) its bag's draws."""

    order: Order
    patient: Patient
    preparation: Preparation | None
    draws: list[VialDraw]


def due_orders(session: Session, actor: User, on: dt.date) -> list[DueOrder]:
    """Verified and prepared orders scheduled on `on`, across patients, by patient."""
    require_role(actor, *CLINICAL_ROLES)
    rows = session.execute(
        select(Order, Patient)
        .join(Course, Course.id == Order.course_id)
        .join(Patient, Patient.id == Course.patient_id)
        .where(Order.scheduled_on == on, Order.status.in_(("verified", "prepared")))
        .order_by(Patient.family_name, Patient.given_name, Order.id)
    ).all()
    ids = [order.id for order, _ in rows]
    preparations = {
        p.order_id: p
        for p in session.scalars(select(Preparation).where(Preparation.order_id.in_(ids)))
    }
    draws: dict[int, list[VialDraw]] = {}
    for draw in session.scalars(
        select(VialDraw)
        .where(VialDraw.order_id.in_(ids), VialDraw.bag_discarded.is_(False))
        .order_by(VialDraw.id)
    ):
        draws.setdefault(draw.order_id, []).append(draw)
    return [
        DueOrder(order, patient, preparations.get(order.id), draws.get(order.id, []))
        for order, patient in rows
    ]


def propose_plan(
    due: list[DueOrder],
    dilute_at: dict[int, dt.datetime],
    policy: str,
    price_per_vial_usd: float | None,
) -> dict[str, Any]:
    """The vial plan of the verified orders among `due` (dose id "order-N", patient MRN)."""
    doses = sorted(
        (
            PlanDose(
                id=f"order-{d.order.id}",
                patient=d.patient.mrn,
                ug=int(dec(d.order.dose_mg) * UG_PER_MG),
                dilute_at=dilute_at[d.order.id],
            )
            for d in due
            if d.order.status == "verified" and d.order.id in dilute_at
        ),
        key=lambda dose: dose.dilute_at,
    )
    return plan_answer(doses, policy, waste.vial_price(price_per_vial_usd))


def _check_sharing(session: Session, state: VialState, order: Order, policy: str) -> None:
    """The site's policy: `none` never shares a vial, `same_patient` only within a patient."""
    others = {d.order_id for d in state.draws if d.order_id != order.id}
    if not others or policy == "across_patients":
        return
    if policy == "same_patient":
        patient_of = select(Course.patient_id).where(Course.id == Order.course_id)
        patients = set(session.scalars(patient_of.where(Order.id.in_(others | {order.id}))))
        if len(patients) == 1:
            return
    raise Conflict(
        f"vial {state.vial.id} (lot {state.vial.lot}) already served another "
        f"{'patient' if policy == 'same_patient' else 'dose'}; the site's policy is {policy}",
        "draws",
    )


def _check_draws(
    session: Session,
    order: Order,
    draws: list[tuple[int, float]],
    dilution: dt.datetime,
    policy: str,
) -> list[VialState]:
    if not draws:
        raise InputError([FieldError("draws", "draw the dose from at least one vial")])
    total = sum((dec(mg) for _, mg in draws), Decimal(0))
    if abs(total - dec(order.dose_mg)) > MG_TOLERANCE:
        raise InputError(
            [
                FieldError(
                    "draws", f"the draws add up to {total} mg; the dose is {order.dose_mg:g} mg"
                )
            ]
        )
    states = []
    for vial_id, mg in draws:
        state = vial_state(session, get_vial(session, vial_id))
        lot = state.vial.lot
        if mg <= 0:
            raise InputError([FieldError("draws", f"vial {vial_id}: draw more than 0 mg")])
        if state.vial.closed_at is not None:
            raise Conflict(f"vial {vial_id} (lot {lot}) is closed", "draws")
        if dec(mg) > dec(state.remaining_mg) + MG_TOLERANCE:
            raise Conflict(
                f"vial {vial_id} (lot {lot}) has {state.remaining_mg:g} mg left, not {mg:g} mg",
                "draws",
            )
        if not aware(state.vial.reconstituted_at) <= dilution <= state.dilute_by:
            raise Conflict(
                f"vial {vial_id} (lot {lot}) serves dilutions until "
                f"{state.dilute_by.isoformat(timespec='minutes')} (prep.reconstituted_storage)",
                "draws",
            )
        _check_sharing(session, state, order, policy)
        states.append(state)
    return states


def suggest_draws(
    session: Session, order: Order, usable: list[VialState], policy: str
) -> dict[int, float]:
    """The plan's rule for one bag: draw from the oldest usable vial first (policy kept)."""
    need = dec(order.dose_mg)
    draws: dict[int, float] = {}
    for state in sorted(usable, key=lambda v: (aware(v.vial.reconstituted_at), v.vial.id)):
        if need <= 0:
            break
        try:
            _check_sharing(session, state, order, policy)
        except Conflict:
            continue
        take = min(need, dec(state.remaining_mg))
        if take > 0:
            draws[state.vial.id] = float(take)
            need -= take
    return draws


def prepare_bag(
    session: Session,
    actor: User,
    order_id: int,
    draws: list[tuple[int, float]],
    refrigerated: bool,
    diluted_at: dt.datetime | None,
    now: dt.datetime,
    policy: str,
    version: int | None = None,
) -> Preparation:
    """Draws the order's dose from open vials into its bag and records the preparation."""
    require_role(actor, Role.PHARMACIST)
    order = orders.get_order(session, actor, order_id)
    dilution = diluted_at or now
    states = _check_draws(session, order, draws, dilution, policy)
    reconstituted = min(aware(s.vial.reconstituted_at) for s in states)
    lots = tuple(dict.fromkeys(s.vial.lot for s in states))
    preparation = orders.prepare(
        session,
        actor,
        order_id,
        reconstituted,
        refrigerated,
        diluted_at,
        lots,
        version,
        ledger_remainder=False,  # the vials are recorded; closing one ledgers its rest
    )
    concentration = dec(load_protocol()["prep.reconstitution"].number("concentration_mg_per_ml"))
    for vial_id, mg in draws:
        draw = VialDraw(
            vial_id=vial_id,
            order_id=order_id,
            mg=mg,
            ml=float((dec(mg) / concentration).quantize(Decimal("0.01"))),
            drawn_at=now.astimezone(dt.UTC),
            bag_discarded=False,
        )
        session.add(draw)
        session.flush()
        record(session, actor.id, "vial_draw.create", "vial_draw", draw.id, None, to_json(draw))
    return preparation


def discard_bag(
    session: Session,
    actor: User,
    order_id: int,
    reason: str,
    note: str,
    now: dt.datetime,
    price_per_vial_usd: float | None = None,
    version: int | None = None,
) -> WasteEntry:
    """Discards the order's prepared bag into the ledger; the order goes back to "verified"."""
    require_role(actor, Role.PHARMACIST)
    if reason not in DISCARD_REASONS:
        raise InputError([FieldError("reason", f"must be one of {', '.join(DISCARD_REASONS)}")])
    order = orders.get_order(session, actor, order_id)
    if version is not None and order.version != version:
        raise Conflict(f"order {order_id} changed since version {version}", "version")
    preparation = session.scalar(select(Preparation).where(Preparation.order_id == order_id))
    if order.status != "prepared" or preparation is None:
        raise Conflict(
            f"order {order_id} is {order.status}; only a prepared bag is discarded", "status"
        )
    latest_start = aware(preparation.latest_start_at)
    if reason == "expired_bag" and now <= latest_start:
        raise InputError(
            [
                FieldError(
                    "reason",
                    f"the bag is usable until {latest_start.isoformat(timespec='minutes')}",
                )
            ]
        )
    entry = waste.record_waste(
        session,
        actor,
        reason,
        order.dose_mg,
        latest_start if reason == "expired_bag" else now,  # an expired bag was lost then
        price_per_vial_usd=price_per_vial_usd,
        course_id=order.course_id,
        order_id=order.id,
        lot=", ".join(str(lot) for lot in preparation.vial_lots) or None,
        note=note,
        details={"preparation": to_json(preparation)},
    )
    _remove_bag(session, actor, order, preparation, reason)
    return entry


def _remove_bag(
    session: Session, actor: User, order: Order, preparation: Preparation, reason: str
) -> None:
    """Marks the bag's draws discarded, deletes the preparation (the ledger and the audit keep
    a copy) and sends the order back to "verified"."""
    for draw in session.scalars(select(VialDraw).where(VialDraw.order_id == order.id)):
        draw.bag_discarded = True
    record(
        session,
        actor.id,
        "preparation.discard",
        "preparation",
        preparation.id,
        to_json(preparation),
        None,
    )
    session.delete(preparation)
    why = f"bag discarded ({waste.REASON_LABELS[reason].lower()}): prepare it again"
    transition(session, actor, order, "verified", why, "order.bag_discarded")
