"""The order workflow under /api/v1: sign, verify, prepare, administer, cancel.

Each step is open to one role (403 otherwise) and to one order state (409 otherwise);
a body carrying `version` is checked against the order's version (stale: 409).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from inocds.entrypoints.api.clock import Now, Today
from inocds.entrypoints.api.deps import Clinician, Nurse, Pharmacist, Physician, SessionDep
from inocds.entrypoints.api.fields import Cycle, DoseDay, DoseMgPerM2, Grade, HeightCm, WeightKg
from inocds.services import order_history, order_state, order_times, orders
from inocds.services.records import Order

__all__ = ["orders_router"]


class OrderCreate(BaseModel):
    """The dose the physician signs."""

    model_config = ConfigDict(extra="forbid")

    cycle: Cycle
    day: DoseDay
    dose_mg_per_m2: DoseMgPerM2
    scheduled_on: dt.date
    override_reason: str | None = Field(None, max_length=500)
    weight_change_acknowledged: bool = False
    replaces_order_id: int | None = Field(
        None, ge=1, description="the live order of this dose that the new one replaces"
    )


class VerificationCreate(BaseModel):
    """The pharmacist's own height and weight."""

    model_config = ConfigDict(extra="forbid")

    height_cm: HeightCm
    weight_kg: WeightKg
    version: int | None = Field(None, ge=1)


class PreparationCreate(BaseModel):
    """The compounding record."""

    model_config = ConfigDict(extra="forbid")

    reconstituted_at: AwareDatetime
    diluted_at: AwareDatetime | None = None
    refrigerated: bool
    vial_lots: list[str] = Field(default_factory=list, max_length=20)
    version: int | None = Field(None, ge=1)


class Reaction(BaseModel):
    """An infusion reaction seen during or after the infusion."""

    model_config = ConfigDict(extra="forbid")

    grade: Grade
    name: str = Field("infusion reaction", max_length=200)
    resolved: dt.date | None = None


class AdministrationCreate(BaseModel):
    """The nurse's record of the infusion."""

    model_config = ConfigDict(extra="forbid")

    started_at: AwareDatetime
    ended_at: AwareDatetime | None = None
    reaction: Reaction | None = None
    version: int | None = Field(None, ge=1)


