"""A real `inocds serve` process for end-to-end tests: started, waited for, stopped."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

SERVER_START_TIMEOUT_S = 60.0


def free_port() -> int:
    """A TCP port free on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_server(
    inocds: str,
    workdir: Path,
    database: str,
    extra_env: dict[str, str] | None = None,
    extra_args: tuple[str, ...] = (),
) -> Iterator[str]:
    """Starts the server on a fresh SQLite file in `workdir`, yields its base URL, stops it.

    `extra_env` may name another database (INOCDS_DATABASE_URL); `extra_args` are added
    to `inocds serve` (e.g. `--workers 2`).
    """
    log_path = workdir / "server.log"
    port = free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "INOCDS_DATABASE_URL": f"sqlite:///{workdir / database}",
        **(extra_env or {}),
    }
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [inocds, "serve", "--host", "127.0.0.1", "--port", str(port), *extra_args],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=workdir,
            env=env,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT_S
        while True:
            if process.poll() is not None:
                pytest.fail(f"server exited {process.returncode}: {log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{base_url}/healthz", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"server not healthy after {SERVER_START_TIMEOUT_S:g} s")
            time.sleep(0.1)
        yield base_url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)
        if process.returncode not in (0, -15) or os.environ.get("INOCDS_TEST_SERVER_LOG"):
            print(f"--- server log ({log_path}) ---\n{log_path.read_text()[-3000:]}")
