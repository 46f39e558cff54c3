"""End-to-end fixtures: the real `inocds` command and a real HTTP server in a subprocess."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.servers import running_server

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


@pytest.fixture(scope="session")
def server(inocds: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Starts `inocds serve --port <free port>`, waits for /healthz, yields the base URL."""
    with running_server(inocds, tmp_path_factory.mktemp("server"), "e2e.sqlite3") as base_url:
        yield base_url


@pytest.fixture(scope="session")
def http(server: str) -> Iterator[httpx.Client]:
    """An HTTP client bound to the running server."""
    with httpx.Client(base_url=server, timeout=30.0) as client:
        yield client
