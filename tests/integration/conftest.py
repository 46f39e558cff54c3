"""Integration fixtures: every storage test runs on SQLite and on the real PostgreSQL.

`database_url` is one migrated database per test module and backend (a temporary
SQLite file, or a fresh PostgreSQL database `inocds_t_<random>` created on the
server of `INOCDS_TEST_POSTGRES_URL`, default 127.0.0.1:5432, and dropped after).
`fresh_database_url` is the same but new for each test, for tests that tamper with
rows or count them. PostgreSQL being down fails the tests: `make test` starts it
(scripts/ensure-postgres). `make_user` inserts a user directly (argon2 password).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.databases import BACKENDS, TEST_PASSWORD, empty_database, hash_password

from inocds.adapters.db.engine import make_engine, make_session_factory
from inocds.adapters.db.migrate import upgrade
from inocds.adapters.db.models import User


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """'sqlite' or 'postgresql': every test using the database runs on both."""
    kind: str = request.param
    return kind


@pytest.fixture(scope="module")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database shared by the tests of one module (per backend)."""
    with empty_database(backend, tmp_path_factory.mktemp("db")) as url:
        upgrade(url)
        yield url


@pytest.fixture
def fresh_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A migrated database for this test alone."""
    with empty_database(backend, tmp_path) as url:
        upgrade(url)
        yield url


def _factory(url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(url)
    try:
        yield make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def session_factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the module's database (`engine.transaction(factory)` for a unit of work)."""
    yield from _factory(database_url)


@pytest.fixture
def fresh_session_factory(fresh_database_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on this test's own database."""
    yield from _factory(fresh_database_url)


MakeUser = Callable[..., User]
"""`make_user(factory, role="physician", username=None, password=TEST_PASSWORD) -> User`."""


@pytest.fixture(scope="session")
def make_user() -> MakeUser:
    """Inserts an active user directly (no audit entry); a unique username when none is given."""

    def make(
        factory: sessionmaker[Session],
        role: str = "physician",
        username: str | None = None,
        password: str = TEST_PASSWORD,
    ) -> User:
        user = User(
            username=username or f"{role}-{secrets.token_hex(4)}",
            full_name=f"Test {role.title()}",
            role=role,
            password_hash=hash_password(password),
            active=True,
            failed_logins=0,
            version=1,
        )
        with factory.begin() as session:
            session.add(user)
        return user

    return make
