"""The pages' shared kit: templates, the logged-in user, refusals as pages, form attempts.

Every page module (`inocds.entrypoints.web.pages.*`) builds its routes on this:
`page_router()` gives a router whose refusals are HTML pages; `WebLogin` is the
logged-in user (a posted form must carry the session's CSRF token); `render` fills a
template; `attempt` runs a use case for a form and puts a refusal beside its field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Coroutine
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, HTTPException, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from inocds.clinical.validation import InputError
from inocds.entrypoints.api.clock import now as clock_now
from inocds.entrypoints.api.clock import today as clock_today
from inocds.entrypoints.api.deps import (
    CSRF_FORM_FIELD,
    SESSION_COOKIE,
    SessionDep,
    current_user,
    get_session,
    set_session_cookie,
)
from inocds.entrypoints.web import labels
from inocds.entrypoints.web.filters import FILTERS, rule_param, time_hint
from inocds.entrypoints.web.forms import (
    COUNT_UNIT_OPTIONS,
    DEFAULT_COUNT_UNIT,
    Form,
    field_label,
)
from inocds.entrypoints.web.notices import notice_for
from inocds.protocol.schema import DEFAULT_BSA_FORMULA
from inocds.services import audit_trail, auth, page_reads, quick_login
from inocds.services.courses import EVENT_ROLES
from inocds.services.errors import NotFound, ServiceError
from inocds.services.records import RECORDER_ROLES, ROLES, Role, Session, User

__all__ = [
    "Login",
    "LoginRequired",
    "MaybeLogin",
    "PageRefusal",
    "PageWork",
    "PostedForm",
    "QuickWork",
    "WebLogin",
    "attempt",
    "page_router",
    "quick_page",
    "read_page",
    "redirect",
    "refused",
    "render",
    "require",
    "safe_next",
    "start_session",
    "templates",
]


def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("inocds.entrypoints.web", "templates"),
        autoescape=select_autoescape(("html",)),
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,  # package data: no stat of each template file on every page
    )
    env.filters.update(FILTERS, field_label=field_label)
    env.globals.update(
        ACTION_LABELS=labels.ACTION_LABELS,
        ACTION_SHORT=labels.ACTION_SHORT,
        ORDER_STATUS_LABELS=labels.ORDER_STATUS_LABELS,
        ORDER_STATUS_SHORT=labels.ORDER_STATUS_SHORT,
        TOXICITY_LABELS=labels.TOXICITY_LABELS,
        VOD_LABELS=labels.VOD_LABELS,
        CHECK_LABELS=labels.CHECK_LABELS,
        CTCAE_GRADES=labels.CTCAE_GRADES,
        GRADE_OPTIONS=labels.GRADE_OPTIONS,
        DAY_OPTIONS=labels.DAY_OPTIONS,
        BSA_FORMULA_OPTIONS=labels.BSA_FORMULA_OPTIONS,
        DEFAULT_BSA_FORMULA=DEFAULT_BSA_FORMULA,
        RESPONSE_OPTIONS=labels.RESPONSE_OPTIONS,
        MRD_OPTIONS=labels.MRD_OPTIONS,
        SEX_OPTIONS=labels.SEX_OPTIONS,
        COUNT_UNIT_OPTIONS=COUNT_UNIT_OPTIONS,
        DEFAULT_COUNT_UNIT=DEFAULT_COUNT_UNIT,
        ROLES=list(ROLES),
        ROLE_OPTIONS=labels.ROLE_OPTIONS,
        Role=Role,
        RECORDER_ROLES=RECORDER_ROLES,
        rule_param=rule_param,
        AUDIT_READERS=audit_trail.AUDIT_READERS,
        EVENT_ROLES=EVENT_ROLES,
        CSRF_FORM_FIELD=CSRF_FORM_FIELD,
        Form=Form,  # order.html builds the blanks of its extra forms
    )
    return env


templates = Jinja2Templates(env=_environment())
"""The pages' templates (package data under `templates/`)."""


@dataclass(frozen=True)
class Login:
    """The logged-in user of a page and the session's CSRF token for its forms."""

    user: User
    csrf_token: str


