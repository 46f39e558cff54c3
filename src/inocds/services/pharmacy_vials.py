"""The pharmacy day's vials: reconstituted vials with their lot, what was drawn, what is left.

`open_vial` records a vial; `vial_state` reads what it gave and until when it serves
dilutions (prep.reconstituted_storage); `close_vial` discards its remainder into the
waste ledger. `services/pharmacy.py` draws bags from them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import PharmacyVial, User, VialDraw, WasteEntry
from inocds.adapters.db.roles import CLINICAL_ROLES, Role
from inocds.clinical.validation import FieldError, InputError
from inocds.protocol.loader import load_protocol
from inocds.services import waste
from inocds.services.access import require_role
from inocds.services.audit import record, to_json
from inocds.services.errors import Conflict, NotFound

__all__ = [
    "MG_TOLERANCE",
    "VialState",
    "aware",
    "close_vial",
    "dec",
    "get_vial",
    "open_vial",
    "vial_state",
    "vials_of_day",
]

MG_TOLERANCE = Decimal("0.0005")
"""Half a microgram: amounts are compared to the microgram."""


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp, aware (SQLite hands back naive UTC values)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def dec(value: float) -> Decimal:
    """The decimal a person reads in `value`."""
    return Decimal(repr(float(value)))


@dataclass(frozen=True)
class VialState:
    """A vial of the day: what was drawn, what is left, until when it may be used."""

    vial: PharmacyVial
    draws: list[VialDraw]
    used_mg: float
    remaining_mg: float
    dilute_by: dt.datetime


def _window() -> dt.timedelta:
    return dt.timedelta(hours=load_protocol()["prep.reconstituted_storage"].number("max_hours"))


def vial_state(session: Session, vial: PharmacyVial) -> VialState:
    """What a vial gave, what it holds, until when it serves dilutions."""
    draws = list(session.scalars(select(VialDraw).where(VialDraw.vial_id == vial.id)))
    used = sum((dec(d.mg) for d in draws), Decimal(0))
    return VialState(
        vial=vial,
        draws=draws,
        used_mg=float(used),
        remaining_mg=float(dec(vial.vial_mg) - used),
        dilute_by=aware(vial.reconstituted_at) + _window(),
    )


def vials_of_day(session: Session, actor: User, start: dt.datetime) -> list[VialState]:
    """Vials reconstituted in the 24 hours from `start` (the day's local midnight)."""
    require_role(actor, *CLINICAL_ROLES)
    vials = session.scalars(
        select(PharmacyVial)
        .where(
            PharmacyVial.reconstituted_at >= start.astimezone(dt.UTC),
            PharmacyVial.reconstituted_at < (start + dt.timedelta(days=1)).astimezone(dt.UTC),
        )
        .order_by(PharmacyVial.reconstituted_at, PharmacyVial.id)
    )
    return [vial_state(session, v) for v in vials]


def open_vial(
    session: Session,
    actor: User,
    lot: str,
    reconstituted_at: dt.datetime,
    now: dt.datetime,
    price_per_vial_usd: float | None = None,
) -> PharmacyVial:
    """Records a reconstituted vial of lot `lot`."""
    require_role(actor, Role.PHARMACIST)
    lot = lot.strip()
    if not lot or len(lot) > 100:
        raise InputError([FieldError("lot", "give the vial's lot number (up to 100 characters)")])
    if reconstituted_at > now + dt.timedelta(minutes=5):
        raise InputError([FieldError("reconstituted_at", "must not be in the future")])
    vial = PharmacyVial(
        lot=lot,
        reconstituted_at=reconstituted_at.astimezone(dt.UTC),
        vial_mg=load_protocol()["prep.vial"].number("vial_mg"),
        price_usd=waste.vial_price(price_per_vial_usd),
        opened_by=actor.id,
        opened_at=now.astimezone(dt.UTC),
    )
    session.add(vial)
    session.flush()
    record(session, actor.id, "vial.open", "vial", vial.id, None, to_json(vial))
    return vial


def get_vial(session: Session, vial_id: int) -> PharmacyVial:
    """One vial (NotFound otherwise)."""
    vial = session.get(PharmacyVial, vial_id)
    if vial is None:
        raise NotFound(f"no vial {vial_id}", "vial_id")
    return vial


def close_vial(session: Session, actor: User, vial_id: int, now: dt.datetime) -> WasteEntry | None:
    """Closes a vial; what is left in it goes to the ledger as an unused remainder."""
    require_role(actor, Role.PHARMACIST)
    state = vial_state(session, get_vial(session, vial_id))
    vial = state.vial
    if vial.closed_at is not None:
        raise Conflict(f"vial {vial_id} is already closed", "vial_id")
    before = to_json(vial)
    vial.closed_at = now.astimezone(dt.UTC)
    vial.remainder_mg = max(state.remaining_mg, 0.0)
    session.flush()
    record(session, actor.id, "vial.close", "vial", vial.id, before, to_json(vial))
    if state.remaining_mg <= float(MG_TOLERANCE):
        return None
    return waste.record_waste(
        session,
        actor,
        "unused_vial_remainder",
        state.remaining_mg,
        min(now, state.dilute_by),
        price_per_vial_usd=vial.price_usd,
        vial_id=vial.id,
        lot=vial.lot,
        note=f"vial {vial.id}: {state.used_mg:g} of {vial.vial_mg:g} mg drawn",
    )
