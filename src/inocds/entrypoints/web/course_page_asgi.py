"""`GET /courses/{id}` for a logged-in browser, answered in front of FastAPI's routing.

Through the route, the course page paid for the router's matching, FastAPI's request
handling and dependency solving (path and query parameters), the page route's wrapper
and a trip through anyio's thread pool; the stored assess, answered in front of the
routing (`api/stored_assess_asgi.py`), paid for none of them. This layer sits innermost,
inside every middleware (request guard, security headers and CSP, login throttle, access
log, idempotency, retry), so what those add to an answer is the same whether it or the
route answered. (The stored assess, a bearer-token JSON read, later moved in front of the
stack and adds the stack's headers and access-log entry itself; a browser page with its
cookie, session and CSRF token stays inside.)

It answers the plain case alone, with the route's own code: a GET of `/courses/<id>`
(an id written as the route would print it) with a session cookie whose session is open,
unexpired and of an active user, read on the quick-read pool (`kit.quick_page`); then
`pages.courses.course_view_work`, the route's work, in one unit of work, in a plain
thread pool. Anything else passes the request on, untouched, to the route, whose answer
is the page's: no or an ended session (the login form), another method, another path, a
test's own unit of work, a failed read, and every refusal of the work (no such course,
a role that may not read it, no measurement: 404, 403 …) or any other exception, after
which the route does the same work again and answers as it always did.

The access log: the work runs with a read set of its own, added to the request's set only
when this layer answers, so a request handed on is recorded by the route alone (the set
holds distinct (user, patient) pairs: the same read noted twice is one entry anyway).
`app.state.course_page_fast = False` turns the layer off (the tests compare both).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from inocds.clinical.validation import InputError
from inocds.entrypoints.web.kit import LoginRequired, PageRefusal, quick_page
from inocds.entrypoints.web.pages.courses import course_view_work
from inocds.services.access_log import RequestReads, current_reads
from inocds.services.course_snapshot import READ_THREADS
from inocds.services.errors import ServiceError

__all__ = ["CoursePageFastPath"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PATH = re.compile(r"/courses/([1-9][0-9]{0,9})")
_REFUSALS = (ServiceError, InputError, PageRefusal, LoginRequired)
_log = logging.getLogger("inocds.errors")
_THREADS = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="inocds-page")
"""The threads that read and render the page (a plain executor: about half the cost of a
trip through anyio's thread pool; its reads are on the quick-read pool and in a unit of
work of the main pool, so a few threads are enough)."""


def _page(request: Request, course_id: int) -> Response | None:
    """The page as the route makes it, or None when the route should answer."""
    work = course_view_work(request, course_id, request.query_params.get("on"))
    try:
        return quick_page(request, work)
    except _REFUSALS:
        return None  # the route refuses it, with its page
    except Exception:
        _log.warning("course page shortcut failed; the route answers", exc_info=True)
        return None


async def _answered(request: Request, course_id: int) -> Response | None:
    """The page made in a thread with a read set of its own (kept only on success)."""
    outer = current_reads.get()
    trial = RequestReads(outer.writer, outer.action) if outer is not None else None
    context = contextvars.copy_context()
    context.run(current_reads.set, trial)
    call = functools.partial(context.run, _page, request, course_id)
    response = await asyncio.get_running_loop().run_in_executor(_THREADS, call)
    if response is not None and outer is not None and trial is not None:
        outer.pairs |= trial.pairs
    return response


class CoursePageFastPath:
    """Answers a logged-in GET of the course page; passes every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.fullmatch(scope.get("path", "")) if scope["type"] == "http" else None
        app = scope.get("app")
        response = None
        if (
            match is not None
            and scope["method"] == "GET"
            and getattr(getattr(app, "state", None), "course_page_fast", True)
        ):
            response = await _answered(Request(scope, receive), int(match.group(1)))
        if response is None:
            await self.app(scope, receive, send)
            return
        await response(scope, receive, send)
