"""A real `inocds serve` for the reliability tests, on SQLite and PostgreSQL (2 workers too).

Each configuration (one server for the whole session) gets a new migrated database,
one user and bearer token per role (written directly, as an admin would), and the
server in a subprocess. `Service.call`
records every answer's status, so each test can assert that none was a 5xx.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.servers import running_server
from tests.integration.databases import empty_database, hash_password

from inocds.adapters.db.engine import make_engine, make_session_factory, transaction
from inocds.adapters.db.migrate import upgrade
from inocds.adapters.db.models import User
from inocds.services.auth import issue_token

ROLES = ("physician", "physician2", "pharmacist", "nurse")
CONFIGURATIONS = ("sqlite", "postgresql", "postgresql-2-workers")
PRETREATMENT = {"anc_per_mm3": 1500, "platelets_per_mm3": 70000}


@dataclass
class Service:
    """The running server, a token per role, and every status it answered."""

    base_url: str
    tokens: dict[str, str]
    client: httpx.Client
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def call(
        self, method: str, path: str, role: str | None, headers_json: bool = False, **kwargs: Any
    ) -> httpx.Response:
        """One request as `role` (None: anonymous); its status is recorded."""
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        if headers_json:
            headers["Content-Type"] = "application/json"
        answer = self.client.request(method, path, headers=headers, **kwargs)
        with self.lock:
            self.statuses.append(answer.status_code)
        return answer

    def ok(self, method: str, path: str, role: str, **kwargs: Any) -> Any:
        """A request that must succeed; its JSON body."""
        answer = self.call(method, path, role, **kwargs)
        assert answer.status_code < 300, (path, answer.status_code, answer.text)
        return answer.json()

    def server_errors(self) -> list[int]:
        """Every 5xx answered so far."""
        return [s for s in self.statuses if s >= 500]

    def new_course(self) -> tuple[int, int]:
        """A patient of 170 cm / 60 kg measured today, and a course opened for them."""
        today = dt.date.today().isoformat()
        patient = self.ok(
            "POST",
            "/api/v1/patients",
            "physician",
            json={
                "mrn": f"R-{secrets.token_hex(6)}",
                "family_name": "Race",
                "given_name": "Test",
                "birth_date": "1981-09-14",
                "sex": "male",
                "height_cm": 170,
                "weight_kg": 60,
                "measured_on": today,
            },
        )
        course = self.ok(
            "POST",
            f"/api/v1/patients/{patient['id']}/courses",
            "physician",
            json={"hsct_planned": True, "pretreatment": PRETREATMENT},
        )
        return patient["id"], course["id"]

    def signed_order(self, course_id: int) -> dict[str, Any]:
        """Cycle 1 day 1 at 0.8 mg/m2, scheduled today (0.8 x 1.68 m2 = 1.34 mg)."""
        return self.ok(  # type: ignore[no-any-return]
            "POST",
            f"/api/v1/courses/{course_id}/orders",
            "physician",
            json=sign_body(),
        )

    def prepared_order(self, course_id: int) -> dict[str, Any]:
        """An order signed, verified (170 cm / 60 kg reproduce 1.34 mg) and prepared now."""
        order = self.signed_order(course_id)
        self.ok(
            "POST",
            f"/api/v1/orders/{order['id']}/verifications",
            "pharmacist",
            json={"height_cm": 170, "weight_kg": 60},
        )
        return self.ok(  # type: ignore[no-any-return]
            "POST",
            f"/api/v1/orders/{order['id']}/preparations",
            "pharmacist",
            json={"reconstituted_at": now_iso(), "refrigerated": False},
        )


def now_iso() -> str:
    """Now, as an aware ISO timestamp."""
    return dt.datetime.now(dt.UTC).isoformat()


def sign_body() -> dict[str, Any]:
    """The order for cycle 1 day 1 at the engine's 0.8 mg/m2, today."""
    today = dt.date.today().isoformat()
    return {"cycle": 1, "day": 1, "dose_mg_per_m2": 0.8, "scheduled_on": today}


def parallel(count: int, request: Callable[[int], httpx.Response]) -> list[httpx.Response]:
    """`count` requests released together (a barrier) from as many threads."""
    barrier = threading.Barrier(count)

    def run(index: int) -> httpx.Response:
        barrier.wait()
        return request(index)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


def _seed(url: str, roles: tuple[str, ...] = ROLES) -> dict[str, str]:
    """One user per role and a bearer token each."""
    engine = make_engine(url)
    tokens = {}
    password_hash = hash_password(secrets.token_hex(8))  # one argon2 hash: nobody logs in
    try:
        with transaction(make_session_factory(engine)) as session:
            for name in roles:
                user = User(
                    username=f"{name}-{secrets.token_hex(3)}",
                    full_name=name,
                    role=name.rstrip("2"),
                    password_hash=password_hash,
                    active=True,
                    failed_logins=0,
                    version=1,
                )
                session.add(user)
                session.flush()
                tokens[name] = issue_token(session, user, "reliability")
    finally:
        engine.dispose()
    return tokens


@pytest.fixture(scope="session", params=CONFIGURATIONS)
def service(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """The server of one configuration, on a new database, with a token per role."""
    backend, _, workers = str(request.param).partition("-")
    workdir = tmp_path_factory.mktemp("reliability")
    with empty_database(backend, workdir) as url:
        upgrade(url)
        tokens = _seed(url)
        args = ("--workers", workers.split("-")[0]) if workers else ()
        env = {"INOCDS_DATABASE_URL": url, "PYTHONUNBUFFERED": "1", **_pool_env()}
        with (
            running_server(_inocds_executable(), workdir, "unused.sqlite3", env, args) as base_url,
            httpx.Client(
                base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=100)
            ) as client,
        ):
            yield Service(base_url, tokens, client)


def _pool_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k.startswith("INOCDS_DB_")}


def _inocds_executable() -> str:
    return str(Path(sys.executable).with_name("inocds"))
