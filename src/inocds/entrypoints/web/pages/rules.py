"""The protocol's rules, readable without logging in: the list and one rule."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import Request, Response
from fastapi.responses import HTMLResponse

from inocds.entrypoints.web.kit import MaybeLogin, PageRefusal, page_router, render
from inocds.protocol.loader import load_protocol

__all__ = ["router"]

router = page_router()


@router.get("/rules", response_class=HTMLResponse)
def rules(request: Request, found: MaybeLogin) -> Response:
    return render(request, "rules.html", found, rules=load_protocol().all())


@router.get("/rules/{rule_id}", response_class=HTMLResponse)
def rule(request: Request, found: MaybeLogin, rule_id: str) -> Response:
    protocol = load_protocol()
    if rule_id not in protocol:
        raise PageRefusal(404, f"There is no rule {rule_id!r}.")
    return render(request, "rule.html", found, rule=protocol[rule_id], quote=quote)
