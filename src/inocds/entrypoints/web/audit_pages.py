"""The audit trail page: GET /audit (filters: patient, course, user; pages of 50) and
POST /audit/verify (checks the whole hash chain and shows the result above the list).

Admins and physicians may read it (`services.audit_trail.AUDIT_READERS`). Times are
shown in the ward's time zone; each entry lists the fields it changed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response
from fastapi.responses import HTMLResponse

from inocds.entrypoints.api.deps import SessionDep
from inocds.entrypoints.web.forms import Form
from inocds.entrypoints.web.router import Login, PageRefusal, PageRoute, WebLogin, render
from inocds.services import audit_trail

__all__ = ["audit_pages"]

_FILTERS = ("patient_id", "course_id", "user_id")


def _require_reader(login: Login) -> None:
    if login.user.role not in audit_trail.AUDIT_READERS:
        readers = " or ".join(audit_trail.AUDIT_READERS)
        raise PageRefusal(403, f"Only {readers} accounts may read the audit trail.")


def _wanted(form: Form) -> audit_trail.AuditFilter:
    """The filters and page of the query string (a bad number goes beside its field)."""
    values: dict[str, Any] = {}
    for name in _FILTERS:
        number = form.number(name, integer=True, low=1, high=2**31 - 1)
        values[name] = None if number is None else int(number)
    page = form.number("page", integer=True, low=1, high=100_000)
    offset = 0 if page is None else (int(page) - 1) * audit_trail.PAGE_SIZE
    if form.failed:
        return audit_trail.AuditFilter(patient_id=0, offset=0)  # nothing matches
    return audit_trail.AuditFilter(**values, offset=offset)


def _show(
    request: Request,
    session: Any,
    login: Login,
    chain: tuple[int, list[str]] | None = None,
) -> HTMLResponse:
    params = dict(request.query_params)
    form = Form("audit", values=params, inputs=frozenset({*_FILTERS, "page"}))
    wanted = _wanted(form)
    trail = audit_trail.read_trail(session, login.user, wanted)
    page = wanted.offset // audit_trail.PAGE_SIZE + 1
    pages = max(1, -(-trail.total // audit_trail.PAGE_SIZE))
    query = urlencode({k: params[k] for k in _FILTERS if params.get(k, "").strip()})
    return render(
        request,
        "audit.html",
        login,
        422 if form.failed else 200,
        form=form,
        trail=trail,
        page=page,
        pages=pages,
        query=query,
        chain=chain,
    )


def audit_pages() -> APIRouter:
    """The audit trail routes."""
    router = APIRouter(include_in_schema=False, route_class=PageRoute)

    @router.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request, session: SessionDep, login: WebLogin) -> Response:
        _require_reader(login)
        return _show(request, session, login)

    @router.post("/audit/verify", response_class=HTMLResponse)
    def verify(request: Request, session: SessionDep, login: WebLogin) -> Response:
        _require_reader(login)
        chain = audit_trail.verify_chain(session, login.user)
        return _show(request, session, login, chain)

    return router
