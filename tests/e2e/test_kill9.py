"""Crash safety: the real server killed with SIGKILL mid-burst loses no acknowledged write.

A physician registers 200 patients from eight client threads, each POST with its own
`Idempotency-Key`; the server is killed with `kill -9` once 50 have been answered.
After a restart on the same SQLite file: every acknowledged patient is there as
answered, every patient is whole (its first measurement and both audit entries
committed with it), the audit chain verifies, and retrying each unanswered request
with its key never creates a second patient.
"""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

BURST = 200
KILL_AFTER_ACKS = 50
WORKERS = 8
START_TIMEOUT_S = 60.0
REQUEST_TIMEOUT_S = 15.0
CLI_TIMEOUT_S = 60.0
PASSWORD = "kill nine test password"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass
class Service:
    """One database file and the server processes started on it, one at a time."""

    inocds: str
    workdir: Path
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    base_url: str = ""

    def cli(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        """Runs `inocds ARGS` on the service's database."""
        return subprocess.run(
            [self.inocds, *args],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=CLI_TIMEOUT_S,
            env=self.env,
            cwd=self.workdir,
        )

    def start(self) -> None:
        """Starts `inocds serve` on a free loopback port and waits for /healthz."""
        port = _free_port()
        self.base_url = f"http://127.0.0.1:{port}"
        log = (self.workdir / f"server-{port}.log").open("wb")
        self.process = subprocess.Popen(
            [self.inocds, "serve", "--host", "127.0.0.1", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=self.workdir,
            env=self.env,
        )
        log.close()
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                pytest.fail(f"server exited {self.process.returncode}: {self.logs()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        pytest.fail(f"server not healthy after {START_TIMEOUT_S:g} s: {self.logs()}")

    def kill9(self) -> None:
        """SIGKILL: no shutdown handler, no flush, no goodbye."""
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Stops a running server (terminate, then kill)."""
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def logs(self) -> str:
        """The tail of every server log."""
        return "".join(p.read_text()[-1500:] for p in sorted(self.workdir.glob("server-*.log")))

    def token(self, username: str) -> str:
        """A bearer token for `username`."""
        answer = httpx.post(
            f"{self.base_url}/api/v1/auth/token",
            json={"username": username, "password": PASSWORD},
            timeout=REQUEST_TIMEOUT_S,
        )
        assert answer.status_code == 200, answer.text
        token: str = answer.json()["access_token"]
        return token


@pytest.fixture
def service(inocds: str, tmp_path: Path) -> Iterator[Service]:
    """A fresh SQLite file with an admin made by `inocds user add`; the server not started."""
    env = {**os.environ, "INOCDS_DATABASE_URL": f"sqlite:///{tmp_path / 'kill9.sqlite3'}"}
    svc = Service(inocds, tmp_path, env)
    made = svc.cli("user", "add", "--role", "admin", "--password-stdin", "root", stdin=PASSWORD)
    assert made.returncode == 0, made.stdout + made.stderr
    try:
        yield svc
    finally:
        svc.stop()


def _patient(i: int) -> dict[str, Any]:
    return {
        "mrn": f"K9-{i:04d}",
        "family_name": f"Family{i}",
        "given_name": "Test",
        "birth_date": "1980-01-01",
        "sex": "female",
        "height_cm": 160 + i % 20,
        "weight_kg": 50 + i % 30,
        "measured_on": "2026-01-05",
    }


@dataclass
class Burst:
    """What the clients saw: the acknowledged answers and the unanswered requests."""

    acked: dict[int, dict[str, Any]]
    unanswered: list[int]
    refused: dict[int, int]


def _burst(svc: Service, token: str) -> Burst:
    """Sends the burst from WORKERS threads and kills the server after KILL_AFTER_ACKS acks."""
    lock = threading.Lock()
    acked: dict[int, dict[str, Any]] = {}
    unanswered: list[int] = []
    refused: dict[int, int] = {}
    killed = threading.Event()
    todo = iter(range(BURST))

    def worker() -> None:
        headers = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=svc.base_url, timeout=REQUEST_TIMEOUT_S) as client:
            while True:
                with lock:
                    i = next(todo, None)
                if i is None:
                    return
                if killed.is_set():
                    unanswered.append(i)  # never sent: the server is gone
                    continue
                key = {"Idempotency-Key": f"k9-{i}"}
                try:
                    answer = client.post(
                        "/api/v1/patients", json=_patient(i), headers={**headers, **key}
                    )
                except httpx.TransportError:
                    with lock:
                        unanswered.append(i)
                    continue
                with lock:
                    if 200 <= answer.status_code < 300:
                        acked[i] = answer.json()
                        if len(acked) >= KILL_AFTER_ACKS and not killed.is_set():
                            killed.set()
                            svc.kill9()
                    else:
                        refused[i] = answer.status_code

    threads = [threading.Thread(target=worker) for _ in range(WORKERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not any(t.is_alive() for t in threads), "a client thread hung"
    return Burst(acked, sorted(unanswered), refused)


def _rows(db: Path, query: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as connection:
        return connection.execute(query).fetchall()


def test_kill9_mid_burst_loses_no_acknowledged_write(service: Service) -> None:
    """Every acknowledged write survives SIGKILL; nothing is half-written; retries add nothing."""
    service.start()
    admin = {"Authorization": f"Bearer {service.token('root')}"}
    doctor = {"username": "doc", "role": "physician", "password": PASSWORD}
    made = httpx.post(f"{service.base_url}/api/v1/users", json=doctor, headers=admin, timeout=15)
    assert made.status_code == 201, made.text

    burst = _burst(service, service.token("doc"))
    assert service.process is not None and service.process.returncode == -signal.SIGKILL
    assert burst.refused == {}, service.logs()
    assert KILL_AFTER_ACKS <= len(burst.acked) < BURST
    assert burst.unanswered, "the kill came after the last request: nothing was mid-burst"

    service.start()
    token = service.token("doc")
    headers = {"Authorization": f"Bearer {token}"}
    stored = httpx.get(f"{service.base_url}/api/v1/patients", headers=headers, timeout=15)
    by_mrn = {p["mrn"]: p for p in stored.json()}
    for i, answer in burst.acked.items():
        assert by_mrn[answer["mrn"]]["id"] == answer["id"]
        assert by_mrn[answer["mrn"]]["family_name"] == _patient(i)["family_name"]

    db = service.workdir / "kill9.sqlite3"
    whole = _rows(
        db,
        "SELECT p.mrn, COUNT(DISTINCT m.id), COUNT(DISTINCT a.id) FROM patients p "
        "LEFT JOIN measurements m ON m.patient_id = p.id "
        "LEFT JOIN audit_log a ON (a.entity = 'patient' AND a.entity_id = p.id) "
        "OR (a.entity = 'measurement' AND a.entity_id = m.id) GROUP BY p.id",
    )
    assert all((measurements, entries) == (1, 2) for _, measurements, entries in whole), whole
    verified = service.cli("audit", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.startswith("audit chain intact:")

    with httpx.Client(base_url=service.base_url, timeout=REQUEST_TIMEOUT_S) as client:
        for i in burst.unanswered:
            retry = client.post(
                "/api/v1/patients",
                json=_patient(i),
                headers={**headers, "Idempotency-Key": f"k9-{i}"},
            )
            applied_unanswered = retry.status_code == 409 and (
                retry.json()["errors"][0]["field"] == "Idempotency-Key"
            )
            assert retry.status_code == 201 or applied_unanswered, (i, retry.text)
    mrns = [mrn for (mrn,) in _rows(db, "SELECT mrn FROM patients")]
    assert sorted(mrns) == sorted({_patient(i)["mrn"] for i in range(BURST)})
    assert service.cli("audit", "verify").returncode == 0
