"""The contract's stateless commands as a bare ASGI layer: `POST /api/v1/<command>`.

These answers need no login, no database and no idempotency record, so the request
goes straight from the socket to the clinical command: read the body (bounded), parse
it (orjson), run the command, write the answer. Everything else passes on to the
application unchanged. The routes stay in the OpenAPI document (calculations_router);
this layer only answers them first. Profiled in bench/http_bench.py: FastAPI's routing,
dependency resolution and the middleware stack cost more than a small `assess`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

import orjson

from inocds.clinical.validation import InputError
from inocds.services.commands import COMMANDS, run_command

__all__ = ["MAX_BODY_BYTES", "ContractFastPath", "parse_json_body"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

MAX_BODY_BYTES = 1_000_000
"""A course document of 6 cycles is about 6 kB; a megabyte is far beyond any real one."""

_PREFIX = "/api/v1/"
_SECURITY_HEADERS = [
    (b"content-type", b"application/json"),
    (b"x-content-type-options", b"nosniff"),
    (b"cache-control", b"no-store"),
]
_log = logging.getLogger(__name__)


class _TooLarge(Exception):
    pass


def parse_json_body(raw: bytes) -> Any:
    """The parsed body, or InputError naming `(body)`.

    orjson first (fast); what it refuses goes to the standard parser, which the CLI uses,
    so both transports agree: NaN and Infinity parse there and the validator then names
    the field; nesting too deep or an integer too long is refused as bad JSON.
    """
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as error:
        raise InputError.single("(body)", f"not valid JSON: {error}") from None


def _answer(document: Any) -> bytes:
    return orjson.dumps(document)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            raise _TooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _send(send: Send, status: int, payload: bytes) -> None:
    headers = [*_SECURITY_HEADERS, (b"content-length", str(len(payload)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def _decide(name: str, raw: bytes) -> tuple[int, bytes]:
    try:
        return 200, _answer(run_command(name, parse_json_body(raw)))
    except InputError as error:
        return 422, _answer(error.to_dict())
    except Exception:  # a defect of ours: logged with its traceback, answered without it
        _log.exception("POST /api/v1/%s failed", name)
        message = "the server failed on this request; it has been logged"
        return 500, _answer({"errors": [{"field": "(server)", "message": message}]})


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
            raw = await _read_body(receive)
        except _TooLarge:
            message = f"the body is over {MAX_BODY_BYTES} bytes"
            await _send(send, 413, _answer({"errors": [{"field": "(body)", "message": message}]}))
            return
        # Decided on the event loop, as the FastAPI route did: a thread hop buys nothing
        # under the GIL for a computation of a few milliseconds.
        status, payload = _decide(name, raw)
        await _send(send, status, payload)
