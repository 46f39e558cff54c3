"""The recorded steps of orders (verification, preparation, administration), read back."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import Administration, Preparation, Verification

__all__ = ["OrderSteps", "order_steps", "orders_of_dose_events", "preparation_of"]


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