class Cancellation(BaseModel):
    """Why the order is cancelled."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500)
    version: int | None = Field(None, ge=1)


def order_json(session: Any, order: Order) -> dict[str, Any]:
    """An order with its verification, preparation and administration."""
    steps = order_history.order_steps(session, order.id)
    verification, preparation, administration = (
        steps.verification,
        steps.preparation,
        steps.administration,
    )
    return {
        "id": order.id,
        "course_id": order.course_id,
        "cycle": order.cycle,
        "day": order.day,
        "scheduled_on": order.scheduled_on.isoformat(),
        "height_cm": order.height_cm,
        "weight_kg": order.weight_kg,
        "bsa_m2": order.bsa_m2,
        "dose_mg_per_m2": order.dose_mg_per_m2,
        "dose_mg": order.dose_mg,
        "status": order.status,
        "status_reason": order.status_reason,
        "flagged": order.flagged,
        "override_reason": order.override_reason,
        "engine_decision": order.engine_decision,
        "prescriber_id": order.prescriber_id,
        "version": order.version,
        "verification": None
        if verification is None
        else {"pharmacist_id": verification.pharmacist_id, "dose_mg": verification.dose_mg},
        "preparation": None
        if preparation is None
        else {
            "pharmacist_id": preparation.pharmacist_id,
            "vial_lots": preparation.vial_lots,
            "beyond_use": preparation.worksheet,
        },
        "administration": None
        if administration is None
        else {
            "nurse_id": administration.nurse_id,
            "started_at": order_times.aware(administration.started_at).isoformat(),
            "dose_event_id": administration.dose_event_id,
        },
    }


def orders_router() -> APIRouter:
    """Routes of the order workflow."""
    router = APIRouter(tags=["orders"])
    _register_orders(router)
    _register_steps(router)
    _register_stops(router)
    return router


def _register_orders(router: APIRouter) -> None:
    """Sign, list and read orders."""

    @router.post("/api/v1/courses/{course_id}/orders", status_code=201, summary="Sign an order")
    def sign(
        course_id: int,
        body: OrderCreate,
        session: SessionDep,
        user: Physician,
        today: Today,
        now: Now,
    ) -> dict[str, Any]:
        data = orders.OrderInput(**body.model_dump())
        order = orders.sign(session, user, course_id, data, today, now=now)
        return order_json(session, order)

    @router.get("/api/v1/orders", summary="Orders, newest first")
    def list_all(
        session: SessionDep,
        user: Clinician,
        status: str | None = None,
        course_id: int | None = None,
    ) -> list[dict[str, Any]]:
        return [
            order_json(session, o) for o in orders.list_orders(session, user, status, course_id)
        ]

    @router.get("/api/v1/orders/{order_id}", summary="One order")
    def read(order_id: int, session: SessionDep, user: Clinician) -> dict[str, Any]:
        return order_json(session, orders.get_order(session, user, order_id))


def _register_steps(router: APIRouter) -> None:
    """The pharmacist's and the nurse's steps: verify, prepare, administer."""

    @router.post(
        "/api/v1/orders/{order_id}/verifications",
        status_code=201,
        response_model=None,
        summary="Verify independently (pharmacist, not the prescriber)",
    )
    def verify(
        order_id: int, body: VerificationCreate, session: SessionDep, user: Pharmacist, now: Now
    ) -> Any:
        done = orders.verify(
            session, user, order_id, body.height_cm, body.weight_kg, body.version, now
        )
        order = orders.get_order(session, user, order_id)
        if done is None:  # sent back for recalculation: stored, then answered 409
            return JSONResponse(
                {"errors": [{"field": "weight_kg", "message": order.status_reason}]},
                status_code=409,
            )
        return order_json(session, order)

    @router.post(
        "/api/v1/orders/{order_id}/preparations", status_code=201, summary="Record the preparation"
    )
    def prepare(
        order_id: int, body: PreparationCreate, session: SessionDep, user: Pharmacist
    ) -> dict[str, Any]:
        orders.prepare(
            session,
            user,
            order_id,
            body.reconstituted_at,
            body.refrigerated,
            body.diluted_at,
            tuple(body.vial_lots),
            body.version,
        )
        return order_json(session, orders.get_order(session, user, order_id))

    @router.post(
        "/api/v1/orders/{order_id}/administrations",
        status_code=201,
        summary="Record the administration (nurse); it becomes the dose event",
    )
    def administer(
        order_id: int, body: AdministrationCreate, session: SessionDep, user: Nurse, today: Today
    ) -> dict[str, Any]:
        reaction = body.reaction.model_dump(mode="json") if body.reaction else None
        orders.administer(
            session, user, order_id, body.started_at, body.ended_at, reaction, today, body.version
        )
        return order_json(session, orders.get_order(session, user, order_id))


def _register_stops(router: APIRouter) -> None:
    """Cancel an order, or void an administration recorded in error."""

    @router.post("/api/v1/orders/{order_id}/cancel", summary="Cancel an order not yet given")
    def cancel(
        order_id: int, body: Cancellation, session: SessionDep, user: Physician
    ) -> dict[str, Any]:
        return order_json(
            session, orders.cancel(session, user, order_id, body.reason, body.version)
        )

    @router.post(
        "/api/v1/orders/{order_id}/void",
        summary="Void an administration recorded in error (physician); its dose is retracted",
    )
    def void(
        order_id: int, body: Cancellation, session: SessionDep, user: Physician, today: Today
    ) -> dict[str, Any]:
        order = order_state.void_administration(
            session, user, order_id, body.reason, today, body.version
        )
        return order_json(session, order)
