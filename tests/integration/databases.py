"""Test databases: an empty SQLite file or a new PostgreSQL database, and password hashes.

PostgreSQL databases are created on the server of `INOCDS_TEST_POSTGRES_URL` (default
`postgresql+psycopg://postgres@127.0.0.1:5432/test`) and dropped afterwards.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

__all__ = ["BACKENDS", "TEST_PASSWORD", "empty_database", "hash_password"]

POSTGRES_ADMIN_URL = os.environ.get(
    "INOCDS_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
BACKENDS = ("sqlite", "postgresql")
TEST_PASSWORD = "correct horse battery staple"


def hash_password(password: str) -> str:
    """The auth service's argon2 hash (argon2 directly if that service is absent)."""
    try:
        from inocds.services.auth import hash_password as service_hash
    except ImportError:
        from argon2 import PasswordHasher

        return PasswordHasher().hash(password)
    return service_hash(password)


@contextmanager
def _postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database; dropped (connections forced out) on exit."""
    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"inocds_t_{secrets.token_hex(6)}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextmanager
def empty_database(backend: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database of `backend` ('sqlite' files go in `directory`)."""
    if backend == "sqlite":
        yield f"sqlite:///{directory / f'inocds-{secrets.token_hex(4)}.sqlite3'}"
        return
    with _postgres_database() as url:
        yield url
