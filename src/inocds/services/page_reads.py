"""Where the course page's reads go: the request's unit of work, or the quick-read pool.

The page's reads are Core SELECTs built once (`course_page`, `order_history`, `waste`).
Through a unit of work each costs SQLAlchemy's execution machinery and the session its
begin, commit and close; on one checked-out connection of the quick-read pool
(`adapters/db/quick_read.py`: autocommit, compiled once per dialect, each column decoded
by its type's own result processor) the same statements give the same rows, values and
types (tests compare them). The course page answered in front of the routing
(`entrypoints/web/course_page_asgi.py`) reads there; every other caller passes its
`Session` as before.

A read that needs the ORM (the measurement in force when the latest one is dated after
today) raises `NeedsUnitOfWork` on the quick path: its caller hands the request to the
ordinary route.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, TypeAlias

from sqlalchemy.orm import Session

from inocds.adapters.db.quick_read import AnySelect, QuickCursor, QuickReads

__all__ = ["NeedsUnitOfWork", "QuickRows", "Reads", "quick_rows", "rows_of"]


class NeedsUnitOfWork(Exception):
    """The quick path cannot read this: the ordinary route should answer."""


class QuickRows:
    """The page's reads on one connection of the quick-read pool."""

    def __init__(self, cursor: QuickCursor) -> None:
        self.cursor = cursor


Reads: TypeAlias = Session | QuickRows
"""Where a page's Core reads are made."""


@contextmanager
def quick_rows(reads: QuickReads) -> Iterator[QuickRows]:
    """A connection of the quick-read pool for a page's reads (`ReadUnavailable` when
    there is none, or when the database fails a statement)."""
    with reads.cursor() as cursor:
        yield QuickRows(cursor)


def rows_of(source: Reads, statement: AnySelect, values: dict[str, Any]) -> list[Any]:
    """Every row of `statement` with `values`: on the quick connection, or through the
    unit of work (flushed first: a Core query does not flush by itself as an ORM one does)."""
    if isinstance(source, QuickRows):
        return source.cursor.all(statement, values)
    if source.autoflush:
        source.flush()
    return list(source.connection().execute(statement, values).all())
