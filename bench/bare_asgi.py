"""The floor of the HTTP figures: a bare ASGI app on the same uvicorn.

It reads the whole JSON body, parses it and answers a small JSON document, which is
the least any JSON endpoint does. `bench/http_bench.py` serves it with
`uvicorn bare_asgi:app` next to `inocds serve` and divides their throughputs.
"""

from __future__ import annotations

import json
from typing import Any

_ANSWER = json.dumps({"action": "give", "reasons": []}).encode()
_HEADERS = [
    (b"content-type", b"application/json"),
    (b"content-length", str(len(_ANSWER)).encode()),
]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Reads the body, parses it as JSON, answers a fixed small document."""
    if scope["type"] != "http":
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
        return
    body = b""
    more = True
    while more:
        message = await receive()
        body += message.get("body", b"")
        more = message.get("more_body", False)
    json.loads(body or b"{}")
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _ANSWER})
