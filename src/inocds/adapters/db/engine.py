"""Engine and sessions: SQLite (WAL, foreign keys on) or PostgreSQL from one URL.

Pool sizing (both backends, per server process): `INOCDS_DB_POOL_SIZE` kept connections
(default 10) plus `INOCDS_DB_MAX_OVERFLOW` more under load (default 10), 20 at most. The
HTTP shell lets as many requests run at once as the pool holds (the others wait before
taking a thread), below the 40 threads that run handlers, so a handler never waits for
a connection held by a request that waits for a thread. A handler that still finds no
connection within `INOCDS_DB_POOL_TIMEOUT` seconds (default 10) gets a pool timeout,
answered 503 with Retry-After. With N worker processes PostgreSQL needs N x 20
connections (its default max_connections is 100), plus the read pool's 4 per process
(`make_read_engine`, `quick_read.READ_ENGINE_OPTIONS`): 24 per process in all.

Writes that must see the state they check (course events, orders) call `lock_row` first:
`SELECT ... FOR UPDATE` on PostgreSQL, `BEGIN IMMEDIATE` on SQLite (the whole database is
the unit of locking there; reads before it run outside any transaction, the pysqlite way).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.quick_read import READ_ENGINE_OPTIONS

__all__ = [
    "lock_row",
    "make_engine",
    "make_read_engine",
    "make_session_factory",
    "pool_settings",
    "transaction",
]


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def pool_settings(environ: dict[str, str] | None = None) -> dict[str, int]:
    """pool_size, max_overflow and pool_timeout from the environment (see the module doc)."""
    env = os.environ if environ is None else environ

    def number(name: str, default: int) -> int:
        raw = env.get(name, "")
        return int(raw) if raw.isdigit() else default

    return {
        "pool_size": number("INOCDS_DB_POOL_SIZE", 10),
        "max_overflow": number("INOCDS_DB_MAX_OVERFLOW", 10),
        "pool_timeout": number("INOCDS_DB_POOL_TIMEOUT", 10),
    }


def make_engine(url: str) -> Engine:
    """An engine for `url`; SQLite gets WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        pool = pool_settings() if ":memory:" not in url and url != "sqlite://" else {}
        engine = create_engine(url, connect_args={"check_same_thread": False}, **pool)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True, **pool_settings())


def make_read_engine(url: str) -> Engine | None:
    """The engine of the quick reads (`quick_read.py`): autocommit connections of a small
    pool of their own, no pre-ping. None for an in-memory SQLite database, which a second
    pool would not see (the callers then take the ordinary path)."""
    if not url.startswith("sqlite"):
        return create_engine(url, **READ_ENGINE_OPTIONS)
    if ":memory:" in url or url == "sqlite://" or "mode=memory" in url:
        return None
    engine = create_engine(url, connect_args={"check_same_thread": False}, **READ_ENGINE_OPTIONS)
    event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def lock_row(session: Session, model: Any, row_id: int) -> None:
    """Serialises writers on one row until commit: FOR UPDATE, or BEGIN IMMEDIATE on SQLite.

    On SQLite the write lock is the database's; it is taken at once (waiting up to the busy
    timeout) unless this transaction already writes, which means it holds it already.
    """
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        raw = connection.connection.dbapi_connection
        if raw is not None and not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        return
    session.execute(select(model.id).where(model.id == row_id).with_for_update())


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that do not expire objects on commit (answers are built after commit)."""
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on any error."""
    session = factory()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
