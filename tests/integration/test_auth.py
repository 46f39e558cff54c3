"""Authentication on SQLite and PostgreSQL: hashing, throttling, tokens, sessions, CSRF."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.conftest import MakeUser
from tests.integration.databases import TEST_PASSWORD

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import ApiToken, AuditEntry, User, WebSession
from inocds.clinical.validation import InputError
from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.deps import CSRF_HEADER, SESSION_COOKIE
from inocds.services import accounts, auth
from inocds.services.errors import Conflict, Forbidden
from inocds.settings import Settings

T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
Factory = sessionmaker[Session]


def _name(prefix: str = "u") -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def _login(factory: Factory, username: str, password: str, now: dt.datetime) -> User | Exception:
    """One login attempt in its own committed unit of work, as the HTTP route makes it."""
    with transaction(factory) as session:
        try:
            return auth.authenticate(session, username, password, now=now)
        except (auth.InvalidCredentials, auth.AccountLocked) as refusal:
            return refusal


def _audit_after(factory: Factory, action: str, entity_id: int) -> list[dict[str, object]]:
    with factory() as session:
        rows = session.scalars(
            select(AuditEntry).where(AuditEntry.action == action, AuditEntry.entity_id == entity_id)
        )
        return [row.after or {} for row in rows]


def test_hash_password_is_salted_argon2id_and_verifies_only_the_password() -> None:
    """Two hashes of one password differ, are argon2id, and verify only that password."""
    first, second = auth.hash_password(TEST_PASSWORD), auth.hash_password(TEST_PASSWORD)
    assert first != second
    assert first.startswith("$argon2id$")
    assert auth.verify_password(first, TEST_PASSWORD)
    assert not auth.verify_password(first, TEST_PASSWORD + "!")
    assert not auth.verify_password("not a hash", TEST_PASSWORD)


def test_create_user_stores_a_hash_and_audits_without_it(session_factory: Factory) -> None:
    """The account keeps only the argon2 hash; its audit entry shows the password redacted."""
    with transaction(session_factory) as session:
        user = accounts.create_user(session, None, _name("New"), "N. Ew", "nurse", TEST_PASSWORD)
        user_id, stored = user.id, user.password_hash
    assert auth.verify_password(stored, TEST_PASSWORD)
    (after,) = _audit_after(session_factory, "user.create", user_id)
    assert after["password"] == "[redacted]"
    assert "password_hash" not in after
    assert stored not in json.dumps(after) and TEST_PASSWORD not in json.dumps(after)


def test_create_user_names_every_bad_field(session_factory: Factory) -> None:
    """A bad role, username and short password are all reported at once."""
    name = "bad name!"
    with pytest.raises(InputError) as caught, transaction(session_factory) as session:
        accounts.create_user(session, None, name, "", "surgeon", "short")
    assert {e.field for e in caught.value.errors} == {"username", "role", "password"}


def test_create_user_refuses_a_taken_username_whatever_its_case(session_factory: Factory) -> None:
    """Usernames are unique without regard to case: the second gets Conflict on `username`."""
    name = _name("dup")
    with transaction(session_factory) as session:
        accounts.create_user(session, None, name, "", "physician", TEST_PASSWORD)
    with pytest.raises(Conflict) as caught, transaction(session_factory) as session:
        accounts.create_user(session, None, name.upper(), "", "nurse", TEST_PASSWORD)
    assert caught.value.field == "username"


def test_only_an_admin_creates_accounts(session_factory: Factory, make_user: MakeUser) -> None:
    """A physician may not create an account (Forbidden on `role`)."""
    physician = make_user(session_factory, "physician")
    with pytest.raises(Forbidden), transaction(session_factory) as session:
        accounts.create_user(session, physician, _name(), "", "admin", TEST_PASSWORD)


def test_right_password_authenticates(session_factory: Factory, make_user: MakeUser) -> None:
    """The right password returns the user; a wrong one or an unknown user is refused alike."""
    user = make_user(session_factory, "pharmacist")
    assert isinstance(_login(session_factory, user.username, TEST_PASSWORD, T0), User)
    wrong = _login(session_factory, user.username, "wrong password!", T0)
    unknown = _login(session_factory, _name("nobody"), TEST_PASSWORD, T0)
    assert isinstance(wrong, auth.InvalidCredentials)
    assert isinstance(unknown, auth.InvalidCredentials)
    assert str(wrong) == str(unknown)


def test_failures_are_counted_but_never_lock_the_account(
    session_factory: Factory, make_user: MakeUser
) -> None:
    """Twenty wrong passwords are counted and audited, yet the right one still logs in."""
    user = make_user(session_factory, "nurse")
    for attempt in range(1, 21):
        outcome = _login(
            session_factory, user.username, "wrong", T0 + dt.timedelta(seconds=attempt)
        )
        assert isinstance(outcome, auth.InvalidCredentials), attempt
    assert len(_audit_after(session_factory, "user.login_failed", user.id)) == 20
    assert isinstance(_login(session_factory, user.username, TEST_PASSWORD, T0), User)
    with session_factory() as session:
        stored = session.get(User, user.id)
        assert stored is not None
        assert (stored.failed_logins, stored.locked_until) == (0, None)


def test_a_success_resets_the_count_of_failures(
    session_factory: Factory, make_user: MakeUser
) -> None:
    """Failures must be consecutive: 4 wrong, 1 right, 4 wrong leaves the account open."""
    user = make_user(session_factory, "physician")
    for password in ["wrong"] * 4 + [TEST_PASSWORD] + ["wrong"] * 4:
        _login(session_factory, user.username, password, T0)
    assert isinstance(_login(session_factory, user.username, TEST_PASSWORD, T0), User)


def test_an_inactive_account_cannot_log_in(session_factory: Factory, make_user: MakeUser) -> None:
    """A deactivated user with the right password is refused as wrong credentials."""
    user = make_user(session_factory, "nurse")
    with transaction(session_factory) as session:
        stored = session.get(User, user.id)
        assert stored is not None
        stored.active = False
    assert isinstance(
        _login(session_factory, user.username, TEST_PASSWORD, T0), auth.InvalidCredentials
    )


def test_token_is_stored_as_sha256_and_expires(
    session_factory: Factory, make_user: MakeUser
) -> None:
    """Only the token's SHA-256 is stored; the token works until its time-to-live ends."""
    user = make_user(session_factory, "physician")
    ttl = dt.timedelta(hours=1)
    with transaction(session_factory) as session:
        token = auth.issue_token(session, user, "test", ttl, now=T0)
    with session_factory() as session:
        (row,) = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id))
        assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
        found = auth.user_for_token(session, token, now=T0 + ttl - dt.timedelta(seconds=1))
        assert found is not None and found.id == user.id
        assert auth.user_for_token(session, token, now=T0 + ttl) is None
        assert auth.user_for_token(session, token + "x", now=T0) is None