def render(
    request: Request,
    name: str,
    login: Login | None,
    status_code: int = 200,
    **context: Any,
) -> HTMLResponse:
    """A page; `login` fills the header and every form's CSRF field."""
    values = {
        "login": login,
        "user": login.user if login else None,
        "csrf_token": login.csrf_token if login else "",
        "notice": notice_for(request.query_params),
        "time_hint": time_hint(),
        **context,
    }
    return templates.TemplateResponse(request, name, values, status_code=status_code)


# ------------------------------------------------------------------ login and refusals


class LoginRequired(Exception):
    """No valid browser session: the page answers with the login form."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


class PageRefusal(Exception):
    """A page that cannot be shown (404, 403 …) with a plain message."""

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message


async def posted_form(request: Request) -> dict[str, str]:
    """The fields of a posted form (the last value of each name); empty for other requests."""
    if request.method != "POST":
        return {}
    content_type = request.headers.get("content-type", "")
    if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
        return {}
    form = await request.form()
    return {key: value for key, value in form.multi_items() if isinstance(value, str)}


PostedForm = Annotated[dict[str, str], Depends(posted_form)]


def safe_next(path: str | None) -> str:
    """A local path to go back to after login (never another site)."""
    if not path or not path.startswith("/") or path.startswith("//") or "\\" in path:
        return "/"
    return path


def _here(request: Request) -> str:
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def optional_login(request: Request, session: SessionDep) -> Login | None:
    """The browser session's user, if any."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = auth.user_for_session_cookie(session, cookie)
    return None if found is None else Login(found.user, found.csrf_token)


MaybeLogin = Annotated[Login | None, Depends(optional_login)]


def web_login(request: Request, session: SessionDep, form: PostedForm, found: MaybeLogin) -> Login:
    """The logged-in user; a posted form must carry the session's CSRF token (else 403)."""
    if found is None:
        raise LoginRequired(_here(request) if request.method == "GET" else "/")
    if request.method == "POST":
        try:
            current_user(request, session, form.get(CSRF_FORM_FIELD))
        except HTTPException as refusal:
            raise PageRefusal(
                refusal.status_code,
                "This form was refused: it did not carry this session's security token "
                "(CSRF). Go back, reload the page and send the form again.",
            ) from None
    return found


WebLogin = Annotated[Login, Depends(web_login)]

PageWork = Callable[[Session, Login, dt.date, dt.datetime], Response]
"""A page's work: (unit of work, logged-in user, today, now) -> the answer."""
QuickWork = Callable[[page_reads.Reads, Login, dt.date, dt.datetime], Response]
"""A page's work that reads through `page_reads` alone (a unit of work, or quick reads)."""


async def read_page(request: Request, work: PageWork) -> Response:
    """A GET page in one trip to the thread pool: the unit of work of `get_session`, the
    user of `web_login`, the clock of `clock.today` / `clock.now` (overrides honoured, as
    for dependencies), then `work`. Solved as dependencies, each sync one is its own trip
    to the thread pool and back (six for the course page: a third of its time)."""
    return await run_in_threadpool(_read_page, request, work)


def _read_page(request: Request, work: PageWork) -> Response:
    overrides = getattr(request.app, "dependency_overrides", {})
    today: dt.date = overrides.get(clock_today, clock_today)()
    now: dt.datetime = overrides.get(clock_now, clock_now)()
    with contextmanager(get_session)(request) as session:
        login = web_login(request, session, {}, _page_login(request, session, overrides))
        return work(session, login, today, now)


def quick_page(request: Request, work: QuickWork) -> Response | None:
    """`_read_page` for the plain case alone (`course_page_asgi.py`): the browser session's
    user, then `work`, with every read on one connection of the app's quick-read pool
    (`services/page_reads.py`), no unit of work. None when that user cannot be read so
    (no cookie, no pool, a test's own unit of work, a failed read) or is not logged in,
    and when `work` needs a unit of work: the route answers those. A refusal of `work`
    (404, 403 …) is raised as it is, for the caller to hand the request to the route."""
    reads = getattr(request.app.state, "stored_reads", None)
    cookie = request.cookies.get(SESSION_COOKIE)
    overrides = getattr(request.app, "dependency_overrides", {})
    if reads is None or not cookie or get_session in overrides:
        return None
    today: dt.date = overrides.get(clock_today, clock_today)()
    now: dt.datetime = overrides.get(clock_now, clock_now)()
    try:
        with page_reads.quick_rows(reads) as rows:
            found = quick_login.session_login_on(rows.cursor, cookie)
            if found is None:
                return None
            return work(rows, Login(found.user, found.csrf_token), today, now)
    except (quick_login.ReadUnavailable, page_reads.NeedsUnitOfWork):
        return None


