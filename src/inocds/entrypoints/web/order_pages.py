"""Order steps on the order page (issue 11, item 4), beside the order routes of pages/orders.py.

- POST /orders/{id}/verify-dose: a blind verification from the pharmacist's own dose.
- POST /orders/{id}/return: after a mismatch, the pharmacist confirms sending it back.
- POST /orders/{id}/resign: a returned order signed again with the latest measurements.
- POST /orders/{id}/administration: the infusion's end, volume or a later reaction.
Each refused form comes back on the order page with what was typed and its errors.
"""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from inocds.entrypoints.api.clock import Now, Today
from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.kit import (
    Login,
    PageRoute,
    PostedForm,
    WebLogin,
    attempt,
    form_version,
)
from inocds.entrypoints.web.pages.orders import _answer as order_answer
from inocds.protocol.schema import ENTRY, MAX_GRADE, MIN_GRADE, body_limits
from inocds.services import order_steps
from inocds.services.records import Session

__all__ = ["order_steps_router"]


def _answer(
    request: Request,
    session: Session,
    login: Login,
    order_id: int,
    now: dt.datetime,
    form: Form,
    status: int,
    saved: str,
) -> Response:
    """Back to the order: `saved` on success, else the form as typed with its errors."""
    return order_answer(
        request, session, login, order_id, now, form, status, saved, explain_conflict=False
    )


def _verification_routes(router: APIRouter) -> None:
    @router.post("/orders/{order_id}/verify-dose", response_class=HTMLResponse)
    def verify_dose(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        order_id: int,
        now: Now,
    ) -> Response:
        form = Form("verify_dose", values=posted, inputs=frozenset({"dose_mg"}))
        dose = form.number("dose_mg", required=True, low=0.01, high=ENTRY.max_dose_mg)
        version = form_version(form)
        _, status = attempt(
            session,
            form,
            lambda: order_steps.verify_own_dose(
                session, login.user, order_id, dose or 0.0, version, now
            ),
            ready=dose is not None,
        )
        return _answer(request, session, login, order_id, now, form, status, "verified")

    @router.post("/orders/{order_id}/return", response_class=HTMLResponse)
    def return_order(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        order_id: int,
        now: Now,
    ) -> Response:
        form = Form("return", values=posted, inputs=frozenset({"dose_mg"}))
        body = body_limits()
        values = {
            "height_cm": form.number("height_cm", low=body.min_height_cm, high=body.max_height_cm),
            "weight_kg": form.number("weight_kg", low=body.min_weight_kg, high=body.max_weight_kg),
            "dose_mg": form.number("dose_mg", low=0.01, high=ENTRY.max_dose_mg),
        }
        version = form_version(form)
        _, status = attempt(
            session,
            form,
            lambda: order_steps.return_order(
                session, login.user, order_id, **values, version=version
            ),
        )
        return _answer(request, session, login, order_id, now, form, status, "returned")


def _signing_routes(router: APIRouter) -> None:
    @router.post("/orders/{order_id}/resign", response_class=HTMLResponse)
    def resign(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        order_id: int,
        now: Now,
        today: Today,
    ) -> Response:
        form = Form(
            "resign",
            values=posted,
            inputs=frozenset({"override_reason", "weight_change_acknowledged"}),
        )
        reason = form.text("override_reason", max_length=500)
        version = form_version(form)
        _, status = attempt(
            session,
            form,
            lambda: order_steps.resign(
                session,
                login.user,
                order_id,
                today,
                override_reason=reason,
                weight_change_acknowledged=form.checked("weight_change_acknowledged"),
                version=version,
                now=now,
            ),
        )
        return _answer(request, session, login, order_id, now, form, status, "signed")


def _completion_routes(router: APIRouter) -> None:
    """The administration record completed after the infusion."""

    @router.post("/orders/{order_id}/administration", response_class=HTMLResponse)
    def complete(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        order_id: int,
        now: Now,
        today: Today,
    ) -> Response:
        names = {"ended_at", "volume_ml", "reaction_grade", "reaction_name", "reaction_onset"}
        form = Form("complete", values=posted, inputs=frozenset(names))
        ended = form.moment("ended_at")
        volume = form.number("volume_ml", low=0.1, high=ENTRY.max_volume_ml)
        grade = form.number("reaction_grade", integer=True, low=MIN_GRADE, high=MAX_GRADE)
        name = form.text("reaction_name", max_length=200)
        onset = form.moment("reaction_onset")
        reaction = None
        if grade is not None:
            if onset is None:
                form.error("reaction_onset", "give the time the reaction began")
            reaction = {"grade": int(grade), "name": name, "onset": onset}
        elif name or onset:
            form.error("reaction_grade", "give the grade of the reaction")
        _, status = attempt(
            session,
            form,
            lambda: order_steps.complete_administration(
                session,
                login.user,
                order_id,
                today,
                now,
                ended_at=ended,
                volume_ml=volume,
                reaction=reaction,
            ),
        )
        return _answer(request, session, login, order_id, now, form, status, "administered")


def order_steps_router() -> APIRouter:
    """The order page's extra steps (HTML, outside the OpenAPI document)."""
    router = APIRouter(include_in_schema=False, route_class=PageRoute)
    _verification_routes(router)
    _signing_routes(router)
    _completion_routes(router)
    return router