def test_revoked_token_and_deactivated_user_are_refused(
    session_factory: Factory, make_user: MakeUser
) -> None:
    """A revoked token stops working; so does any token of a deactivated user."""
    first, second = make_user(session_factory, "nurse"), make_user(session_factory, "nurse")
    with transaction(session_factory) as session:
        revoked, dropped = auth.issue_token(session, first), auth.issue_token(session, second)
        auth.revoke_token(session, revoked)
        stored = session.get(User, second.id)
        assert stored is not None
        stored.active = False
    with session_factory() as session:
        assert auth.user_for_token(session, revoked) is None
        assert auth.user_for_token(session, dropped) is None


def test_web_session_carries_csrf_and_ends(session_factory: Factory, make_user: MakeUser) -> None:
    """A session cookie finds its user and CSRF token until it expires or is closed."""
    user = make_user(session_factory, "pharmacist")
    with transaction(session_factory) as session:
        cookie, csrf = auth.open_web_session(session, user, now=T0)
    with session_factory() as session:
        login = auth.user_for_session_cookie(session, cookie, now=T0)
        assert login is not None and (login.user.id, login.csrf_token) == (user.id, csrf)
        expired = T0 + auth.WEB_SESSION_TTL
        assert auth.user_for_session_cookie(session, cookie, now=expired) is None
        stored = session.scalars(select(WebSession).where(WebSession.user_id == user.id)).one()
        assert stored.session_sha256 == hashlib.sha256(cookie.encode()).hexdigest()
    with transaction(session_factory) as session:
        auth.close_web_session(session, cookie)
    with session_factory() as session:
        assert auth.user_for_session_cookie(session, cookie, now=T0) is None


