"""The browser session's user read on the quick-read pool (services/quick_login.py), on
SQLite and PostgreSQL: the same login as `auth.user_for_session_cookie` in every state a
session can be in, and on the course page a change to the account or the session counts
at the very next request; without a working pool the ordinary read answers."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, update
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.conftest import MakeUser
from tests.integration.test_course_page_cache import _api, _browser, _course

from inocds.adapters.db.engine import make_read_engine, transaction
from inocds.adapters.db.models import User, WebSession
from inocds.adapters.db.quick_read import QuickReads
from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.clock import today
from inocds.services import auth, quick_login
from inocds.settings import Settings

Factory = sessionmaker[Session]
T0 = dt.datetime(2026, 3, 2, 8, 0, tzinfo=dt.UTC)
TODAY = dt.date(2026, 1, 19)


@pytest.fixture(scope="module")
def reads(database_url: str) -> Iterator[QuickReads]:
    engine = make_read_engine(database_url)
    assert engine is not None
    quick = QuickReads(engine)
    yield quick
    quick.dispose()


def _both(factory: Factory, reads: QuickReads, cookie: str, now: dt.datetime) -> tuple[Any, Any]:
    """(ORM login, quick login) of `cookie` at `now`, each as comparable values."""

    def values(login: auth.SessionLogin | None) -> Any:
        if login is None:
            return None
        columns = {key: getattr(login.user, key) for key in quick_login.USER_COLUMNS}
        return columns, login.csrf_token

    with factory() as session:
        orm = values(auth.user_for_session_cookie(session, cookie, now=now))
    return orm, values(quick_login.session_login(reads, cookie, now=now))


def test_quick_login_is_the_orm_login_in_every_state(
    session_factory: Factory, reads: QuickReads, make_user: MakeUser
) -> None:
    user = make_user(session_factory, "physician")
    with transaction(session_factory) as session:
        cookie, csrf = auth.open_web_session(session, user, now=T0)
    orm, quick = _both(session_factory, reads, cookie, T0)
    assert quick == orm and quick is not None and quick[1] == csrf
    assert quick[0]["role"] == "physician" and quick[0]["id"] == user.id
    last_moment = T0 + auth.WEB_SESSION_TTL - dt.timedelta(microseconds=1)
    assert _both(session_factory, reads, cookie, last_moment)[1] is not None
    assert _both(session_factory, reads, cookie, T0 + auth.WEB_SESSION_TTL) == (None, None)
    assert _both(session_factory, reads, "no such cookie", T0) == (None, None)
    with transaction(session_factory) as session:  # a role change counts at once
        session.execute(update(User).where(User.id == user.id).values(role="nurse"))
    orm, quick = _both(session_factory, reads, cookie, T0)
    assert quick == orm and quick[0]["role"] == "nurse"
    with transaction(session_factory) as session:
        session.execute(update(User).where(User.id == user.id).values(active=False))
    assert _both(session_factory, reads, cookie, T0) == (None, None)
    with transaction(session_factory) as session:
        session.execute(update(User).where(User.id == user.id).values(active=True))
        auth.revoke_credentials(session, None, user.id, "test")
    assert _both(session_factory, reads, cookie, T0) == (None, None)


def test_the_quick_user_is_detached_and_complete(
    session_factory: Factory, reads: QuickReads, make_user: MakeUser
) -> None:
    """Every column is loaded; merged into a unit of work it is the stored row (no insert)."""
    user = make_user(session_factory, "pharmacist")
    with transaction(session_factory) as session:
        cookie, _ = auth.open_web_session(session, user, now=T0)
    login = quick_login.session_login(reads, cookie, now=T0)
    assert login is not None
    with transaction(session_factory) as session:
        merged = session.merge(login.user)
        assert merged.username == user.username
    with session_factory() as session:
        assert session.query(User).filter(User.username == user.username).count() == 1


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secure_cookies=False))
    app.dependency_overrides[today] = lambda: TODAY
    with TestClient(app) as test_client:
        yield test_client


def test_course_page_login_counts_each_change_at_the_next_request(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The page's login is the quick read (the ORM read would fail here); a role change,
    a deactivation and an ended session each count at the very next page."""
    user = make_user(session_factory, "physician")
    _, course_id = _course(client, _api(client, user.username), "QUICK-LOGIN-1")
    browser = _browser(client, user.username)

    def no_orm_login(*_: Any, **__: Any) -> None:
        raise AssertionError("the course page read its login through the ORM")

    monkeypatch.setattr(auth, "user_for_session_cookie", no_orm_login)
    page = browser.get(f"/courses/{course_id}")
    assert page.status_code == 200 and "Sign an order" in page.text
    with transaction(session_factory) as session:
        session.execute(update(User).where(User.id == user.id).values(role="nurse"))
    page = browser.get(f"/courses/{course_id}")
    assert page.status_code == 200 and "Sign an order" not in page.text
    with transaction(session_factory) as session:
        session.execute(update(User).where(User.id == user.id).values(active=False))
    gone = browser.get(f"/courses/{course_id}", follow_redirects=False)
    assert gone.status_code == 303 and gone.headers["location"].startswith("/login")
    with transaction(session_factory) as session:
        session.execute(update(User).where(User.id == user.id).values(active=True))
    assert browser.get(f"/courses/{course_id}").status_code == 200
    with transaction(session_factory) as session:
        session.execute(WebSession.__table__.delete().where(WebSession.user_id == user.id))
    ended = browser.get(f"/courses/{course_id}", follow_redirects=False)
    assert ended.status_code == 303


def test_without_a_working_pool_the_ordinary_login_answers(
    client: TestClient, session_factory: Factory, make_user: MakeUser, tmp_path: Any
) -> None:
    user = make_user(session_factory, "physician")
    _, course_id = _course(client, _api(client, user.username), "QUICK-LOGIN-2")
    browser = _browser(client, user.username)
    expected = browser.get(f"/courses/{course_id}")
    state = client.app.state  # type: ignore[attr-defined]
    working = state.stored_reads
    nowhere = tmp_path / "missing" / "no.sqlite3"  # its directory does not exist
    state.stored_reads = QuickReads(create_engine(f"sqlite:///{nowhere}"))
    try:
        page = browser.get(f"/courses/{course_id}")
    finally:
        state.stored_reads.dispose()
        state.stored_reads = working
    assert page.status_code == 200
    assert page.text == expected.text
