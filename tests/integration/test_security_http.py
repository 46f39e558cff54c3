"""Login abuse and hardening over HTTP, on SQLite and PostgreSQL (in-process app).

Client addresses are set per test client (`TestClient(client=...)`), as uvicorn sets
them from the socket or from `X-Forwarded-For` behind a trusted proxy.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.conftest import MakeUser
from tests.integration.databases import TEST_PASSWORD

from inocds.entrypoints.api import create_app
from inocds.services.login_throttle import ACCOUNT_FREE_FAILURES, PAIR_FREE_FAILURES
from inocds.settings import Settings

Factory = sessionmaker[Session]
EVIL = "https://evil.example"


@pytest.fixture
def app(database_url: str) -> Iterator[FastAPI]:
    """A fresh app (fresh throttle) on the module's database; plain-http cookies allowed."""
    application = create_app(
        Settings(
            database_url=database_url,
            secure_cookies=False,
            allowed_origins=("https://ward.example.org",),
        )
    )
    yield application
    application.state.engine.dispose()


def _client(app: FastAPI, address: str = "192.0.2.10", **kwargs: Any) -> TestClient:
    return TestClient(app, client=(address, 40000), **kwargs)


def _token(app: FastAPI, username: str, address: str = "192.0.2.10") -> str:
    answer = _client(app, address).post(
        "/api/v1/auth/token", json={"username": username, "password": TEST_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    token: str = answer.json()["access_token"]
    return token


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _wrong(client: TestClient, username: str) -> int:
    answer = client.post("/api/v1/auth/token", json={"username": username, "password": "nope"})
    return answer.status_code


# ------------------------------------------------------------------ throttling


def test_a_client_guessing_gets_429_with_retry_after(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """After 3 wrong passwords for one account the 4th is refused (429) before any hashing."""
    user = make_user(session_factory, "physician")
    guesser = _client(app, "203.0.113.5")
    assert [_wrong(guesser, user.username) for _ in range(PAIR_FREE_FAILURES)] == [401] * 3
    refused = guesser.post(
        "/api/v1/auth/token", json={"username": user.username, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 2  # 2^(3-3+1) = 2 s after the 3rd
    assert refused.json()["errors"][0]["field"] == "username"


def test_a_stranger_cannot_lock_the_owner_out(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """Fifty wrong tries from a stranger: the stranger waits, the owner logs in at once."""
    user = make_user(session_factory, "admin")
    stranger = _client(app, "203.0.113.6")
    answers = [_wrong(stranger, user.username) for _ in range(50)]
    assert answers[:3] == [401] * 3 and set(answers[3:]) == {429}
    assert _token(app, user.username, "198.51.100.7")


def test_a_distributed_guess_slows_only_unknown_clients_and_unlock_clears_it(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """Past 20 failures from many addresses, a new client waits (<= 60 s); the owner's does not."""
    user = make_user(session_factory, "nurse")
    admin = make_user(session_factory, "admin")
    _token(app, user.username, "198.51.100.20")  # the owner's usual workstation
    failures = 0
    for n in range(ACCOUNT_FREE_FAILURES // 2 + 1):
        attacker = _client(app, f"203.0.113.{100 + n}")
        failures += [_wrong(attacker, user.username) for _ in range(2)].count(401)
    assert failures >= ACCOUNT_FREE_FAILURES
    newcomer = _client(app, "198.51.100.99")
    refused = newcomer.post(
        "/api/v1/auth/token", json={"username": user.username, "password": TEST_PASSWORD}
    )
    assert refused.status_code == 429 and 1 <= int(refused.headers["Retry-After"]) <= 60
    assert _token(app, user.username, "198.51.100.20")  # known: never slowed
    for n in range(ACCOUNT_FREE_FAILURES // 2 + 1):  # again, then the admin unlocks
        _wrong(_client(app, f"203.0.113.{150 + n}"), user.username)
        _wrong(_client(app, f"203.0.113.{150 + n}"), user.username)
    admin_token = _token(app, admin.username, "198.51.100.30")
    unlocked = _client(app, "198.51.100.30").post(
        f"/api/v1/users/{user.id}/unlock", headers=_bearer(admin_token)
    )
    assert unlocked.status_code == 200
    assert _token(app, user.username, "198.51.100.99")


def test_a_login_flood_is_refused_without_hashing(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """Past 30 attempts a minute from one client, even right passwords get 429 at once."""
    user = make_user(session_factory, "pharmacist")
    flood = _client(app, "203.0.113.77")
    right = {"username": user.username, "password": TEST_PASSWORD}
    codes = [flood.post("/api/v1/auth/token", json=right).status_code for _ in range(31)]
    assert codes[:30] == [200] * 30 and codes[30] == 429


# ------------------------------------------------------------------ revocation


def test_deactivation_revokes_tokens_for_good(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """A deactivated user's token fails, and still fails after reactivation."""
    user = make_user(session_factory, "nurse")
    admin = make_user(session_factory, "admin")
    old = _token(app, user.username)
    boss = _bearer(_token(app, admin.username))
    client = _client(app)
    assert client.get("/api/v1/auth/me", headers=_bearer(old)).status_code == 200
    off = client.patch(
        f"/api/v1/users/{user.id}", json={"version": 1, "active": False}, headers=boss
    )
    assert off.status_code == 200
    assert client.get("/api/v1/auth/me", headers=_bearer(old)).status_code == 401
    on = client.patch(f"/api/v1/users/{user.id}", json={"version": 2, "active": True}, headers=boss)
    assert on.status_code == 200
    assert client.get("/api/v1/auth/me", headers=_bearer(old)).status_code == 401
    assert (
        client.get("/api/v1/auth/me", headers=_bearer(_token(app, user.username))).status_code
        == 200
    )


def test_role_change_revokes_tokens_and_sessions(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """A role change ends the user's bearer tokens and browser sessions."""
    user = make_user(session_factory, "nurse")
    admin = make_user(session_factory, "admin")
    token = _token(app, user.username)
    browser = _client(app)
    login = {"username": user.username, "password": TEST_PASSWORD}
    assert browser.post("/login", data=login, follow_redirects=False).status_code == 303
    assert browser.get("/patients", follow_redirects=False).status_code == 200
    boss = _bearer(_token(app, admin.username))
    change = {"version": 1, "role": "pharmacist"}
    assert (
        _client(app).patch(f"/api/v1/users/{user.id}", json=change, headers=boss).status_code == 200
    )
    assert _client(app).get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401
    assert browser.get("/patients", follow_redirects=False).status_code == 303  # to /login


def test_password_changes_revoke_every_credential(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """The user's own change and an admin's reset both end every token, the caller's too."""
    user = make_user(session_factory, "physician")
    admin = make_user(session_factory, "admin")
    first, second = _token(app, user.username), _token(app, user.username)
    client = _client(app)
    new = "another long password"
    wrong = client.post(
        "/api/v1/auth/password",
        json={"current_password": "not it at all", "new_password": new},
        headers=_bearer(first),
    )
    assert wrong.status_code == 401
    changed = client.post(
        "/api/v1/auth/password",
        json={"current_password": TEST_PASSWORD, "new_password": new},
        headers=_bearer(first),
    )
    assert changed.status_code == 204
    for token in (first, second):
        assert client.get("/api/v1/auth/me", headers=_bearer(token)).status_code == 401
    fresh = client.post("/api/v1/auth/token", json={"username": user.username, "password": new})
    assert fresh.status_code == 200
    boss = _bearer(_token(app, admin.username))
    reset = client.post(
        f"/api/v1/users/{user.id}/password", json={"password": TEST_PASSWORD}, headers=boss
    )
    assert reset.status_code == 200
    assert (
        client.get("/api/v1/auth/me", headers=_bearer(fresh.json()["access_token"])).status_code
        == 401
    )


# ------------------------------------------------------------------ origin and headers


def test_cross_site_login_is_refused(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """POST /login from another site gets 403; from this site or an allowed origin it logs in."""
    user = make_user(session_factory, "nurse")
    login = {"username": user.username, "password": TEST_PASSWORD}
    browser = _client(app)
    evil = browser.post("/login", data=login, headers={"Origin": EVIL}, follow_redirects=False)
    assert evil.status_code == 403 and evil.json()["errors"][0]["field"] == "Origin"
    by_referer = browser.post(
        "/login", data=login, headers={"Referer": f"{EVIL}/x"}, follow_redirects=False
    )
    assert by_referer.status_code == 403
    null = browser.post("/login", data=login, headers={"Origin": "null"}, follow_redirects=False)
    assert null.status_code == 403
    assert "inocds_session" not in browser.cookies
    own = browser.post(
        "/login", data=login, headers={"Origin": "http://testserver"}, follow_redirects=False
    )
    assert own.status_code == 303
    allowed = _client(app, "192.0.2.11").post(
        "/login",
        data=login,
        headers={"Origin": "https://ward.example.org"},
        follow_redirects=False,
    )
    assert allowed.status_code == 303


def test_cross_site_cookie_writes_are_refused(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """A cookie-authenticated POST from another site gets 403, even with the CSRF token."""
    user = make_user(session_factory, "nurse")
    browser = _client(app)
    login = {"username": user.username, "password": TEST_PASSWORD}
    assert browser.post("/login", data=login, follow_redirects=False).status_code == 303
    evil = browser.post("/api/v1/auth/logout", headers={"Origin": EVIL})
    assert evil.status_code == 403
    assert browser.get("/api/v1/auth/me").status_code == 200  # still logged in


def test_security_headers_on_pages_and_api(
    app: FastAPI, session_factory: Factory, make_user: MakeUser
) -> None:
    """Pages and API answers: strict CSP, no framing, nosniff, no referrer, never cached."""
    user = make_user(session_factory, "physician")
    browser = _client(app)
    login = {"username": user.username, "password": TEST_PASSWORD}
    browser.post("/login", data=login, follow_redirects=False)
    for answer in (
        browser.get("/patients"),
        browser.get("/login"),
        browser.get("/api/v1/auth/me"),
        browser.get("/api/v1/patients"),
    ):
        assert answer.status_code == 200
        csp = answer.headers["Content-Security-Policy"]
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["script-src"] == "'self'" and "unsafe-inline" not in csp
        assert directives["frame-ancestors"] == "'none'"
        assert answer.headers["X-Frame-Options"] == "DENY"
        assert answer.headers["X-Content-Type-Options"] == "nosniff"
        assert answer.headers["Referrer-Policy"] == "same-origin"
        assert answer.headers["Cache-Control"] == "no-store"
        assert "Strict-Transport-Security" not in answer.headers
    static = browser.get("/static/app.css")
    assert static.status_code == 200 and "no-store" not in static.headers.get("Cache-Control", "")
    docs = browser.get("/docs")
    assert docs.status_code == 200 and "'sha256-" in docs.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in docs.headers["Content-Security-Policy"]


def test_hsts_over_https_and_secure_cookie_by_default(
    database_url: str, session_factory: Factory, make_user: MakeUser
) -> None:
    """Over https HSTS is sent; the cookie is Secure unless the host is local or turned off."""
    user = make_user(session_factory, "nurse")
    login = {"username": user.username, "password": TEST_PASSWORD}
    default = create_app(Settings(database_url=database_url))
    try:
        https = TestClient(default, base_url="https://ward.example.org", client=("192.0.2.40", 1))
        answer = https.post("/login", data=login, follow_redirects=False)
        assert answer.headers["Strict-Transport-Security"].startswith("max-age=")
        assert "secure" in answer.headers["set-cookie"].lower()
        plain = TestClient(default, base_url="http://ward.example.org", client=("192.0.2.41", 1))
        answer = plain.post("/login", data=login, follow_redirects=False)
        assert "secure" in answer.headers["set-cookie"].lower()  # on by default
        assert "Strict-Transport-Security" not in answer.headers
        local = TestClient(default, base_url="http://127.0.0.1:8000", client=("127.0.0.1", 1))
        answer = local.post("/login", data=login, follow_redirects=False)
        assert "secure" not in answer.headers["set-cookie"].lower()
    finally:
        default.state.engine.dispose()