def test_stale_update_writes_nothing(session_factory: Factory, make_user: MakeUser) -> None:
    """An update carrying an old version gets Conflict; the account and the audit are unchanged."""
    admin, nurse = make_user(session_factory, "admin"), make_user(session_factory, "nurse")
    with transaction(session_factory) as session:
        accounts.update_user(session, admin, nurse.id, 1, full_name="First Edit")
    with pytest.raises(Conflict), transaction(session_factory) as session:
        accounts.update_user(session, admin, nurse.id, 1, role="physician")
    with session_factory() as session:
        stored = session.get(User, nurse.id)
        assert stored is not None
        assert (stored.role, stored.full_name, stored.version) == ("nurse", "First Edit", 2)
    assert len(_audit_after(session_factory, "user.update", nurse.id)) == 1


def test_a_racing_update_with_the_same_version_loses(
    session_factory: Factory, make_user: MakeUser
) -> None:
    """Of two writers that both read version 1, the one committing second gets Conflict."""
    admin, nurse = make_user(session_factory, "admin"), make_user(session_factory, "nurse")
    with session_factory() as slow:
        assert accounts.get_user(slow, admin, nurse.id).version == 1  # read before the other write
        with transaction(session_factory) as fast:
            accounts.update_user(fast, admin, nurse.id, 1, full_name="Fast")
        with pytest.raises(Conflict):
            accounts.update_user(slow, admin, nurse.id, 1, full_name="Slow")
        slow.rollback()
    with session_factory() as session:
        stored = session.get(User, nurse.id)
        assert stored is not None and (stored.full_name, stored.version) == ("Fast", 2)


def test_the_last_admin_stays_admin(fresh_session_factory: Factory, make_user: MakeUser) -> None:
    """The only active admin can be neither demoted nor deactivated (Conflict)."""
    admin = make_user(fresh_session_factory, "admin")
    for change in ({"role": "nurse"}, {"active": False}):
        with pytest.raises(Conflict), transaction(fresh_session_factory) as session:
            accounts.update_user(session, admin, admin.id, 1, **change)  # type: ignore[arg-type]


# Through HTTP: the request-scoped session, the cookie and its CSRF token.


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    """The app on the module's database (already migrated, so start-up is skipped)."""
    app = create_app(Settings(database_url=database_url, secure_cookies=False))
    yield TestClient(app)
    app.state.engine.dispose()


def test_cookie_posts_need_the_csrf_token(
    client: TestClient, session_factory: Factory, make_user: MakeUser
) -> None:
    """A cookie-authenticated POST without (or with a wrong) CSRF token gets 403; GET does not."""
    admin = make_user(session_factory, "admin")
    with transaction(session_factory) as session:
        cookie, csrf = auth.open_web_session(session, admin)
    client.cookies.set(SESSION_COOKIE, cookie)
    try:
        assert client.get("/api/v1/auth/me").json()["id"] == admin.id
        body = {"username": _name(), "role": "nurse", "password": TEST_PASSWORD}
        refused = client.post("/api/v1/users", json=body)
        assert refused.status_code == 403
        assert refused.json()["errors"][0]["field"] == CSRF_HEADER
        wrong = client.post("/api/v1/users", json=body, headers={CSRF_HEADER: csrf + "x"})
        assert wrong.status_code == 403
        assert (
            client.post("/api/v1/users", json=body, headers={CSRF_HEADER: csrf}).status_code == 201
        )
        out = client.post("/api/v1/auth/logout", data={"csrf_token": csrf})
        assert out.status_code == 204
    finally:
        client.cookies.clear()
    with session_factory() as session:
        assert auth.user_for_session_cookie(session, cookie) is None


