"""`inocds serve --workers N`: the listening socket uvicorn binds for its workers must
give accepted connections TCP_NODELAY, as the single-process server's do.

Without it every answer after the first on a keep-alive connection waits for the
client's delayed acknowledgement (~40 ms; see entrypoints/serving.py and the p99 figure
of bench/http_bench.py). The control case shows the check can fail: a socket bound the
way uvicorn binds it (`socket.socket(family)`) gets no TCP_NODELAY from asyncio.
"""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from inocds.entrypoints.serving import _TcpConfig


async def _nodelay_of_accepted(listener: socket.socket) -> int:
    accepted: asyncio.Future[int] = asyncio.get_running_loop().create_future()

    def on_connect(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        sock = writer.get_extra_info("socket")
        accepted.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
        writer.close()

    server = await asyncio.start_server(on_connect, sock=listener)
    host, port = listener.getsockname()[:2]
    _, writer = await asyncio.open_connection(host, port)
    try:
        return await asyncio.wait_for(accepted, 5)
    finally:
        writer.close()
        server.close()
        await server.wait_closed()


def _run(listener: socket.socket) -> int:
    """On a loop of its own thread: an earlier test may leave this thread's loop running."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _nodelay_of_accepted(listener)).result(timeout=10)


def test_worker_listener_gives_accepted_connections_nodelay() -> None:
    listener = _TcpConfig(
        "inocds.entrypoints.api:create_app", host="127.0.0.1", port=0
    ).bind_socket()
    assert listener.proto == socket.IPPROTO_TCP
    assert listener.get_inheritable()  # handed to the worker processes
    assert _run(listener) != 0


def test_listener_bound_as_uvicorn_binds_it_lacks_nodelay_control() -> None:
    listener = socket.socket(family=socket.AF_INET)  # as uvicorn's Config.bind_socket
    listener.bind(("127.0.0.1", 0))
    assert listener.proto == 0
    assert _run(listener) == 0


def test_serve_writes_no_uvicorn_access_line_unless_asked() -> None:
    from inocds.entrypoints.cli import _parser

    assert _parser().parse_args(["serve"]).access_log is False
    assert _parser().parse_args(["serve", "--access-log"]).access_log is True


def test_served_app_answers_as_the_app_does(tmp_path: Any, monkeypatch: Any) -> None:
    """The served app (the stateless commands in front of FastAPI's wrappers) answers a
    contract command, a refusal and an ordinary route exactly as `create_app` does."""
    from fastapi.testclient import TestClient

    from inocds.entrypoints.api import create_app
    from inocds.entrypoints.serving import served_app

    monkeypatch.setenv("INOCDS_DATABASE_URL", f"sqlite:///{tmp_path / 'served.sqlite3'}")
    dose = {"height_cm": 180, "weight_kg": 80, "dose_mg_per_m2": 0.8}  # the contract example
    bad = {"height_cm": "tall"}
    with TestClient(served_app()) as served, TestClient(create_app()) as plain:
        for body in (dose, bad):
            one, two = served.post("/api/v1/dose", json=body), plain.post("/api/v1/dose", json=body)
            assert (one.status_code, one.content) == (two.status_code, two.content)
        assert served.post("/api/v1/dose", json=dose).status_code == 200
        assert served.post("/api/v1/dose", json=bad).status_code == 422
        health = served.get("/healthz")  # not a command: passed on to FastAPI
        assert health.status_code == 200 and health.json()["database"] == "sqlite"
