"""The order's state, written safely: conditional transitions and one live order per dose.

- `transition` is one conditional UPDATE on the state and version that were read: of two
  concurrent transitions (cancel against administer) exactly one matches a row; the
  other gets Conflict (409).
- `make_room` keeps one live order (signed, verified, prepared, administered) per
  course, cycle and day: a second one is refused naming the first, unless the new order
  names it as the one it replaces, which cancels it explicitly. The unique index
  `uq_orders_live_slot` holds the same rule in the database.
- `void_administration`: a physician withdraws an administration recorded in error;
  the dose event it wrote is retracted through the workflow (the events API refuses it).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from inocds.adapters.db.models import LIVE_ORDER_STATUSES, Administration, Order, User
from inocds.adapters.db.roles import Role
from inocds.services import courses
from inocds.services.access import require_role
from inocds.services.audit import record, to_json
from inocds.services.errors import Conflict, NotFound

__all__ = ["live_order", "make_room", "transition", "void_administration"]


def transition(
    session: Session,
    actor: User,
    order: Order,
    status: str,
    reason: str | None = None,
    action: str | None = None,
) -> None:
    """Moves `order` to `status` if it is still in the state and version read, else Conflict.

    One conditional UPDATE (WHERE status = read AND version = read): a concurrent
    transition that committed first makes it match no row.
    """
    before = to_json(order)
    changed = session.execute(
        update(Order)
        .where(Order.id == order.id, Order.status == order.status, Order.version == order.version)
        .values(status=status, status_reason=reason, version=Order.version + 1)
        .execution_options(synchronize_session=False)
    )
    if changed.rowcount != 1:  # type: ignore[attr-defined]
        session.expire(order)
        raise Conflict(
            f"order {order.id} changed while you were working on it (now {order.status}, "
            f"version {order.version}); reload it",
            "version",
        )
    session.refresh(order)
    audited = action or f"order.{status}"
    record(session, actor.id, audited, "order", order.id, before, to_json(order))


def live_order(session: Session, course_id: int, cycle: int, day: int) -> Order | None:
    """The live order (signed … administered) of a course's cycle and day, if any."""
    return session.scalars(
        select(Order)
        .where(
            Order.course_id == course_id,
            Order.cycle == cycle,
            Order.day == day,
            Order.status.in_(LIVE_ORDER_STATUSES),
        )
        .execution_options(populate_existing=True)
    ).first()


def make_room(
    session: Session,
    actor: User,
    course_id: int,
    cycle: int,
    day: int,
    replaces_order_id: int | None,
) -> None:
    """Refuses a second live order for the dose, or cancels the one it explicitly replaces."""
    existing = live_order(session, course_id, cycle, day)
    if existing is None:
        if replaces_order_id is not None:
            raise Conflict(
                f"order {replaces_order_id} is not the live order of cycle {cycle} day {day}",
                "replaces_order_id",
            )
        return
    if replaces_order_id != existing.id:
        raise Conflict(
            f"order {existing.id} ({existing.status}) is already the live order of cycle "
            f"{cycle} day {day}: cancel it, or sign with replaces_order_id "
            f"{existing.id} to replace it",
            "replaces_order_id",
        )
    if existing.status == "administered":
        raise Conflict(
            f"order {existing.id} was administered: void the administration first",
            "replaces_order_id",
        )
    transition(session, actor, existing, "cancelled", "replaced by a new order")


def void_administration(
    session: Session,
    actor: User,
    order_id: int,
    reason: str,
    today: dt.date,
    version: int | None = None,
) -> Order:
    """A physician voids an administration recorded in error: its dose event is retracted.

    The order becomes `cancelled` with the reason; the dose's cycle and day are free again.
    """
    require_role(actor, Role.PHYSICIAN)
    order = session.get(Order, order_id)
    if order is None:
        raise NotFound(f"no order {order_id}", "order_id")
    if version is not None and order.version != version:
        raise Conflict(f"order {order_id} changed since version {version}", "version")
    if order.status != "administered":
        raise Conflict(
            f"order {order_id} is {order.status}; only an administered order is voided", "status"
        )
    administration = session.scalar(
        select(Administration).where(Administration.order_id == order_id)
    )
    assert administration is not None
    transition(session, actor, order, "cancelled", f"administration voided: {reason}")
    courses.retract_event(
        session,
        actor,
        order.course_id,
        administration.dose_event_id,
        f"administration of order {order_id} voided: {reason}",
        today,
        by_workflow=True,
    )
    return order