def _page_login(request: Request, session: Session, overrides: dict[Any, Any]) -> Login | None:
    """The browser session's user, read on the app's quick-read pool (`quick_login.py`)
    when it has one and the unit of work is the app's own (not a test's override); else,
    or when that read fails, through the unit of work (`optional_login`)."""
    reads = getattr(request.app.state, "stored_reads", None)
    cookie = request.cookies.get(SESSION_COOKIE)
    if reads is None or not cookie or get_session in overrides:
        return optional_login(request, session)
    try:
        found = quick_login.session_login(reads, cookie)
    except quick_login.ReadUnavailable:
        return optional_login(request, session)
    return None if found is None else Login(found.user, found.csrf_token)


def _error_page(request: Request, status_code: int, message: str) -> Response:
    context: dict[str, Any] = {"login": None, "user": None, "csrf_token": "", "notice": None}
    context.update(status=status_code, message=message)
    return templates.TemplateResponse(request, "error.html", context, status_code=status_code)


class PageRoute(APIRoute):
    """A route whose refusals are HTML pages: login form, 403, 404 — never JSON."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def page_handler(request: Request) -> Response:
            try:
                return await handler(request)
            except LoginRequired as missing:
                target = "/login?" + urlencode({"next": missing.next_path})
                return RedirectResponse(target, status_code=303)
            except PageRefusal as refusal:
                return _error_page(request, refusal.status_code, refusal.message)
            except ServiceError as refusal:
                return _error_page(request, refusal.status_code, refusal.message)
            except InputError as refusal:
                return _error_page(request, 422, str(refusal))
            except RequestValidationError:
                return _error_page(request, 404, "There is no such page.")
            except StarletteHTTPException as refusal:
                return _error_page(request, refusal.status_code, str(refusal.detail))

        return page_handler


def page_router() -> APIRouter:
    """A router for one group of pages: out of the OpenAPI document, refusals as pages."""
    return APIRouter(include_in_schema=False, route_class=PageRoute)


# ------------------------------------------------------------------ answers to forms


def redirect(path: str) -> RedirectResponse:
    """See other (303): where a form that succeeded sends the browser."""
    return RedirectResponse(path, status_code=303)


def start_session(request: Request, session: Session, user: User, target: str) -> Response:
    """Logs `user` in with a new session cookie and goes to `target`."""
    cookie, _csrf = auth.open_web_session(session, user)
    response = redirect(safe_next(target))
    set_session_cookie(response, cookie, secure=request.url.scheme == "https")
    return response


def refused(session: Session, form: Form, refusal: ServiceError | InputError) -> int:
    """Undoes the failed unit of work, puts the refusal beside its field; the status code."""
    session.rollback()
    form.refuse(refusal)
    return refusal.status_code if isinstance(refusal, ServiceError) else 422


T = TypeVar("T")


def attempt(
    session: Session, form: Form, action: Callable[[], T], *, ready: bool | None = None
) -> tuple[T | None, int]:
    """Runs a use case for a form: `(its result, 0)`, or `(None, status)` with the refusal
    beside its field. A missing record is not a form error: NotFound goes on up (404).
    `ready` says whether the form may be submitted (by default: it has no error)."""
    if form.failed if ready is None else not ready:
        return None, 422
    try:
        return action(), 0
    except (ServiceError, InputError) as refusal:
        if isinstance(refusal, NotFound):
            raise
        return None, refused(session, form, refusal)


def form_version(form: Form, *, required: bool = False) -> int | None:
    """The record version the form was opened at (None: not given, or refused)."""
    value = form.number("version", required=required, integer=True, low=1)
    return None if value is None else int(value)


def require(login: Login, *roles: str) -> None:
    """Refuses the page (403) to other roles."""
    if login.user.role not in roles:
        raise PageRefusal(403, f"Only {' or '.join(roles)} accounts may use this page.")
