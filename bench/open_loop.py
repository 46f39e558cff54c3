"""An open-loop HTTP/1.1 load at a fixed rate, for the p99 figures of http_bench.py.

Request i is due at start + i / rate whatever happened to the earlier ones, and its
latency counts from that planned moment, so a stalled server shows as queueing and is
not hidden (the "coordinated omission" of closed-loop tools). Keep-alive connections
are reused; a new one is opened when none is idle, up to `max_connections`.

A plain asyncio client on purpose: an httpx AsyncClient with hundreds of waiting
requests spends its time in its own pool bookkeeping (quadratic in the queue), which
on two shared cores measured the client rather than the server.
"""

from __future__ import annotations

import asyncio
import time
from urllib.parse import urlsplit

__all__ = ["fixed_rate"]

_Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def _request(url: str, body: bytes | None, headers: dict[str, str]) -> tuple[str, int, bytes]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    lines = [f"{'GET' if body is None else 'POST'} {path} HTTP/1.1", f"Host: {host}:{port}"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body is not None:
        lines.append(f"Content-Length: {len(body)}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return host, port, head + (body or b"")


async def _exchange(connection: _Connection, raw: bytes) -> int:
    """Sends one request on a keep-alive connection; the answer's status."""
    reader, writer = connection
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def fixed_rate(
    url: str,
    body: bytes | None,
    headers: dict[str, str],
    rate: float,
    seconds: float,
    max_connections: int = 64,
    timeout_s: float = 10.0,
) -> tuple[list[float], int]:
    """Latencies in ms (from each request's planned time) and the number of errors."""
    host, port, raw = _request(url, body, headers)
    idle: list[_Connection] = []
    opened = 0
    free = asyncio.Condition()
    latencies: list[float] = []
    errors = 0

    async def take() -> _Connection:
        nonlocal opened
        async with free:
            while not idle and opened >= max_connections:
                await free.wait()
            if idle:
                return idle.pop()
            opened += 1
        return await asyncio.open_connection(host, port)

    async def give(connection: _Connection | None) -> None:
        nonlocal opened
        async with free:
            if connection is None:
                opened -= 1
            else:
                idle.append(connection)
            free.notify()

    async def one(planned: float) -> None:
        nonlocal errors
        connection: _Connection | None = None
        try:
            connection = await asyncio.wait_for(take(), timeout_s)
            status = await asyncio.wait_for(_exchange(connection, raw), timeout_s)
            if not 200 <= status < 300:
                errors += 1
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError):
            errors += 1
            if connection is not None:
                connection[1].close()
            connection = None
        latencies.append((time.perf_counter() - planned) * 1000)
        await give(connection)

    tasks = []
    start = time.perf_counter() + 0.05
    for i in range(int(rate * seconds)):
        planned = start + i / rate
        await asyncio.sleep(max(0.0, planned - time.perf_counter()))
        tasks.append(asyncio.create_task(one(planned)))
    await asyncio.gather(*tasks)
    for _, writer in idle:
        writer.close()
    return latencies, errors
