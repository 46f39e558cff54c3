"""The database as the entry points meet it: open it, migrate it, one unit of work, and
what a database error means for the caller (a passing failure, a conflict, a bug).

Entry points import this module, never SQLAlchemy or `adapters.db`, so every query and
every database type stays below the services line.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Literal

from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from inocds.adapters.db.engine import make_engine, make_session_factory, transaction
from inocds.adapters.db.migrate import head_revision, upgrade

__all__ = [
    "DatabaseFailure",
    "database_failure",
    "head_revision",
    "is_passing",
    "session_at",
    "transaction",
    "transaction_at",
    "upgrade",
]

DatabaseFailure = Literal["conflict", "busy", "out_of_range", "unavailable"]
"""What went wrong with the database, in the terms the HTTP answer needs."""

_PASSING_SQLSTATES = {"40001", "40P01", "55P03", "57014"}


def is_passing(error: BaseException) -> bool:
    """A database failure that another attempt may not meet (locks, deadlocks, races)."""
    if isinstance(error, sa_exc.IntegrityError):
        return True
    if isinstance(error, sa_exc.PendingRollbackError):
        return True
    if isinstance(error, sa_exc.DBAPIError):
        state = getattr(error.orig, "sqlstate", None)
        text = str(error.orig).lower()
        return state in _PASSING_SQLSTATES or "locked" in text or "busy" in text
    return False


def database_failure(error: BaseException) -> DatabaseFailure | None:
    """The kind of database failure `error` is, or None when it is none (a bug)."""
    if isinstance(error, sa_exc.IntegrityError):
        return "conflict"
    if isinstance(error, sa_exc.TimeoutError) or is_passing(error):
        return "busy"
    if isinstance(error, sa_exc.DataError):
        return "out_of_range"
    if isinstance(error, sa_exc.OperationalError):
        return "unavailable"
    return None


@contextmanager
def session_at(url: str) -> Iterator[Session]:
    """A session on the database at `url` (no commit); the engine is closed afterwards."""
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as session:
            yield session
    finally:
        engine.dispose()


@contextmanager
def transaction_at(url: str) -> Iterator[Session]:
    """One unit of work on the database at `url`; the engine is closed afterwards."""
    engine = make_engine(url)
    try:
        with transaction(make_session_factory(engine)) as session:
            yield session
    finally:
        engine.dispose()
