"""Recording a height and weight, and what it sets off.

A new weight 10% or more away from the course's start weight sends the open orders
back for recalculation (issue 5); the stored measurement itself is
`patients.store_measurement`. Kept apart from `patients` so that patients need not
know orders (and orders may read patients).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import Course, Measurement, Order, User
from inocds.services.order_state import transition
from inocds.services.orders import WEIGHT_CHANGE_FRACTION, weight_change_fraction
from inocds.services.patients import store_measurement

__all__ = ["add_measurement"]


def add_measurement(
    session: Session,
    actor: User,
    patient_id: int,
    measured_on: dt.date,
    height_cm: float,
    weight_kg: float,
    today: dt.date | None = None,
) -> Measurement:
    """Records height and weight on a date (clinical roles); sends back affected orders."""
    measurement = store_measurement(
        session, actor, patient_id, measured_on, height_cm, weight_kg, today
    )
    _return_orders_on_weight_change(session, actor, patient_id, weight_kg)
    return measurement


def _return_orders_on_weight_change(
    session: Session, actor: User, patient_id: int, weight_kg: float
) -> None:
    """Open orders go back for recalculation when the weight moved 10% or more (issue 5)."""
    open_orders = session.scalars(
        select(Order)
        .join(Course, Order.course_id == Course.id)
        .where(
            Course.patient_id == patient_id, Order.status.in_(("signed", "verified", "prepared"))
        )
    ).all()
    for order in open_orders:
        course = session.get(Course, order.course_id)
        assert course is not None
        change = weight_change_fraction(course, weight_kg)
        acknowledged = bool(order.engine_decision.get("weight_change_acknowledged"))
        if change < WEIGHT_CHANGE_FRACTION or (acknowledged and order.weight_kg == weight_kg):
            continue
        reason = (
            f"weight {weight_kg:g} kg is {change:.0%} away from the course's start "
            f"({course.start_weight_kg:g} kg): recalculate"
        )
        transition(session, actor, order, "returned", reason)
