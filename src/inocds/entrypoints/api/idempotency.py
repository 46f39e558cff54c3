"""The HTTP shell of idempotency keys: a pure ASGI middleware on POST /api/v1/….

A middleware rather than a dependency, so every POST route is covered without
opting in, and so the answer can be captured after the handler. The rules are in
`inocds.services.idempotency`. A replayed answer carries `Idempotent-Replayed: true`.

The user is identified here, before the route runs: by bearer token, or by session
cookie together with its `X-CSRF-Token` header. A request that identifies nobody is
passed on untouched (the route answers 401 or 403) and nothing is recorded. A
concurrent duplicate waits (up to `wait_s`) for the first request's answer.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from inocds.entrypoints.api.body_replay import replaying
from inocds.entrypoints.api.deps import CSRF_HEADER, SESSION_COOKIE
from inocds.services import idempotency
from inocds.services.database import transaction
from inocds.services.idempotency import Pending, StoredAnswer

__all__ = ["HEADER", "IdempotencyMiddleware"]

HEADER = "Idempotency-Key"
_log = logging.getLogger(__name__)
REPLAYED_HEADER = "Idempotent-Replayed"

Message = MutableMapping[str, Any]


@dataclass
class _Captured:
    """A response held back until its answer is stored."""

    start: Message | None = None
    chunks: list[bytes] = field(default_factory=list)

    async def send(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.start = message
        elif message["type"] == "http.response.body":
            self.chunks.append(message.get("body", b""))

    @property
    def status(self) -> int:
        return int(self.start["status"]) if self.start else 500

    def json_body(self) -> Any:
        headers = Headers(raw=self.start["headers"]) if self.start else Headers()
        if not headers.get("content-type", "").startswith("application/json"):
            return None
        try:
            return json.loads(b"".join(self.chunks))
        except ValueError:
            return None

    async def replay(self, send: Send) -> None:
        assert self.start is not None
        await send(self.start)
        await send({"type": "http.response.body", "body": b"".join(self.chunks)})


async def _send_json(send: Send, status: int, body: Any, extra: dict[str, str]) -> None:
    payload = b"" if body is None else json.dumps(body).encode("utf-8")
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(payload))]
    headers += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _error(message: str) -> dict[str, Any]:
    return {"errors": [{"field": HEADER, "message": message}]}


class IdempotencyMiddleware:
    """Records a POST with `Idempotency-Key` once per (user, key); replays it on retry."""

    def __init__(
        self, app: ASGIApp, prefix: str = "/api/v1/", wait_s: float = 30.0, poll_s: float = 0.05
    ) -> None:
        self.app = app
        self.prefix = prefix
        self.wait_s = wait_s
        self.poll_s = poll_s
        idempotency.install_flush_hook()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        key = headers.get(HEADER)
        if key is None:
            await self.app(scope, receive, send)
            return
        body, replay_receive = await _buffer_body(receive)
        factory = scope["app"].state.session_factory
        user_id = await run_in_threadpool(_identify, factory, headers)
        if user_id is None:  # not logged in: the route answers 401 (nothing is recorded)
            await self.app(scope, replay_receive, send)
            return
        problem = idempotency.key_problem(key)
        if problem is not None:
            await _send_json(send, 422, _error(problem), {})
            return
        query = scope.get("query_string", b"").decode("latin-1")
        fingerprint = idempotency.request_fingerprint("POST", scope["path"], query, body)
        if await self._answer_from_store(factory, user_id, key, fingerprint, send):
            return
        pending = Pending(user_id, key, fingerprint, "POST", scope["path"])
        captured = _Captured()
        failure: Exception | None = None
        token = idempotency.activate(pending)
        try:
            await self.app(scope, replay_receive, captured.send)
        except Exception as error:
            failure = error
        finally:
            idempotency.deactivate(token)
        if failure is not None:
            if await self._answer_from_store(factory, user_id, key, fingerprint, send):
                return  # a concurrent duplicate won; this attempt rolled back
            raise failure
        status, answer = captured.status, captured.json_body()
        try:
            stored = await run_in_threadpool(_complete, factory, pending, status, answer)
        except Exception:  # the answer is right but not stored: a retry will get 409
            _log.exception("could not store the answer of Idempotency-Key %r", key)
            stored = True
        if stored:
            await captured.replay(send)
            return
        if await self._answer_from_store(factory, user_id, key, fingerprint, send):
            return  # a concurrent duplicate won; this attempt wrote nothing
        await captured.replay(send)

    async def _answer_from_store(
        self, factory: Any, user_id: int, key: str, fingerprint: str, send: Send
    ) -> bool:
        """Answers from the stored row of (user, key) if there is one; False if there is none."""
        stored = await run_in_threadpool(_find, factory, user_id, key)
        if stored is None:
            return False
        if stored.fingerprint != fingerprint:
            message = "already used for a different request; use a new key for a new request"
            await _send_json(send, 422, _error(message), {})
            return True
        waited = 0.0
        while stored.pending_here and waited < self.wait_s:
            await anyio.sleep(self.poll_s)
            waited += self.poll_s
            stored = await run_in_threadpool(_find, factory, user_id, key) or stored
        if not stored.finished:
            message = (
                "the first request with this key was applied, but its answer is not stored "
                "(the server stopped, or another server process is still answering it); "
                "look the result up instead of retrying"
            )
            await _send_json(send, 409, _error(message), {})
            return True
        await _send_json(send, stored.status_code, stored.body, {REPLAYED_HEADER: "true"})
        return True


async def _buffer_body(receive: Receive) -> tuple[bytes, Callable[[], Awaitable[Message]]]:
    """The whole request body, and a `receive` that hands it to the app again."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    body = b"".join(chunks)
    return body, replaying(body, receive)


def _identify(factory: Any, headers: Headers) -> int | None:
    scheme, _, token = headers.get("authorization", "").partition(" ")
    bearer = token.strip() if scheme.lower() == "bearer" else None
    cookies = _cookies(headers.get("cookie", ""))
    with transaction(factory) as session:
        return idempotency.user_id_for(
            session, bearer, cookies.get(SESSION_COOKIE), headers.get(CSRF_HEADER)
        )


def _cookies(header: str) -> dict[str, str]:
    from starlette.requests import cookie_parser

    return cookie_parser(header)


def _find(factory: Any, user_id: int, key: str) -> StoredAnswer | None:
    with transaction(factory) as session:
        return idempotency.find(session, user_id, key)


def _complete(factory: Any, pending: Pending, status: int, body: Any) -> bool:
    with transaction(factory) as session:
        return idempotency.complete(session, pending, status, body)
