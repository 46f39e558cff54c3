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
