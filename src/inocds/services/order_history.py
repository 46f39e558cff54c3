"""The recorded steps of orders (verification, preparation, administration), read back."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, bindparam, select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import Administration, Order, Preparation, User, Verification
from inocds.adapters.db.roles import CLINICAL_ROLES
from inocds.services.access import require_role
from inocds.services.access_log import note_read
from inocds.services.page_reads import Reads, rows_of

__all__ = [
    "OrderSteps",
    "course_order_rows",
    "order_steps",
    "orders_of_dose_events",
    "preparation_of",
]


@dataclass(frozen=True)
class OrderSteps:
    """The recorded steps of one order (None for a step not taken)."""

    verification: Verification | None
    preparation: Preparation | None
    administration: Administration | None


def order_steps(session: Session, order_id: int) -> OrderSteps:
    """The verification, preparation and administration of an order."""
    return OrderSteps(
        session.scalar(select(Verification).where(Verification.order_id == order_id)),
        session.scalar(select(Preparation).where(Preparation.order_id == order_id)),
        session.scalar(select(Administration).where(Administration.order_id == order_id)),
    )


def preparation_of(session: Session, order_id: int) -> Preparation | None:
    """The preparation of an order, if it was prepared."""
    return session.scalar(select(Preparation).where(Preparation.order_id == order_id))


def orders_of_dose_events(session: Session) -> dict[int, int]:
    """The order behind each course dose event recorded by an administration."""
    return {
        a.dose_event_id: a.order_id
        for a in session.scalars(
            select(Administration).where(Administration.dose_event_id.is_not(None))
        )
        if a.dose_event_id is not None
    }


_COURSE_ORDERS = (
    select(
        Order.id,
        Order.cycle,
        Order.day,
        Order.scheduled_on,
        Order.dose_mg_per_m2,
        Order.dose_mg,
        Order.flagged,
        Order.status,
        Preparation.id.label("preparation_id"),
        Preparation.latest_start_at,
    )
    .outerjoin(Preparation, and_(Preparation.order_id == Order.id, Order.status == "prepared"))
    .where(Order.course_id == bindparam("course_id"))
    .order_by(Order.id.desc())
)
"""A course's orders as its page lists them, with a prepared order's preparation (built once)."""


def course_order_rows(session: Reads, actor: User, course_id: int) -> list[dict[str, Any]]:
    """A course's orders, newest first, each with its preparation when prepared (for the
    beyond-use clock): what `order_rows(list_orders(course_id=...))` gives, in one query,
    as rows with the same attribute names (id, cycle, day, scheduled_on, dose_mg_per_m2,
    dose_mg, flagged, status; the preparation's latest_start_at)."""
    require_role(actor, *CLINICAL_ROLES)
    note_read(actor.id, None)
    found = rows_of(session, _COURSE_ORDERS, {"course_id": course_id})
    return [
        {"order": row, "preparation": row if row.preparation_id is not None else None}
        for row in found
    ]
