"""`inocds serve`: the HTTP service on uvicorn, one process or N behind one port.

Two choices differ from uvicorn's defaults, each measured in bench/http_bench.py:

- **No per-request line on stderr** unless `--access-log` asks for it. Reads of patient
  data are recorded in the application's own access log (`GET /api/v1/audit/access`)
  and writes in the audit trail; uvicorn's line repeated neither and cost about a tenth
  of a small `assess`.
- **TCP_NODELAY with several workers.** For `--workers N` uvicorn binds the listening
  socket itself as `socket.socket(family)`, whose protocol number reads 0; asyncio sets
  TCP_NODELAY only on sockets whose protocol is TCP, so every answer after the first on
  a keep-alive connection waited for the client's delayed acknowledgement (about 40 ms
  per request; p50 44 ms at 200 requests/s). `tcp_listener` rebuilds the bound socket
  from its descriptor so the kernel's protocol (TCP) is read back, and the workers'
  accepted connections get TCP_NODELAY as the single-process server's do.

And one layering choice: `served_app` puts the contract's stateless commands
(`ContractFastPath`) and the plain stored assess (`StoredAssessFastPath`) in front of
FastAPI's own outer wrappers (Starlette's error middleware, FastAPI's telemetry and
body-limit layers), which they already answer without. The same layers stay inside the
app (`create_app`), so a test client and the served app answer alike.
"""

from __future__ import annotations

import socket

import uvicorn
from uvicorn.supervisors import Multiprocess

from inocds.entrypoints.api.contract_asgi import ContractFastPath
from inocds.entrypoints.api.stored_assess_asgi import StoredAssessFastPath
from inocds.entrypoints.cpu_pinning import allowed_cpus, pin

__all__ = ["serve", "served_app", "tcp_listener"]

_APP = "inocds.entrypoints.serving:served_app"


def served_app() -> ContractFastPath:
    """The application as `inocds serve` runs it (a factory for uvicorn's workers)."""
    from inocds.entrypoints.api import create_app

    app = create_app()
    return ContractFastPath(StoredAssessFastPath(app, owner=app))


def tcp_listener(sock: socket.socket) -> socket.socket:
    """The same bound socket as an object whose `proto` is read from the kernel."""
    rebuilt = socket.socket(fileno=sock.detach())
    rebuilt.set_inheritable(True)
    return rebuilt


class _TcpConfig(uvicorn.Config):
    def bind_socket(self) -> socket.socket:
        return tcp_listener(super().bind_socket())


class _PinnedWorkers(Multiprocess):
    """uvicorn's supervisor with each worker kept on a CPU of its own (cpu_pinning.py),
    a restarted worker on the CPU of the one it replaces."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets=sockets)
        self._allowed = allowed_cpus()
        self._pinned: dict[int, int] = {}  # worker index -> pid kept on its CPU

    def _pin(self) -> None:
        for index, process in enumerate(self.processes):
            pid = process.pid
            if pid is not None and self._pinned.get(index) != pid:
                pin(pid, index, self._allowed)
                self._pinned[index] = pid

    def init_processes(self) -> None:
        super().init_processes()
        self._pin()

    def keep_subprocess_alive(self) -> None:
        super().keep_subprocess_alive()
        self._pin()


def serve(host: str, port: int, workers: int, access_log: bool, pin_cpu: bool = True) -> None:
    """Runs the service until interrupted (migrations are applied before it starts); with
    `pin_cpu`, each process on one CPU (cpu_pinning.py)."""
    if workers == 1:
        if pin_cpu:
            pin(0, 0, allowed_cpus())
        uvicorn.run(served_app(), host=host, port=port, log_level="info", access_log=access_log)
        return
    from inocds.services.database import upgrade
    from inocds.settings import load_settings

    upgrade(load_settings().database_url)  # once, before the workers start
    config = _TcpConfig(
        _APP,
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level="info",
        access_log=access_log,
    )
    supervisor = _PinnedWorkers if pin_cpu else Multiprocess
    supervisor(config, sockets=[config.bind_socket()]).run()
