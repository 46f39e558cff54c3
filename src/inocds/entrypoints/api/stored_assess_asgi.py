"""`POST /api/v1/courses/{id}/assess` with a bearer token, answered in one step.

The route in courses_router.py resolves five dependencies (session, CSRF form field,
user, role guard, clock), each sync one in its own trip to the thread pool, and the
session's exit in two more; profiled under wrk (NOTES.md, round 2 session 9), that and
the router's matching cost more than the engine. Then the request stack (request guard,
security headers, login throttle, access log, idempotency, retry) cost about a fifth of
a stored assess (session 11). So this layer sits in front of the stack, beside the
stateless commands' `ContractFastPath`, and answers the plain case itself: a bearer
token, no query, a JSON body of a declared length within `_MAX_BYTES` that the request
guard would pass (`json_limits.loads`, as `RequestGuard` reads it) and that `DayFlags`
accepts, a course id the database can hold, no `Idempotency-Key`. One trip to a thread
runs one unit of work (`course_snapshot.assess_for_token`: token, user, role, course and
document in one query when the course version was parsed before).

What the stack would have added, it adds itself, from the same code: the security
headers (`security.added_headers`, with the app's policy) and the access-log entry of
the read (a read set of its own, handed to the writer once the answer is sent; nothing
is recorded for a request it hands on, the route records that one). A bearer request is
never refused as cross-site, the login throttle only guards the logins, and a read needs
no retry: on any failure the request goes the long way.

Only a decision is answered here. Anything else — no or another credential, an unknown,
revoked or expired token, a role that may not assess, no such course, a bad body, a
document the engine refuses, any failure of this layer — passes the request on, body
included, to the stack and the ordinary route, whose answer (401, 403, 404, 422 with
every bad field) is the contract's.
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

from inocds.clinical.json_limits import loads
from inocds.clinical.validation import InputError
from inocds.entrypoints.api.body_replay import replaying
from inocds.entrypoints.api.clock import today as clock_today
from inocds.entrypoints.api.courses_router import DayFlags
from inocds.entrypoints.api.guard import MAX_ROW_ID
from inocds.entrypoints.api.security import added_headers
from inocds.services.access_log import RequestReads, current_reads
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
    """The bearer token of a plain request (module doc), else None."""
    if _header(scope, b"idempotency-key") is not None or scope.get("query_string"):
        return None
    length = _header(scope, b"content-length")
    if length is None or not length.isdigit() or int(length) > _MAX_BYTES:
        return None
    content_type = _header(scope, b"content-type") or b""
    if not content_type.lower().startswith(b"application/json"):
        return None
    authorization = (_header(scope, b"authorization") or b"").decode("latin-1")
    scheme, _, token = authorization.partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


async def _read_body(receive: Receive) -> bytes:
    """The whole body (of a declared length within _MAX_BYTES: the server reads no more)."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if message["type"] != "http.request" or not message.get("more_body", False):
            return b"".join(chunks)


def _flags(body: bytes) -> tuple[dt.date | None, dict[str, Any]] | None:
    """The day and the flags, as the route reads them; None for a body it would refuse."""
    try:
        parsed = DayFlags.model_validate(loads(body, fast=True))
    except (InputError, ValueError):  # the guard's refusals; pydantic's ValidationError
        return None
    return parsed.date, parsed.model_dump(exclude={"date"}, exclude_none=True)


def _today(app: Any) -> dt.date:
    """Today from the app's clock (tests override it as they do for the routes)."""
    overrides = getattr(app, "dependency_overrides", {})
    day: dt.date = overrides.get(clock_today, clock_today)()
    return day


async def _decided(
    reads: Any,
    token: str,
    course_id: int,
    on: dt.date,
    flags: dict[str, Any],
    trial: RequestReads,
) -> dict[str, Any] | None:
    """The decision, or None; a defect of this shortcut is logged and the ordinary route
    answers (never a 500 from here). The read is noted in `trial`."""
    context = contextvars.copy_context()
    context.run(current_reads.set, trial)
    call = functools.partial(context.run, assess_for_token, reads, token, course_id, on, flags)
    try:
        return await asyncio.get_running_loop().run_in_executor(_THREADS, call)
    except Exception:
        _log.exception("stored assess shortcut failed; the ordinary route answers")
        return None


class StoredAssessFastPath:
    """Answers a plain bearer-token stored assess; passes every other request on.

    `owner` is the FastAPI app whose state (read pool, access log, policy) and clock it
    reads; None when the layer is one of that app's own middleware (`scope["app"]`)."""

    def __init__(self, app: ASGIApp, owner: Any = None) -> None:
        self.app = app
        self.owner = owner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        match = _PATH.fullmatch(scope.get("path", "")) if scope["type"] == "http" else None
        token = _bearer(scope) if match is not None and scope["method"] == "POST" else None
        if match is None or token is None or int(match.group(1)) > MAX_ROW_ID:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        owner: Any = self.owner if self.owner is not None else scope.get("app")
        try:
            answered = await self._answer(scope, owner, token, int(match.group(1)), body)
        except Exception:
            _log.exception("stored assess shortcut failed; the ordinary route answers")
            answered = None
        if answered is None:
            await self.app(scope, replaying(body, receive), send)
            return
        payload, trial = answered
        headers = [  # in the route's order (Starlette's JSON response)
            (b"content-length", b"%d" % len(payload)),
            (b"content-type", b"application/json"),
            *added_headers(scope, owner.state.content_security_policy),
        ]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
        trial.hand_over()

    async def _answer(
        self, scope: Scope, owner: Any, token: str, course_id: int, body: bytes
    ) -> tuple[bytes, RequestReads] | None:
        """The answer's body and the read it made, or None (the route answers)."""
        state: Any = getattr(owner, "state", None)
        reads = getattr(state, "stored_reads", None)
        read = _flags(body)
        if read is None or reads is None:
            return None
        day, flags = read
        trial = RequestReads(state.access_log, f"{scope['method']} {scope['path']}"[:200])
        answer = await _decided(reads, token, course_id, day or _today(owner), flags, trial)
        return None if answer is None else (orjson.dumps(answer), trial)
