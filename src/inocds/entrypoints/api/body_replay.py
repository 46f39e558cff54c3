"""A request body read by a middleware, handed to the app behind it once more.

The guard, the idempotency layer and the stored-assess layer each read the whole body
before deciding; the app behind them then receives it through `replaying`.
"""

from __future__ import annotations

from starlette.types import Message, Receive

__all__ = ["replaying"]


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives `body` as the one request message, then defers to `receive`
    (for the disconnect message the server sends later)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return dict(await receive())

    return replay
