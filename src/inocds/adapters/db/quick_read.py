"""Reads of one or two prepared SELECTs on a small pool of their own: no ORM session, no
BEGIN / COMMIT, no pre-ping, no per-call statement compilation.

Made for the hottest read of the service (a stored-course assess: one SELECT joining the
token, the user and the course head). Through a `Session` that read cost, on PostgreSQL,
four round trips (pre-ping, BEGIN, the SELECT, COMMIT) and ~0.1 ms of SQLAlchemy's
execution machinery; here it is one round trip:

- the pool's connections are in autocommit (`READ_ENGINE_OPTIONS`): a lone SELECT needs
  no transaction (PostgreSQL's default READ COMMITTED gives each statement its own
  snapshot either way; pysqlite never opened one for a SELECT);
- each statement is compiled once per dialect; a call binds its values through the
  type's own bind processors and decodes each column through the type's own result
  processors, so a row holds what `Connection.execute` would give (tests compare them);
- no pre-ping: a connection the server dropped fails its query instead, and the caller
  is told `ReadUnavailable` (the connection is discarded) and asks the ordinary,
  pinged path. PostgreSQL prepares a statement after five uses (psycopg's default).

The pool is small (`READ_POOL_SIZE` connections per process, on top of the main pool's)
and never waits long for a connection: a caller that finds none within
`READ_POOL_TIMEOUT_S` is told `ReadUnavailable` as well.
"""

from __future__ import annotations

import threading
from collections import namedtuple
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

from sqlalchemy import Engine, Select
from sqlalchemy import exc as sa_exc

__all__ = [
    "READ_ENGINE_OPTIONS",
    "READ_POOL_SIZE",
    "AnySelect",
    "QuickCursor",
    "QuickReads",
    "ReadUnavailable",
]

AnySelect: TypeAlias = Select[*tuple[Any, ...]]
"""A SELECT of any columns."""
READ_POOL_SIZE = 4
"""Connections of the read pool, per process (the stored assess reads from as many threads)."""
READ_MAX_OVERFLOW = 0
READ_POOL_TIMEOUT_S = 1.0
READ_ENGINE_OPTIONS: dict[str, Any] = {
    "isolation_level": "AUTOCOMMIT",
    "pool_pre_ping": False,
    "pool_size": READ_POOL_SIZE,
    "max_overflow": READ_MAX_OVERFLOW,
    "pool_timeout": READ_POOL_TIMEOUT_S,
}
"""create_engine options of the read pool (see `engine.make_read_engine`)."""


class ReadUnavailable(Exception):
    """The quick read could not be made (no connection, or the database refused it)."""


class _Prepared:
    """One statement compiled for one dialect, with its bind and result processors."""

    def __init__(self, statement: AnySelect, engine: Engine) -> None:
        dialect = engine.dialect
        compiled = statement.compile(dialect=dialect)
        self.compiled = compiled
        self.sql = compiled.string
        self.positions: tuple[str, ...] | None = (
            tuple(compiled.positiontup) if compiled.positiontup is not None else None
        )
        self.binds: dict[str, Callable[[Any], Any]] = {}
        for name, bind in compiled.binds.items():
            processor = bind.type.dialect_impl(dialect).bind_processor(dialect)
            if processor is not None:
                self.binds[name] = processor
        self.types = [column.type.dialect_impl(dialect) for column in statement.selected_columns]
        self.dialect = dialect
        self.row: Any = namedtuple("QuickRow", list(statement.selected_columns.keys()))  # type: ignore[misc]
        self._results: list[tuple[int, Callable[[Any], Any]]] | None = None

    def parameters(self, values: dict[str, Any]) -> Any:
        """The DBAPI parameters for `values` (named or positional, as the driver wants)."""
        params = self.compiled.construct_params(values)
        for name, processor in self.binds.items():
            if name in params:
                params[name] = processor(params[name])
        if self.positions is None:
            return params
        return tuple(params[name] for name in self.positions)

    def results(self, cursor: Any) -> list[tuple[int, Callable[[Any], Any]]]:
        """The result processors for the columns the driver described at the first
        execution (SQLAlchemy picks some by the column's type code, e.g. a PostgreSQL float
        against a numeric); the codes of one statement's columns do not change while the
        process runs (migrations run before it serves), and reading the description again
        costs the driver a column object per column per call."""
        found = self._results
        if found is None:
            codes = [column[1] for column in cursor.description]
            processors = [
                kind.result_processor(self.dialect, code)
                for kind, code in zip(self.types, codes, strict=True)
            ]
            found = [(i, p) for i, p in enumerate(processors) if p is not None]
            self._results = found
        return found

    def decode(
        self, processors: list[tuple[int, Callable[[Any], Any]]], raws: list[Any]
    ) -> list[Any]:
        """The rows with each column decoded as SQLAlchemy decodes it (`processors`: the
        columns that have a processor, by position; the others are the driver's values)."""
        make = self.row._make
        if not processors:
            return [make(raw) for raw in raws]
        rows: list[Any] = []
        for raw in raws:
            values = list(raw)
            for index, processor in processors:
                values[index] = processor(values[index])
            rows.append(make(values))
        return rows


class QuickCursor:
    """Runs prepared statements on one checked-out autocommit connection."""

    def __init__(self, reads: QuickReads, cursor: Any) -> None:
        self._reads = reads
        self._cursor = cursor

    def all(self, statement: AnySelect, values: dict[str, Any]) -> list[Any]:
        """Every row of `statement` with `values` bound, decoded."""
        prepared = self._reads.prepared(statement)
        self._cursor.execute(prepared.sql, prepared.parameters(values))
        processors = prepared.results(self._cursor)
        return prepared.decode(processors, self._cursor.fetchall())

    def first(self, statement: AnySelect, values: dict[str, Any]) -> Any | None:
        """The first row (or None) of `statement` with `values` bound, decoded."""
        rows = self.all(statement, values)
        return rows[0] if rows else None


class QuickReads:
    """Prepared reads on the pool of a read engine (`engine.make_read_engine`)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._prepared: dict[int, tuple[AnySelect, _Prepared]] = {}
        self._lock = threading.Lock()

    def prepared(self, statement: AnySelect) -> _Prepared:
        """`statement` compiled for this engine (once; kept while the reads live)."""
        found = self._prepared.get(id(statement))
        if found is not None and found[0] is statement:
            return found[1]
        with self._lock:
            made = _Prepared(statement, self.engine)
            self._prepared[id(statement)] = (statement, made)
            return made

    @contextmanager
    def cursor(self) -> Iterator[QuickCursor]:
        """A cursor on a pooled connection; `ReadUnavailable` when there is none, or when
        the database fails a statement (that connection is then discarded)."""
        dbapi = self.engine.dialect.loaded_dbapi
        try:
            connection = self.engine.raw_connection()
        except (sa_exc.TimeoutError, sa_exc.DBAPIError, dbapi.Error) as error:
            raise ReadUnavailable(str(error)) from error
        try:
            cursor = connection.cursor()
            try:
                yield QuickCursor(self, cursor)
            finally:
                cursor.close()
        except dbapi.Error as error:
            connection.invalidate(error)
            raise ReadUnavailable(str(error)) from error
        finally:
            connection.close()

    def dispose(self) -> None:
        """Closes the pool's connections (the app's shutdown)."""
        self.engine.dispose()
