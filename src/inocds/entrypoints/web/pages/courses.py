"""The course page (decision, reasons, plan, screen, labs, history) and its forms: events
and signing an order. Each entry's correction (withdraw, mark resolved) has its own page:
`pages/course_corrections.py`."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from inocds.clinical.validation import FieldError, InputError
from inocds.entrypoints.api.clock import Now, Today
from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.api.orders_router import OrderCreate
from inocds.entrypoints.web.filters import path_label
from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.kit import (
    Login,
    PostedForm,
    QuickWork,
    WebLogin,
    attempt,
    page_router,
    read_page,
    redirect,
)
from inocds.entrypoints.web.kit import render as render_page
from inocds.entrypoints.web.pages.course_fragments import (
    blank_forms,
    engine_fragments,
    entries_fragment,
)
from inocds.entrypoints.web.pages.worklist import order_items
from inocds.entrypoints.web.payloads import EVENT_FORMS, event_payload
from inocds.protocol.loader import load_protocol
from inocds.services import course_page, courses, orders
from inocds.services.errors import NotFound
from inocds.services.page_reads import Reads
from inocds.services.records import Session

__all__ = ["course_page_response", "course_view_work", "router"]

router = page_router()

_SIGN_INPUTS = frozenset(
    {
        "cycle",
        "day",
        "dose_mg_per_m2",
        "scheduled_on",
        "override_reason",
        "weight_change_acknowledged",
    }
)
_FLAGS = (
    "vod",
    "liver_abnormality_from_gilbert_or_hemolysis",
    "cytopenia_from_disease_with_stable_marrow",
)


def _decision_date(on: str | None, today: dt.date, form: Form) -> dt.date:
    if not on:
        return today
    try:
        return dt.date.fromisoformat(on)
    except ValueError:
        form.error("on", f"must be a date as YYYY-MM-DD; got {on!r}")
        return today


def course_page_response(
    request: Request,
    session: Reads,
    login: Login,
    course_id: int,
    today: dt.date,
    now: dt.datetime,
    *,
    on: str | None = None,
    flags: dict[str, bool] | None = None,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    """The course page for the decision date `on` (today by default), with `forms` as typed."""
    day_form = Form("day", values={"on": on} if on else {}, inputs=frozenset({"on"}))
    decision_date = _decision_date(on, today, day_form)
    flags = flags or {}
    view = course_page.course_page(session, login.user, course_id, decision_date, today, flags)
    view["orders"] = order_items(view["orders"], now)
    forms = dict(forms or {})
    for name in (*EVENT_FORMS, "sign"):
        forms.setdefault(name, Form(name))
    fragments = engine_fragments(view, decision_date)
    record_forms = {name: forms[name] for name in EVENT_FORMS}
    record_shown = {"on": decision_date, "plan": view["plan"], "uln": view["uln"]}
    sign_shown = {
        "on": decision_date,
        "weight_change": view["weight_change"],
        "weight_change_limit": view["weight_change_limit"],
        "start_weight_kg": view["course"].start_weight_kg,
    }
    stale_days = load_protocol()["workflow.plausibility"].integer("stale_measurement_days")
    return render_page(
        request,
        "course.html",
        login,
        status_code,
        today=today,
        now=now,
        on=decision_date,
        is_today=decision_date == today,
        flags=flags,
        day_form=day_form,
        forms=forms,
        stale_days=stale_days,
        **view,
        **fragments,
        entries_html=entries_fragment(view),
        record_html=blank_forms("record", view, login, record_forms, record_shown),
        sign_html=blank_forms("sign", view, login, {"sign": forms["sign"]}, sign_shown),
    )


def course_view_work(request: Request, course_id: int, on: str | None) -> QuickWork:
    """The work of `GET /courses/{course_id}` (the route below, and the same page answered
    in front of the routing by `course_page_asgi.py`)."""
    flags = {name: True for name in _FLAGS if request.query_params.get(name) == "on"}

    def page(session: Reads, login: Login, today: dt.date, now: dt.datetime) -> Response:
        return course_page_response(
            request, session, login, course_id, today, now, on=on, flags=flags
        )

    return page


@router.get("/courses/{course_id}", response_class=HTMLResponse)
async def course_view(request: Request, course_id: int, on: str | None = None) -> Response:
    return await read_page(request, course_view_work(request, course_id, on))


def _answer(
    request: Request,
    session: Session,
    login: Login,
    course_id: int,
    today: dt.date,
    now: dt.datetime,
    form: Form,
    status: int,
    saved: str,
) -> Response:
    """Back to the course (`saved`: the notice, then its anchor) on success, else the course
    page with the form as typed and its errors."""
    if not status:
        return redirect(f"/courses/{course_id}?saved={saved}")
    return course_page_response(
        request, session, login, course_id, today, now, forms={form.name: form}, status_code=status
    )


def _add_event(kind: str) -> None:
    path = f"/courses/{{course_id}}/{kind.replace('_', '-')}"

    @router.post(path, response_class=HTMLResponse, name=f"add_{kind}")
    def handler(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        course_id: int,
        today: Today,
        now: Now,
    ) -> Response:
        form = Form(kind, values=posted, inputs=EVENT_FORMS[kind], prefixes=("event.",))
        payload = event_payload(kind, form, today)
        _, status = attempt(
            session,
            form,
            lambda: courses.append_event(session, login.user, course_id, payload or {}, today),
        )
        saved = f"{kind}{_conversions(form)}#events"
        return _answer(request, session, login, course_id, today, now, form, status, saved)


_DOCUMENT_PATHS = ("patient.", "events", "today")


def _sign(
    session: Session,
    login: Login,
    course_id: int,
    data: orders.OrderInput,
    today: dt.date,
    now: dt.datetime,
) -> Any:
    """Signs the order; the engine's refusal to read the course on the date "To be given on"
    (its paths: patient.*, events[n].*, today.*) is put beside that date, in words."""
    try:
        return _sign_or_read(session, login, course_id, data, today, now)
    except InputError as refusal:
        about_date = [e for e in refusal.errors if e.field.startswith(_DOCUMENT_PATHS)]
        if not about_date:
            raise
        words = "; ".join(
            f"{path_label(e.field)} {e.message.replace('today.date', 'that date')}"
            for e in about_date
        )
        raise InputError(
            [FieldError("scheduled_on", f"the course cannot be assessed on this date ({words})")]
        ) from None


def _sign_or_read(
    session: Session,
    login: Login,
    course_id: int,
    data: orders.OrderInput,
    today: dt.date,
    now: dt.datetime,
) -> Any:
    """Signs the order. No height and weight on or before the date is a refusal beside
    "To be given on", not a missing page; the engine's reading of the course on that
    date speaks first (a date before birth says so)."""
    try:
        return orders.sign(session, login.user, course_id, data, today, now=now)
    except NotFound as missing:
        if missing.field != "measurements":
            raise
        courses.assess(session, login.user, course_id, data.scheduled_on or today)
        raise InputError([FieldError("scheduled_on", missing.message)]) from None


def _conversions(form: Form) -> str:
    from urllib.parse import quote

    return "".join(f"&note={quote(note)}" for note in form.notes[:3])


for _kind in EVENT_FORMS:
    _add_event(_kind)


@router.post("/courses/{course_id}/orders", response_class=HTMLResponse)
def sign(
    request: Request,
    session: SessionDep,
    login: WebLogin,
    posted: PostedForm,
    course_id: int,
    today: Today,
    now: Now,
) -> Response:
    form = Form("sign", values=posted, inputs=_SIGN_INPUTS)
    data: dict[str, Any] = {
        "cycle": form.number("cycle", required=True, integer=True, low=1),
        "day": form.number("day", required=True, integer=True, low=1),
        "dose_mg_per_m2": form.number("dose_mg_per_m2", required=True, low=0),
        "scheduled_on": form.date("scheduled_on", required=True),
        "override_reason": form.text("override_reason", max_length=500),
        "weight_change_acknowledged": form.checked("weight_change_acknowledged"),
    }
    data = {k: (int(v) if k in ("cycle", "day") else v) for k, v in data.items() if v is not None}
    body = form.validated(OrderCreate, data)
    order, status = attempt(
        session,
        form,
        lambda: (
            _sign(session, login, course_id, orders.OrderInput(**body.model_dump()), today, now)
            if body is not None
            else None
        ),
    )
    if order is not None:
        return redirect(f"/orders/{order.id}?saved=signed")
    return course_page_response(
        request, session, login, course_id, today, now, forms={"sign": form}, status_code=status
    )
