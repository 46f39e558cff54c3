"""The pharmacist's pages: today's doses and vial plan, vials and bags, the waste ledger.

- `/pharmacy/today?on=DATE`: every verified order due that day across patients; the
  vial plan under the site's sharing policy (`INOCDS_VIAL_SHARING_POLICY`) for the
  dilution times typed; the day's vials (open one with its lot; close one, its
  remainder goes to the ledger); for each order a bag drawn from the open vials, and
  for each bag a discard (expired, not used, spilled) into the ledger.
- `/pharmacy/waste?month=YYYY-MM`: the month's ledger by reason and by course, with a
  chart; `/pharmacy/waste.csv` the same as CSV.
Queries live in `services.pharmacy` and `services.waste`; this module parses forms.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from inocds.adapters.reports.waste_chart import waste_chart_svg
from inocds.entrypoints.api.clock import Now
from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.web.forms import Form, local_zone, to_local
from inocds.entrypoints.web.kit import (
    Login,
    PageRefusal,
    PageRoute,
    PostedForm,
    WebLogin,
    attempt,
    form_version,
    redirect,
    render,
)
from inocds.protocol.schema import ENTRY
from inocds.services import pharmacy, waste
from inocds.services.records import CLINICAL_ROLES

__all__ = ["pharmacy_router"]

_NOTICES = {
    "vial": "The vial is recorded.",
    "bag": "The bag is prepared; its beyond-use clock is running.",
    "closed": "The vial is closed; its remainder is in the waste ledger.",
    "discarded": "The bag is discarded and its waste recorded; the order can be prepared again.",
}
_DEFAULT_DILUTION = dt.time(9, 0)


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _settings(request: Request) -> Any:
    return request.app.state.settings


def _midnight(on: dt.date) -> dt.datetime:
    zone = local_zone()
    start = dt.datetime.combine(on, dt.time())
    return start.replace(tzinfo=zone) if zone is not None else start.astimezone()


def _day(on: str | None, now: dt.datetime) -> dt.date:
    if on:
        try:
            return dt.date.fromisoformat(on)
        except ValueError:
            raise PageRefusal(404, f"{on!r} is not a date (YYYY-MM-DD).") from None
    return to_local(now).date()


def _require_pharmacy(login: Login) -> None:
    if login.user.role not in CLINICAL_ROLES:
        raise PageRefusal(403, "Only the care team may use the pharmacy pages.")


def _dilution_times(
    request: Request, on: dt.date, due: list[pharmacy.DueOrder]
) -> tuple[dict[int, dt.datetime], dict[str, str]]:
    """The planned dilution time of each verified order (typed, else 09:00), and the texts."""
    times: dict[int, dt.datetime] = {}
    texts: dict[str, str] = {}
    for d in due:
        if d.order.status != "verified":
            continue
        name = f"dilute_{d.order.id}"
        raw = request.query_params.get(name, "").strip() or _DEFAULT_DILUTION.strftime("%H:%M")
        texts[name] = raw
        try:
            clock = dt.time.fromisoformat(raw)
        except ValueError:
            continue
        times[d.order.id] = _midnight(on).replace(hour=clock.hour, minute=clock.minute)
    return times, texts


def _today_page(
    request: Request,
    session: Any,
    login: Login,
    on: dt.date,
    now: dt.datetime,
    forms: dict[str, Form] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    settings = _settings(request)
    due = pharmacy.due_orders(session, login.user, on)
    times, texts = _dilution_times(request, on, due)
    bad_times = sorted(name for name in texts if int(name.split("_")[1]) not in times)
    plan = None
    if request.query_params.get("plan") and not bad_times:
        plan = pharmacy.propose_plan(
            due, times, settings.vial_sharing_policy, settings.vial_price_usd
        )
    vials = pharmacy.vials_of_day(session, login.user, _midnight(on))
    usable = [
        v for v in vials if v.vial.closed_at is None and v.remaining_mg > 0 and now <= v.dilute_by
    ]
    suggested = {
        d.order.id: pharmacy.suggest_draws(session, d.order, usable, settings.vial_sharing_policy)
        for d in due
        if d.order.status == "verified"
    }
    saved = request.query_params.get("saved", "")
    chosen = dict(forms or {})
    expired = {
        d.order.id
        for d in due
        if d.preparation is not None and now > _aware(d.preparation.latest_start_at)
    }
    return render(
        request,
        "pharmacy_today.html",
        login,
        status_code,
        on=on,
        now=now,
        due=due,
        plan=plan,
        plan_times=texts,
        bad_times=bad_times,
        vials=vials,
        usable=usable,
        form_for=lambda name: chosen.get(name) or Form(name),
        expired=expired,
        suggested=suggested,
        policy=settings.vial_sharing_policy,
        price=waste.vial_price(settings.vial_price_usd),
        discard_reasons=[(r, waste.REASON_LABELS[r]) for r in pharmacy.DISCARD_REASONS],
        pharmacy_notice=_NOTICES.get(saved),
        month=on.strftime("%Y-%m"),
        local_now=to_local(now).strftime("%Y-%m-%dT%H:%M"),
    )


def _answer(
    request: Request,
    session: Any,
    login: Login,
    on: dt.date,
    now: dt.datetime,
    form: Form,
    status: int,
    saved: str,
) -> Response:
    """Back to the day's page: `saved` on success, else the form as typed with its errors."""
    if not status:
        return redirect(f"/pharmacy/today?on={on.isoformat()}&saved={saved}")
    return _today_page(request, session, login, on, now, {form.name: form}, status)


