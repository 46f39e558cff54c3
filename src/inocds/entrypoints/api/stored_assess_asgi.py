"""`POST /api/v1/courses/{id}/assess` with a bearer token, answered in one step.

The route in courses_router.py resolves five dependencies (session, CSRF form field,
user, role guard, clock), each sync one in its own trip to the thread pool, and the
session's exit in two more; profiled under wrk (NOTES.md, round 2 session 9), that and
the router's matching cost more than the engine. This layer sits innermost, inside
every middleware (request guard, security headers, access log, idempotency, retry), and
answers the plain case itself: a bearer token, a JSON body that `DayFlags` accepts, no
`Idempotency-Key`. One trip to the thread pool runs one unit of work
(`course_snapshot.assess_for_token`: token, user, role, course and document in one
query when the course version was parsed before).

Only a decision is answered here. Anything else — no or another credential, an unknown,
revoked or expired token, a role that may not assess, no such course, a bad body, a
document the engine refuses — passes the request on, body included, to the ordinary
route, whose answer (401, 403, 404, 422 with every bad field) is the contract's.
"""

from __future__ import annotations

import asyncio
import contextvars
import datetime as dt
import functools
import logging
import re
from collections.abc import Awaitable, Callable, MutableMapping
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import orjson

from inocds.entrypoints.api.body_replay import replaying
from inocds.entrypoints.api.clock import today as clock_today
from inocds.entrypoints.api.courses_router import DayFlags
from inocds.services.course_snapshot import READ_THREADS, assess_for_token

__all__ = ["StoredAssessFastPath"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PATH = re.compile(r"/api/v1/courses/([1-9][0-9]{0,9})/assess")
_log = logging.getLogger("inocds.errors")
_MAX_BYTES = 64 * 1024  # the day's statements: a few hundred bytes; larger goes the long way
_THREADS = ThreadPoolExecutor(max_workers=READ_THREADS, thread_name_prefix="inocds-stored")
"""The threads that read and decide (a plain executor: half the cost of a trip through
anyio's thread pool; a few threads overlap the database's round trips, and never want
more connections than the read pool holds)."""


def _header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key == name:
            return bytes(value)
    return None


def _bearer(scope: Scope) -> str | None:
    """The bearer token of a request that logs in with one and nothing that changes the
    answer's handling (idempotency record), else None."""
    if _header(scope, b"idempotency-key") is not None:
        return None
    content_type = _header(scope, b"content-type") or b""
    if not content_type.lower().startswith(b"application/json"):
        return None
    authorization = (_header(scope, b"authorization") or b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def _read_body(receive: Receive) -> bytes:
    """The whole body (the request guard outside has bounded it already)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


def _flags(body: bytes) -> tuple[dt.date | None, dict[str, Any]] | None:
    """The day and the flags, as the route reads them; None for a body it would refuse."""
    try:
        parsed = DayFlags.model_validate(orjson.loads(body))
    except ValueError:  # orjson.JSONDecodeError and pydantic's ValidationError
        return None
    return parsed.date, parsed.model_dump(exclude={"date"}, exclude_none=True)


def _today(scope: Scope) -> dt.date:
    """Today from the app's clock (tests override it as they do for the routes)."""
    app = scope.get("app")
    overrides = getattr(app, "dependency_overrides", {}) if app is not None else {}
    day: dt.date = overrides.get(clock_today, clock_today)()
    return day


async def _decided(
    reads: Any, token: str, course_id: int, on: dt.date, flags: dict[str, Any]
) -> dict[str, Any] | None:
    """The decision, or None; a defect of this shortcut is logged and the ordinary route
    answers (never a 500 from here)."""
    context = contextvars.copy_context()  # the request's access-log set goes along
    call = functools.partial(context.run, assess_for_token, reads, token, course_id, on, flags)
    try:
        return await asyncio.get_running_loop().run_in_executor(_THREADS, call)
    except Exception:
        _log.exception("stored assess shortcut failed; the ordinary route answers")
        return None


class StoredAssessFastPath:
    """Answers a plain bearer-token stored assess; passes every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.fullmatch(scope.get("path", "")) if scope["type"] == "http" else None
        token = _bearer(scope) if match is not None and scope["method"] == "POST" else None
        if match is None or token is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        answer = None
        read = _flags(body) if len(body) <= _MAX_BYTES else None
        reads = getattr(getattr(scope.get("app"), "state", None), "stored_reads", None)
        if read is not None and reads is not None:
            day, flags = read
            course_id = int(match.group(1))
            on = day or _today(scope)
            answer = await _decided(reads, token, course_id, on, flags)
        if answer is None:
            await self.app(scope, replaying(body, receive), send)
            return
        payload = orjson.dumps(answer)
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", b"%d" % len(payload)),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
