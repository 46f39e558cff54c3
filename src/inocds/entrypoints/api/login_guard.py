"""The login throttle in front of both logins (`POST /login`, `POST /api/v1/auth/token`).

An ASGI middleware, so that a refused attempt costs no password hash, no database
query and no worker thread: it reads the client address (uvicorn takes it from
`X-Forwarded-For` when the proxy is in `FORWARDED_ALLOW_IPS`) and the username of the
body, asks `services.login_throttle` whether to wait, and answers 429 with
`Retry-After` if so. Admitted attempts pass through at most `HASHING_SLOTS` at a time
(half the cores: argon2 is memory- and CPU-hungry, the other requests keep the rest);
the others wait in the event loop, holding no thread; past `MAX_WAITING` waiting ones
the answer is 503 with `Retry-After`. The outcome is read from the answer's status:
401 counts a failure; 200 (token) or 303 (the page's redirect) a success.
"""

from __future__ import annotations

import json
import os
from typing import Any
from urllib.parse import parse_qsl

import anyio
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from inocds.services.login_throttle import LoginThrottle

__all__ = ["HASHING_SLOTS", "LOGIN_PATHS", "MAX_WAITING", "LoginGuardMiddleware"]

LOGIN_PATHS = frozenset({"/login", "/api/v1/auth/token"})
HASHING_SLOTS = max(1, (os.cpu_count() or 2) // 2)  # half the cores at most hash passwords
MAX_WAITING = 32
_MAX_BODY = 16 * 1024
_SUCCESS = frozenset({200, 303})


def _username(body: bytes, content_type: str) -> str | None:
    """The `username` of a JSON or URL-encoded login body (None when there is none)."""
    try:
        if content_type.startswith("application/json"):
            document: Any = json.loads(body)
            value = document.get("username") if isinstance(document, dict) else None
        else:
            value = dict(parse_qsl(body.decode("utf-8"))).get("username")
    except (ValueError, UnicodeDecodeError):
        return None
    return value.strip().lower()[:80] if isinstance(value, str) else None


async def _answer(send: Send, status: int, message: str, retry_after: int, page: bool) -> None:
    if page:
        body = (
            "<!doctype html><html lang=en><meta charset=utf-8><title>Wait · inocds</title>"
            "<main><h1>Too many login attempts</h1><p>Wait "
            f"{retry_after} seconds, then <a href=/login>try again</a>.</p></main>"
        ).encode()
        kind = b"text/html; charset=utf-8"
    else:
        body = json.dumps({"errors": [{"field": "username", "message": message}]}).encode()
        kind = b"application/json"
    headers = [
        (b"content-type", kind),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", str(retry_after).encode()),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class LoginGuardMiddleware:
    """Throttles the two login routes before the password is hashed (see the module doc)."""

    def __init__(self, app: ASGIApp, throttle: LoginThrottle) -> None:
        self.app = app
        self.throttle = throttle
        self.slots = anyio.CapacityLimiter(HASHING_SLOTS)
        self.waiting = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in LOGIN_PATHS:
            await self.app(scope, receive, send)
            return
        page = scope["path"] == "/login"
        client = scope["client"][0] if scope.get("client") else "unknown"
        body, complete = await _read_body(receive)
        if not complete:
            await _answer(send, 413, "the login request is too large", 1, page)
            return
        headers = dict(scope.get("headers", ()))
        username = _username(body, headers.get(b"content-type", b"").decode("latin-1"))
        if wait := self.throttle.retry_after(client, username):
            await _answer(send, 429, f"too many login attempts; retry in {wait} s", wait, page)
            return
        if self.waiting >= MAX_WAITING:
            self.throttle.settle(client, username, None)
            await _answer(send, 503, "the service is busy with logins; retry shortly", 1, page)
            return
        await self._login(scope, body, send, client, username)

    async def _login(
        self, scope: Scope, body: bytes, send: Send, client: str, username: str | None
    ) -> None:
        status = 0

        async def replay() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        outcome: bool | None = None
        self.waiting += 1
        try:
            try:
                await self.slots.acquire()
            finally:
                self.waiting -= 1
            try:
                await self.app(scope, replay, watch)
            finally:
                self.slots.release()
            outcome = False if status == 401 else True if status in _SUCCESS else None
        finally:
            self.throttle.settle(client, username, outcome)


async def _read_body(receive: Receive) -> tuple[bytes, bool]:
    """The request body, and False when it is larger than a login needs."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > _MAX_BODY:
            return b"", False
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks), True