def _today_routes(router: APIRouter) -> None:
    @router.get("/pharmacy/today", response_class=HTMLResponse)
    def today_page(
        request: Request, session: SessionDep, login: WebLogin, now: Now, on: str | None = None
    ) -> Response:
        _require_pharmacy(login)
        return _today_page(request, session, login, _day(on, now), now)

    @router.post("/pharmacy/vials", response_class=HTMLResponse)
    def open_vial(
        request: Request, session: SessionDep, login: WebLogin, posted: PostedForm, now: Now
    ) -> Response:
        on = _day(posted.get("on"), now)
        form = Form("vial", values=posted, inputs=frozenset({"lot", "reconstituted_at"}))
        lot = form.text("lot", required=True, max_length=100)
        moment = form.moment("reconstituted_at", required=True)
        price = _settings(request).vial_price_usd
        _, status = attempt(
            session,
            form,
            lambda: pharmacy.open_vial(session, login.user, lot or "", moment or now, now, price),
            ready=lot is not None and moment is not None,
        )
        return _answer(request, session, login, on, now, form, status, "vial")

    @router.post("/pharmacy/vials/{vial_id}/close", response_class=HTMLResponse)
    def close_vial(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        now: Now,
        vial_id: int,
    ) -> Response:
        on = _day(posted.get("on"), now)
        form = Form(f"close-{vial_id}", values=posted)
        _, status = attempt(
            session,
            form,
            lambda: pharmacy.close_vial(session, login.user, vial_id, now),
            ready=True,
        )
        return _answer(request, session, login, on, now, form, status, "closed")


def _bag_routes(router: APIRouter) -> None:
    @router.post("/pharmacy/orders/{order_id}/bag", response_class=HTMLResponse)
    def prepare_bag(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        now: Now,
        order_id: int,
    ) -> Response:
        on = _day(posted.get("on"), now)
        names = {k for k in posted if k.startswith("draw_")}
        form = Form(
            f"bag-{order_id}",
            values=posted,
            inputs=frozenset({*names, "refrigerated", "diluted_at", "draws"}),
        )
        draws: list[tuple[int, float]] = []
        for name in sorted(names):
            mg = form.number(name, low=0, high=ENTRY.max_draw_mg)
            if mg:
                draws.append((int(name.removeprefix("draw_")), mg))
        refrigerated = form.choice("refrigerated", ("yes", "no"), required=True)
        diluted = form.moment("diluted_at")
        version = form_version(form)
        policy = _settings(request).vial_sharing_policy
        _, status = attempt(
            session,
            form,
            lambda: pharmacy.prepare_bag(
                session,
                login.user,
                order_id,
                draws,
                refrigerated == "yes",
                diluted or now,
                now,
                policy,
                version,
            ),
            ready=not form.failed and refrigerated is not None,
        )
        return _answer(request, session, login, on, now, form, status, "bag")


def _discard_routes(router: APIRouter) -> None:
    """A prepared bag discarded into the ledger."""

    @router.post("/pharmacy/orders/{order_id}/discard", response_class=HTMLResponse)
    def discard_bag(
        request: Request,
        session: SessionDep,
        login: WebLogin,
        posted: PostedForm,
        now: Now,
        order_id: int,
    ) -> Response:
        on = _day(posted.get("on"), now)
        form = Form(f"discard-{order_id}", values=posted, inputs=frozenset({"reason", "note"}))
        reason = form.choice("reason", pharmacy.DISCARD_REASONS, required=True)
        note = form.text("note", max_length=500) or ""
        version = form_version(form)
        price = _settings(request).vial_price_usd
        _, status = attempt(
            session,
            form,
            lambda: pharmacy.discard_bag(
                session, login.user, order_id, reason or "", note, now, price, version
            ),
            ready=reason is not None,
        )
        return _answer(request, session, login, on, now, form, status, "discarded")


def _month(month: str | None, now: dt.datetime) -> str:
    if month is None:
        return to_local(now).strftime("%Y-%m")
    try:
        dt.datetime.strptime(month, "%Y-%m")
    except ValueError:
        raise PageRefusal(404, f"{month!r} is not a month (YYYY-MM).") from None
    return month


def _waste_routes(router: APIRouter) -> None:
    @router.get("/pharmacy/waste", response_class=HTMLResponse)
    def waste_page(
        request: Request, session: SessionDep, login: WebLogin, now: Now, month: str | None = None
    ) -> Response:
        report = waste.monthly_report(session, login.user, _month(month, now))
        reason_rows = [(t.label, t.mg, t.cost_usd) for t in report.by_reason if t.entries]
        course_rows = [(t.label, t.mg, t.cost_usd) for t in report.by_course]
        return render(
            request,
            "pharmacy_waste.html",
            login,
            report=report,
            labels=waste.REASON_LABELS,
            reason_chart=waste_chart_svg(
                f"Waste by reason, {report.month}", reason_rows, "by-reason"
            ),
            course_chart=waste_chart_svg(
                f"Waste by course, {report.month}", course_rows, "by-course"
            ),
        )

    @router.get("/pharmacy/waste.csv")
    def waste_csv(
        session: SessionDep, login: WebLogin, now: Now, month: str | None = None
    ) -> Response:
        report = waste.monthly_report(session, login.user, _month(month, now))
        return Response(
            waste.report_csv(report),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="waste-{report.month}.csv"'},
        )


def pharmacy_router() -> APIRouter:
    """The pharmacy pages (HTML, outside the OpenAPI document)."""
    router = APIRouter(include_in_schema=False, route_class=PageRoute)
    _today_routes(router)
    _bag_routes(router)
    _discard_routes(router)
    _waste_routes(router)
    return router
