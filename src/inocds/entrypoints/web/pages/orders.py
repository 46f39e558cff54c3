"""The order page and its steps: verify, prepare, administer, cancel."""

from __future__ import annotations

import datetime as dt

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from inocds.entrypoints.api.clock import Now, Today
from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.api.orders_router import VerificationCreate
from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.kit import (
    Login,
    PostedForm,
    WebLogin,
    attempt,
    form_version,
    page_router,
    redirect,
)
from inocds.entrypoints.web.kit import render as render_page
from inocds.entrypoints.web.pages.order_view import order_view
from inocds.entrypoints.web.payloads import plausible_body
from inocds.protocol.schema import MAX_GRADE, MIN_GRADE
from inocds.services import audit, orders
from inocds.services.records import Session

__all__ = ["router"]

router = page_router()

_FUTURE_SLACK = dt.timedelta(minutes=5)
"""A time typed a few minutes ahead of the server's clock is not "in the future"."""


def _order_page(
    request: Request,
    session: Session,
    login: Login,
    order_id: int,
    now: dt.datetime,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    view = order_view(session, login.user, order_id, now)
    forms = dict(forms or {})
    for name in ("verify", "prepare", "administer", "cancel"):
        forms.setdefault(name, Form(name))
    return render_page(request, "order.html", login, status_code, now=now, forms=forms, **view)


def _answer(
    request: Request,
    session: Session,
    login: Login,
    order_id: int,
    now: dt.datetime,
    form: Form,
    status: int,
    saved: str,
    *,
    explain_conflict: bool = True,
) -> Response:
    """Back to the order: `saved` on success, else the form as typed with its errors (a
    409 says who changed the order last, and when, unless `explain_conflict` is off)."""
    if not status:
        return redirect(f"/orders/{order_id}?saved={saved}")
    if explain_conflict and form.conflict:
        change = audit.last_change(session, "order", order_id)
        if change is not None:
            form.general.append(
                f"Order {order_id} was changed meanwhile: {change} Reload the page to see it."
            )
    return _order_page(request, session, login, order_id, now, {form.name: form}, status)


@router.get("/orders/{order_id}", response_class=HTMLResponse)
def order_page(
    request: Request, session: SessionDep, login: WebLogin, order_id: int, now: Now
) -> Response:
    return _order_page(request, session, login, order_id, now)


@router.post("/orders/{order_id}/verify", response_class=HTMLResponse)
def verify(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    order_id: int,
    now: Now,
) -> Response:
    form = Form("verify", values=posted, inputs=frozenset({"height_cm", "weight_kg"}))
    data = {
        "height_cm": form.number("height_cm", required=True),
        "weight_kg": form.number("weight_kg", required=True),
        "version": form_version(form),
    }
    plausible_body(form, data["height_cm"], data["weight_kg"])
    body = form.validated(VerificationCreate, {k: v for k, v in data.items() if v is not None})
    done, status = attempt(
        session,
        form,
        lambda: (
            body is not None
            and orders.verify(
                session, login.user, order_id, body.height_cm, body.weight_kg, body.version, now
            )
        ),
    )
    saved = "verified" if done else "returned"
    return _answer(request, session, login, order_id, now, form, status, saved)


@router.post("/orders/{order_id}/prepare", response_class=HTMLResponse)
def prepare(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    order_id: int,
    now: Now,
) -> Response:
    form = Form(
        "prepare",
        values=posted,
        inputs=frozenset({"reconstituted_at", "diluted_at", "refrigerated", "vial_lots"}),
    )
    reconstituted = form.moment("reconstituted_at", required=True, not_after=now + _FUTURE_SLACK)
    diluted = form.moment("diluted_at", not_after=now + _FUTURE_SLACK)
    refrigerated = form.choice("refrigerated", ("yes", "no"), required=True)
    raw_lots = posted.get("vial_lots", "").replace(",", "\n").splitlines()
    lots = tuple(lot.strip() for lot in raw_lots if lot.strip())
    if len(lots) > 20 or any(len(lot) > 100 for lot in lots):
        form.error("vial_lots", "at most 20 lot numbers of up to 100 characters each")
    version = form_version(form)
    _, status = attempt(
        session,
        form,
        lambda: orders.prepare(
            session,
            login.user,
            order_id,
            reconstituted or now,
            refrigerated == "yes",
            diluted,
            lots,
            version,
        ),
    )
    return _answer(request, session, login, order_id, now, form, status, "prepared")


@router.post("/orders/{order_id}/administer", response_class=HTMLResponse)
def administer(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    order_id: int,
    now: Now,
    today: Today,
) -> Response:
    form = Form(
        "administer",
        values=posted,
        inputs=frozenset({"started_at", "ended_at", "reaction_grade", "reaction_name"}),
        aliases={"event.grade": "reaction_grade", "event.name": "reaction_name"},
    )
    started = form.moment("started_at", required=True, not_after=now + _FUTURE_SLACK)
    ended = form.moment("ended_at")
    grade = form.number("reaction_grade", integer=True, low=MIN_GRADE, high=MAX_GRADE)
    name = form.text("reaction_name", max_length=200)
    version = form_version(form)
    reaction = None
    if grade is not None:
        reaction = {"grade": int(grade), "name": name or "infusion reaction", "resolved": None}
    elif name:
        form.error("reaction_grade", "give the grade of the reaction")
    _, status = attempt(
        session,
        form,
        lambda: orders.administer(
            session, login.user, order_id, started or now, ended, reaction, today, version
        ),
    )
    return _answer(request, session, login, order_id, now, form, status, "administered")


@router.post("/orders/{order_id}/cancel", response_class=HTMLResponse)
def cancel(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    order_id: int,
    now: Now,
) -> Response:
    form = Form("cancel", values=posted, inputs=frozenset({"reason"}))
    reason = form.text("reason", required=True, max_length=500)
    version = form_version(form)
    _, status = attempt(
        session,
        form,
        lambda: orders.cancel(session, login.user, order_id, reason or "", version),
    )
    return _answer(request, session, login, order_id, now, form, status, "cancelled")
