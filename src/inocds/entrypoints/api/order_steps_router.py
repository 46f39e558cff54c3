"""Order steps under /api/v1 (issue 11, item 4): blind check, own-dose verification, confirmed
return, re-sign, completing an administration, discarding a bag. Same use cases as the pages."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Literal

from fastapi import APIRouter, Request
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from inocds.entrypoints.api.clock import Now, Today
from inocds.entrypoints.api.deps import Nurse, Pharmacist, Physician, SessionDep
from inocds.entrypoints.api.fields import EnteredDoseMg, Grade, HeightCm, InfusedVolumeMl, WeightKg
from inocds.entrypoints.api.orders_router import order_json
from inocds.services import order_steps, orders, pharmacy

__all__ = ["order_steps_api"]


class OwnEntry(BaseModel):
    """The pharmacist's own height and weight, or own dose, entered before seeing the order's."""

    model_config = ConfigDict(extra="forbid")

    height_cm: HeightCm | None = None
    weight_kg: WeightKg | None = None
    dose_mg: EnteredDoseMg | None = None
    version: int | None = Field(None, ge=1)


class OwnDose(BaseModel):
    """The pharmacist's own dose."""

    model_config = ConfigDict(extra="forbid")

    dose_mg: EnteredDoseMg
    version: int | None = Field(None, ge=1)


class Resign(BaseModel):
    """A returned order signed again from the latest measurement."""

    model_config = ConfigDict(extra="forbid")

    override_reason: str | None = Field(None, max_length=500)
    weight_change_acknowledged: bool = False
    version: int | None = Field(None, ge=1)


class LaterReaction(BaseModel):
    """A reaction noticed after the administration was recorded."""

    model_config = ConfigDict(extra="forbid")

    grade: Grade
    name: str = Field("infusion reaction", max_length=200)
    onset: AwareDatetime


class Completion(BaseModel):
    """What is added to an administration record."""

    model_config = ConfigDict(extra="forbid")

    ended_at: AwareDatetime | None = None
    volume_ml: InfusedVolumeMl | None = None
    reaction: LaterReaction | None = None


if TYPE_CHECKING:
    DiscardReason = str
else:
    DiscardReason = Literal[pharmacy.DISCARD_REASONS]
    """Why a bag is discarded (the use case's own list, services.pharmacy)."""


class Discard(BaseModel):
    """Why a prepared bag is discarded."""

    model_config = ConfigDict(extra="forbid")

    reason: DiscardReason
    note: str = Field("", max_length=500)
    version: int | None = Field(None, ge=1)


def order_steps_api() -> APIRouter:
    """The routes (JSON)."""
    router = APIRouter(tags=["orders"])
    _verification_routes(router)
    _record_routes(router)
    return router


def _verification_routes(router: APIRouter) -> None:
    """Blind check, own-dose verification, confirmed return, re-sign."""

    @router.post("/api/v1/orders/{order_id}/blind-check", summary="Compare an own entry (no write)")
    def blind_check(order_id: int, body: OwnEntry, session: SessionDep, user: Pharmacist) -> Any:
        found = order_steps.blind_check(
            session, user, order_id, **body.model_dump(exclude={"version"}), version=body.version
        )
        return {
            "matches": found.matches,
            "dose_mg": found.dose_mg,
            "bsa_m2": found.bsa_m2,
            "message": found.message,
        }

    @router.post("/api/v1/orders/{order_id}/dose-verifications", summary="Verify from own dose")
    def verify_dose(
        order_id: int, body: OwnDose, session: SessionDep, user: Pharmacist, now: Now
    ) -> Any:
        order_steps.verify_own_dose(session, user, order_id, body.dose_mg, body.version, now)
        return order_json(session, orders.get_order(session, user, order_id))

    @router.post("/api/v1/orders/{order_id}/return", summary="Send back after a mismatch")
    def return_order(order_id: int, body: OwnEntry, session: SessionDep, user: Pharmacist) -> Any:
        order = order_steps.return_order(
            session, user, order_id, **body.model_dump(exclude={"version"}), version=body.version
        )
        return order_json(session, order)

    @router.post("/api/v1/orders/{order_id}/resign", summary="Sign a returned order again")
    def resign(
        order_id: int, body: Resign, session: SessionDep, user: Physician, today: Today, now: Now
    ) -> Any:
        order = order_steps.resign(session, user, order_id, today, **body.model_dump(), now=now)
        return order_json(session, order)


def _record_routes(router: APIRouter) -> None:
    """Completing an administration, discarding a bag."""

    @router.patch("/api/v1/orders/{order_id}/administration", summary="Complete the record")
    def complete(
        order_id: int, body: Completion, session: SessionDep, user: Nurse, today: Today, now: Now
    ) -> Any:
        reaction = body.reaction.model_dump() if body.reaction else None
        order_steps.complete_administration(
            session,
            user,
            order_id,
            today,
            now,
            ended_at=body.ended_at,
            volume_ml=body.volume_ml,
            reaction=reaction,
        )
        return order_json(session, orders.get_order(session, user, order_id))

    @router.post("/api/v1/orders/{order_id}/discard", summary="Discard the prepared bag")
    def discard(
        order_id: int,
        body: Discard,
        request: Request,
        session: SessionDep,
        user: Pharmacist,
        now: Now,
    ) -> Any:
        price = request.app.state.settings.vial_price_usd
        entry = pharmacy.discard_bag(
            session, user, order_id, body.reason, body.note, now, price, body.version
        )
        return {
            "waste_id": entry.id,
            "mg": entry.mg,
            "usd": entry.cost_usd,
            "order": order_json(session, orders.get_order(session, user, order_id)),
        }
