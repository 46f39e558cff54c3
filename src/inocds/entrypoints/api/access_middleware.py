"""Opens each request's read set for the access log and hands it over when the request ends.

See `services/access_log.py`: the services note which patient a request read; this
ASGI middleware gives the request its set (a context variable, which worker threads
see) and, after the answer is sent, queues the reads for the background writer.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from inocds.services.access_log import AccessLogWriter, RequestReads, current_reads

__all__ = ["AccessLogMiddleware"]


class AccessLogMiddleware:
    """Collects the patient reads of each HTTP request for the access log."""

    def __init__(self, app: ASGIApp, writer: AccessLogWriter) -> None:
        self.app = app
        self.writer = writer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        reads = RequestReads(self.writer, f"{scope['method']} {scope['path']}"[:200])
        token = current_reads.set(reads)
        try:
            await self.app(scope, receive, send)
        finally:
            current_reads.reset(token)
            reads.hand_over()
