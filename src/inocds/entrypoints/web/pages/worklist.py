"""The home page: the worklist of a clinical role (the administrator's home otherwise)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from inocds.entrypoints.api.clock import Now, Today
from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.kit import MaybeLogin, page_router, redirect, render
from inocds.entrypoints.web.labels import ORDER_STATUS_LABELS, VOD_LABELS, time_left
from inocds.entrypoints.web.pages.accounts import login_page
from inocds.services import directory
from inocds.services.records import Role
from inocds.services.worklist import worklist

__all__ = ["alerts", "order_items", "router"]

router = page_router()


def alerts(screen: dict[str, Any]) -> list[dict[str, str]]:
    """The alerts that matter on the worklist: interactions of risk X or D, VOD risk factors."""
    found = [
        {
            "kind": "interaction",
            "text": f"{hit['drug']}: interaction risk {hit['risk']}",
            "detail": str(hit.get("management") or ""),
        }
        for hit in screen.get("interactions", [])
        if hit.get("risk") in ("X", "D")
    ]
    factors = [VOD_LABELS.get(f, f) for f in screen.get("vod_risk_factors", [])]
    if factors:
        found.append(
            {"kind": "vod", "text": "VOD risk factors: " + ", ".join(factors), "detail": ""}
        )
    return found


def order_items(rows: list[dict[str, Any]], now: dt.datetime) -> list[dict[str, Any]]:
    """Order rows with their status in words and the beyond-use clock of a preparation."""
    items = []
    for row in rows:
        order, preparation = row["order"], row["preparation"]
        clock = time_left(preparation.latest_start_at, now) if preparation else None
        label = ORDER_STATUS_LABELS.get(order.status, order.status)
        items.append({"order": order, "status_label": label, "clock": clock})
    return items


def _by_id(items: list[dict[str, Any]], row: dict[str, Any] | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return next(i for i in items if i["order"].id == row["order"].id)


@router.get("/", response_class=HTMLResponse)
def home(
    request: Request,
    session: SessionDep,
    found: MaybeLogin,
    today: Today,
    now: Now,
    show: str | None = None,
) -> Response:
    if not directory.has_users(session):
        return redirect("/setup")
    if found is None:
        return login_page(request, Form("login"), "/")
    if found.user.role == Role.ADMIN:
        return render(request, "admin_home.html", found)
    view = worklist(session, found.user, today, show)
    clocks = []
    for row in view["rows"]:
        row["orders"] = order_items(row["orders"], now)
        row["covered_by"] = _by_id(row["orders"], row["covered_by"])
        row["alerts"] = alerts(row["alerts"])
        clocks += [{**o, "patient": row["patient"]} for o in row["orders"] if o["clock"]]
    clocks.sort(key=lambda c: c["clock"].at)
    return render(request, "worklist.html", found, today=today, now=now, clocks=clocks, **view)
