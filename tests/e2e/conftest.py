"""End-to-end fixtures: the real `inocds` command and a real HTTP server in a subprocess."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

SERVER_START_TIMEOUT_S = 60.0
CLI_TIMEOUT_S = 60.0


def _inocds_executable() -> str:
    sibling = Path(sys.executable).with_name("inocds")
    if sibling.exists():
        return str(sibling)
    found = shutil.which("inocds")
    if found is None:
        pytest.fail("the inocds command is not installed (pip install -e '.[dev]')")
    return found


@pytest.fixture(scope="session")
def inocds() -> str:
    """Path of the installed `inocds` command."""
    return _inocds_executable()


@dataclass(frozen=True)
class CliRun:
    """One run of the CLI: exit status, standard output (parsed when JSON), standard error."""

    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        """Standard output as JSON (fails the test when it is not)."""
        try:
            return json.loads(self.stdout)
        except json.JSONDecodeError:
            pytest.fail(f"stdout is not JSON: {self.stdout[:300]!r}; stderr: {self.stderr[-300:]}")


@pytest.fixture
def run_cli(inocds: str, tmp_path: Path) -> Callable[..., CliRun]:
    """Runs `inocds <command> --input FILE` on a body (text, written as is) or via stdin."""

    def run(command: str, body: str, *, stdin: bool = False) -> CliRun:
        if stdin:
            args, feed = [inocds, command], body
        else:
            request = tmp_path / f"{command}-request.json"
            request.write_text(body, encoding="utf-8")
            args, feed = [inocds, command, "--input", str(request)], None
        done = subprocess.run(
            args, input=feed, capture_output=True, text=True, timeout=CLI_TIMEOUT_S
        )
        return CliRun(done.returncode, done.stdout, done.stderr)

    return run


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.fixture(scope="session")
def server(inocds: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Starts `inocds serve --port <free port>`, waits for /healthz, yields the base URL."""
    workdir = tmp_path_factory.mktemp("server")
    log_path = workdir / "server.log"
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env = {**os.environ, "INOCDS_DATABASE_URL": f"sqlite:///{workdir / 'e2e.sqlite3'}"}
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [inocds, "serve", "--host", "127.0.0.1", "--port", str(port)],
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


@pytest.fixture(scope="session")
def http(server: str) -> Iterator[httpx.Client]:
    """An HTTP client bound to the running server."""
    with httpx.Client(base_url=server, timeout=30.0) as client:
        yield client
