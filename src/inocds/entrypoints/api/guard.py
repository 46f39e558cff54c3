"""Two ASGI guards: bad requests stopped at the door, database trouble never a 500.

`RequestGuard` (outermost) refuses, before anything reads them:
- a body over `MAX_BYTES` (413), a JSON body nested too deep, with an integer literal
  too long, NaN or a control character in any string (422), a form field with a
  control character (422), a path or query with one (422);
- an id in the path beyond the database's integer range (404: there is no such row;
  PostgreSQL's INTEGER ends at 2^31 - 1, the smaller of the two backends).
It also answers any exception that escapes the application as a JSON error, logged
with a reference, never a traceback (500 for a bug; 503/409 for database trouble).

`RetryGuard` (innermost, around the routes) re-runs a request whose transaction failed
for a passing reason — `database is locked`, a deadlock, a serialisation failure, a
unique index that a concurrent writer took first — up to `ATTEMPTS` times with a short
random back-off. Each attempt is one transaction that rolled back whole, so a retry
repeats nothing. Still failing: 503 with Retry-After (409 for a unique index).
"""

from __future__ import annotations

import json
import logging
import random
import re
import secrets
from collections.abc import MutableMapping
from typing import Any
from urllib.parse import parse_qsl, unquote

import anyio
from starlette.types import ASGIApp, Receive, Scope, Send

from inocds.clinical.json_limits import MAX_BYTES, has_control_characters, loads
from inocds.clinical.validation import InputError
from inocds.entrypoints.api.body_replay import replaying
from inocds.services.database import database_failure, is_passing

__all__ = ["ATTEMPTS", "MAX_ROW_ID", "RequestGuard", "RetryGuard", "classify"]

_log = logging.getLogger("inocds.errors")
Message = MutableMapping[str, Any]

ATTEMPTS = 4
"""A transaction that failed for a passing reason is tried this many times in all."""
MAX_ROW_ID = 2**31 - 1
"""The largest id either backend stores (PostgreSQL INTEGER); beyond it nothing is found."""
_RETRY_AFTER_S = "1"
_UNSAFE = {"POST", "PUT", "PATCH", "DELETE"}
_DIGITS = re.compile(r"[0-9]+")


def _errors(field: str, message: str) -> dict[str, Any]:
    return {"errors": [{"field": field, "message": message}]}


async def _send_json(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    payload = json.dumps(body).encode("utf-8")
    raw = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def classify(error: BaseException) -> tuple[int, dict[str, Any], dict[str, str]]:
    """The answer to an exception that escaped the application: status, body, headers."""
    failure = database_failure(error)
    if failure == "conflict":
        message = "the record was changed by another request at the same time; reload it"
        return 409, _errors("(request)", message), {}
    if failure == "busy":
        message = "the database is busy; try again in a moment"
        return 503, _errors("(service)", message), {"Retry-After": _RETRY_AFTER_S}
    if failure == "out_of_range" or isinstance(error, OverflowError):
        message = "a value is outside what the database stores"
        return 422, _errors("(request)", message), {}
    if failure == "unavailable":
        message = "the database is unavailable; try again later"
        return 503, _errors("(service)", message), {"Retry-After": "5"}
    reference = secrets.token_hex(4)
    _log.error("unexpected error (reference %s)", reference, exc_info=error)
    message = f"internal error; it was logged with reference {reference}"
    return 500, _errors("(internal)", message), {}


async def _read_body(receive: Receive, limit: int) -> bytes | None:
    """The whole body, or None once it passes `limit` bytes."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _path_problem(scope: Scope) -> tuple[int, dict[str, Any]] | None:
    path = scope.get("path", "")
    query = scope.get("query_string", b"").decode("latin-1")
    if has_control_characters(path) or has_control_characters(unquote(query)):
        return 422, _errors("(request)", "the address contains a control character")
    for part in path.split("/"):
        if _DIGITS.fullmatch(part) and (len(part) > 12 or int(part) > MAX_ROW_ID):
            return 404, _errors("(path)", f"no record with id {part[:20]}")
    return None


def _body_problem(scope: Scope, body: bytes) -> list[dict[str, str]] | None:
    headers = dict(scope.get("headers", []))
    content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
    if content_type.startswith("application/x-www-form-urlencoded"):
        fields = parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True)
        bad = [name for name, value in fields if has_control_characters(name + value)]
        return [{"field": n, "message": "must not contain control characters"} for n in bad]
    if not body.strip() or content_type.startswith("multipart/"):
        return None
    if not scope.get("path", "").startswith("/api/"):
        return None
    try:
        loads(body, fast=True)  # orjson where it answers as the stdlib path would
    except InputError as error:
        return [e.to_dict() for e in error.errors]
    return None


class RequestGuard:
    """Refuses oversized, hostile or out-of-range requests; answers escaped errors as JSON.

    At most `max_in_flight` requests run at once (the database pool's size): the others
    wait here, holding neither a thread nor a connection. Without the bound, handlers
    waiting in threads for a connection starve the requests that hold one.
    """

    def __init__(self, app: ASGIApp, max_bytes: int = MAX_BYTES, max_in_flight: int = 20) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.max_in_flight = max_in_flight
        self._slots: anyio.Semaphore | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self._slots is None:
            self._slots = anyio.Semaphore(self.max_in_flight)
        async with self._slots:
            await self._guarded(scope, receive, send)

    async def _guarded(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self._checked(scope, receive, tracking)
        except Exception as error:
            status, body_json, headers = classify(error)
            if status != 500:
                _log.warning(
                    "answered %d to %s %s: %r", status, scope["method"], scope["path"], error
                )
            if started:  # too late for an answer: the client sees the connection close
                _log.error("error after the answer started", exc_info=error)
                return
            await _send_json(send, status, body_json, headers)

    async def _checked(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = _path_problem(scope)
        if problem is not None:
            await _send_json(send, problem[0], problem[1], {})
            return
        if scope["method"] in _UNSAFE:
            body = await _read_body(receive, self.max_bytes)
            if body is None:
                message = f"the body is larger than {self.max_bytes} bytes"
                await _send_json(send, 413, _errors("(body)", message), {})
                return
            bad = _body_problem(scope, body)
            if bad:
                await _send_json(send, 422, {"errors": bad}, {})
                return
            receive = replaying(body, receive)
        await self.app(scope, receive, send)


class RetryGuard:
    """Re-runs a request whose transaction failed for a passing reason (see module doc)."""

    def __init__(self, app: ASGIApp, attempts: int = ATTEMPTS) -> None:
        self.app = app
        self.attempts = attempts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive, 2**62) if scope["method"] in _UNSAFE else b""
        for attempt in range(1, self.attempts + 1):
            started = False

            async def tracking(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            try:
                await self.app(scope, replaying(body or b"", receive), tracking)
                return
            except Exception as error:
                if started or not is_passing(error) or attempt == self.attempts:
                    raise
                _log.info("attempt %d of %s %s: %s", attempt, scope["method"], scope["path"], error)
                await anyio.sleep(random.uniform(0.01, 0.05) * attempt)