def test_failed_logins_over_http_are_throttled_not_locked(
    client: TestClient, session_factory: Factory, make_user: MakeUser
) -> None:
    """Three wrong passwords get 401; the fourth at once gets 429 with Retry-After, not 423."""
    user = make_user(session_factory, "nurse")
    wrong = {"username": user.username, "password": "wrong password!"}
    for _ in range(3):
        answer = client.post("/api/v1/auth/token", json=wrong)
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"] == "Bearer"
    throttled = client.post("/api/v1/auth/token", json=wrong)
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) >= 1
    client.app.state.login_throttle.unlock(user.username)  # type: ignore[attr-defined]
    right = {"username": user.username, "password": TEST_PASSWORD}
    assert client.post("/api/v1/auth/token", json=right).status_code == 200


def test_token_login_me_and_logout(
    client: TestClient, session_factory: Factory, make_user: MakeUser
) -> None:
    """A token from /auth/token opens /auth/me until /auth/logout revokes it."""
    user = make_user(session_factory, "pharmacist")
    answer = client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": TEST_PASSWORD}
    )
    assert answer.status_code == 200
    document = answer.json()
    assert document["token_type"] == "bearer" and document["user"]["role"] == "pharmacist"
    headers = {"Authorization": f"Bearer {document['access_token']}"}
    assert client.get("/api/v1/auth/me", headers=headers).json()["username"] == user.username
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    after = client.get("/api/v1/auth/me", headers=headers)
    assert after.status_code == 401
    assert after.json()["errors"][0]["field"] == "Authorization"


def test_users_api_creates_and_updates_with_version_check(
    client: TestClient, session_factory: Factory, make_user: MakeUser
) -> None:
    """An admin creates an account, changes it with its version, and a stale change gets 409."""
    admin = make_user(session_factory, "admin")
    with transaction(session_factory) as session:
        headers = {"Authorization": f"Bearer {auth.issue_token(session, admin)}"}
    body = {"username": _name(), "role": "nurse", "password": TEST_PASSWORD, "full_name": "N"}
    created = client.post("/api/v1/users", json=body, headers=headers)
    assert created.status_code == 201 and "password_hash" not in created.json()
    user_id = created.json()["id"]
    again = client.post("/api/v1/users", json=body, headers=headers)
    assert again.status_code == 409
    short = client.post(
        "/api/v1/users", json={**body, "username": _name(), "password": "short"}, headers=headers
    )
    assert short.status_code == 422 and short.json()["errors"][0]["field"] == "password"
    unknown = client.patch(f"/api/v1/users/{user_id}", json={"version": 1, "x": 1}, headers=headers)
    assert unknown.status_code == 422 and unknown.json()["errors"][0]["field"] == "x"
    changed = client.patch(
        f"/api/v1/users/{user_id}", json={"version": 1, "role": "physician"}, headers=headers
    )
    assert changed.status_code == 200 and changed.json()["version"] == 2
    stale = client.patch(
        f"/api/v1/users/{user_id}", json={"version": 1, "active": False}, headers=headers
    )
    assert stale.status_code == 409
    shown = client.get(f"/api/v1/users/{user_id}", headers=headers).json()
    assert (shown["role"], shown["active"], shown["version"]) == ("physician", True, 2)
