"""The contract's stateless commands as a bare ASGI layer: `POST /api/v1/<command>`.

These answers need no login, no database and no idempotency record, so the request
goes straight from the socket to the clinical command: read the body (bounded), parse
it within the JSON limits the CLI applies (`clinical.json_limits`), run the command,
write the answer (orjson) with the security headers every answer carries. Everything
else passes on to the application unchanged. The routes stay in the OpenAPI document
(calculations_router); this layer only answers them first. Measured in
bench/http_bench.py: FastAPI's routing, dependency resolution and the middleware stack
cost more than a small `assess`.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from inocds.clinical.json_limits import MAX_BYTES, loads
from inocds.clinical.validation import InputError
from inocds.entrypoints.api.security import BASE_HEADERS, CONTENT_SECURITY_POLICY
from inocds.services.commands import COMMANDS, run_command

__all__ = ["ContractFastPath"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_PREFIX = "/api/v1/"
_HEADERS = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    *BASE_HEADERS,
]
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_log = logging.getLogger("inocds.errors")


class _TooLarge(Exception):
    pass


def _errors(field: str, message: str) -> bytes:
    return orjson.dumps({"errors": [{"field": field, "message": message}]})


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BYTES:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _decide(name: str, raw: bytes) -> tuple[int, bytes]:
    """The command's answer (200), its named refusal (422), or a logged failure (500)."""
    try:
        return 200, orjson.dumps(run_command(name, loads(raw, fast=True)))
    except InputError as error:
        return 422, orjson.dumps(error.to_dict())
    except Exception:  # a defect of ours: logged with its traceback, answered without it
        reference = secrets.token_hex(4)
        _log.exception("POST /api/v1/%s failed (reference %s)", name, reference)
        return 500, _errors("(server)", f"the server failed on this request (ref {reference})")


class ContractFastPath:
    """Answers `POST /api/v1/<contract command>`; passes every other request on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path: str = scope.get("path", "")
        name = path[len(_PREFIX) :] if path.startswith(_PREFIX) else ""
        if scope["type"] != "http" or scope["method"] != "POST" or name not in COMMANDS:
            await self.app(scope, receive, send)
            return
        try:
            status, payload = _decide(name, await _read_body(receive))
        except _TooLarge:
            status, payload = 413, _errors("(body)", f"larger than {MAX_BYTES} bytes")
        # Decided on the event loop, as the FastAPI route did: a thread hop buys nothing
        # under the GIL for a computation of a few milliseconds.
        headers = [*_HEADERS, (b"content-length", str(len(payload)).encode())]
        if scope.get("scheme") == "https":
            headers.append(_HSTS)
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})
