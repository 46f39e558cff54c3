"""Login abuse, hardening and the access log against the real `inocds serve`, both databases.

Clients are told apart by `X-Forwarded-For`, which uvicorn honours from 127.0.0.1 (its
default `FORWARDED_ALLOW_IPS`), as behind the hospital's reverse proxy; `X-Forwarded-Proto:
https` from there makes the request https (HSTS, Secure cookie).
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e.servers import running_server
from tests.integration.databases import BACKENDS, empty_database

pytestmark = pytest.mark.e2e

PASSWORD = "a ward tablet passphrase"
TIMEOUT_S = 120.0  # the shared test machine can take seconds per argon2 hash


@pytest.fixture(scope="module", params=BACKENDS)
def server(
    request: pytest.FixtureRequest, inocds: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, str]]:
    """A real server on a new database of each backend, with an admin and a nurse; (url, db)."""
    workdir = tmp_path_factory.mktemp("security")
    with empty_database(request.param, workdir) as url:
        env = {"INOCDS_DATABASE_URL": url, "INOCDS_AUDIT_KEY": "k" * 64}
        for role, name in (("admin", "boss"), ("nurse", "joy")):
            done = subprocess.run(
                [inocds, "user", "add", "--role", role, name, "--password-stdin"],
                input=PASSWORD,
                capture_output=True,
                text=True,
                timeout=60,
                env={**os.environ, **env},
            )
            assert done.returncode == 0, done.stdout + done.stderr
        with running_server(inocds, workdir, "unused.sqlite3", env) as base_url:
            yield base_url, url


def _login(base: str, username: str, address: str, password: str = PASSWORD) -> httpx.Response:
    return httpx.post(
        f"{base}/api/v1/auth/token",
        json={"username": username, "password": password},
        headers={"X-Forwarded-For": address},
        timeout=TIMEOUT_S,
    )


def _bearer(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def test_a_flood_is_refused_before_hashing_and_the_owner_gets_in(server: tuple[str, str]) -> None:
    """200 parallel wrong logins from one address: few hashed (401), the rest 429; owner gets in.

    3 free failures, then waits of 2, 4, 8, 16 ... s after each: over a flood lasting under
    a minute at most 3 + 5 attempts reach the password hash.
    """
    base, _ = server

    def attempt(_: int) -> httpx.Response:
        return _login(base, "joy", "203.0.113.50", "wrong wrong wrong")

    with ThreadPoolExecutor(16) as pool:
        answers = list(pool.map(attempt, range(200)))
    codes = [a.status_code for a in answers]
    assert 3 <= codes.count(401) <= 8 and codes.count(401) + codes.count(429) == 200
    assert all(int(a.headers["Retry-After"]) >= 1 for a in answers if a.status_code == 429)
    assert _login(base, "joy", "198.51.100.60").status_code == 200


def test_headers_origin_and_tls(server: tuple[str, str]) -> None:
    """Strict CSP and friends on pages; cross-site login 403; behind TLS: HSTS, Secure cookie."""
    base, _ = server
    page = httpx.get(f"{base}/login", timeout=TIMEOUT_S)
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp and page.headers["x-frame-options"] == "DENY"
    assert page.headers["x-content-type-options"] == "nosniff"
    assert page.headers["cache-control"] == "no-store"
    assert "strict-transport-security" not in page.headers
    form = {"username": "joy", "password": PASSWORD}
    evil = httpx.post(
        f"{base}/login",
        data=form,
        headers={"Origin": "https://evil.example", "X-Forwarded-For": "198.51.100.61"},
        timeout=TIMEOUT_S,
    )
    assert evil.status_code == 403
    tls = httpx.post(
        f"{base}/login",
        data=form,
        headers={
            "Origin": base,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "198.51.100.62",
        },
        timeout=TIMEOUT_S,
    )
    assert tls.status_code == 303, tls.text
    assert tls.headers["strict-transport-security"].startswith("max-age=")
    assert "secure" in tls.headers["set-cookie"].lower()


def test_reactivated_token_stays_dead_and_reads_are_logged(server: tuple[str, str]) -> None:
    """Deactivate and reactivate: the old token is refused; the admin reads the access log."""
    base, _ = server
    boss = _bearer(_login(base, "boss", "198.51.100.70"))
    joy_answer = _login(base, "joy", "198.51.100.71")
    joy = _bearer(joy_answer)
    joy_id = joy_answer.json()["user"]["id"]
    client = httpx.Client(base_url=base, timeout=TIMEOUT_S)
    version = client.get(f"/api/v1/users/{joy_id}", headers=boss).json()["version"]
    off = client.patch(
        f"/api/v1/users/{joy_id}", json={"version": version, "active": False}, headers=boss
    )
    on = client.patch(
        f"/api/v1/users/{joy_id}", json={"version": version + 1, "active": True}, headers=boss
    )
    assert (off.status_code, on.status_code) == (200, 200)
    assert client.get("/api/v1/auth/me", headers=joy).status_code == 401
    joy = _bearer(_login(base, "joy", "198.51.100.71"))
    patient: dict[str, Any] = {
        "mrn": "SEC-1",
        "family_name": "Doe",
        "given_name": "Jo",
        "birth_date": "1981-09-14",
        "sex": "male",
        "height_cm": 170,
        "weight_kg": 60,
        "measured_on": "2026-05-04",
    }
    made = client.post("/api/v1/patients", json=patient, headers=joy)
    assert made.status_code == 201, made.text
    patient_id = made.json()["id"]
    assert client.get(f"/api/v1/patients/{patient_id}", headers=joy).status_code == 200
    log = client.get(f"/api/v1/audit/access?patient_id={patient_id}", headers=boss).json()
    actions = {(e["patient_id"], e["action"]) for e in log["entries"]}
    assert (patient_id, f"GET /api/v1/patients/{patient_id}") in actions
    verified = client.get("/api/v1/audit/verify", headers=boss).json()
    assert verified["intact"], verified["problems"]


def test_the_anchor_over_http_and_cli(server: tuple[str, str], inocds: str, tmp_path: Path) -> None:
    """GET /audit/anchor gives the head; `audit verify --anchor` with it exits 0."""
    base, url = server
    boss = _bearer(_login(base, "boss", "198.51.100.80"))
    head = httpx.get(f"{base}/api/v1/audit/anchor", headers=boss, timeout=TIMEOUT_S).json()
    done = subprocess.run(
        [inocds, "audit", "verify", "--anchor", head["anchor"]],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "INOCDS_DATABASE_URL": url, "INOCDS_AUDIT_KEY": "k" * 64},
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
