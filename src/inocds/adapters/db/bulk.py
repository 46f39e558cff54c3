"""Appending many rows to a table in one transaction, the cheapest way each backend has.

PostgreSQL: `COPY ... FROM STDIN` through psycopg (about 3 us of client CPU per row
against 15-25 us for an executemany INSERT, and a fraction of the server's work; measured
on the access log, NOTES.md round 2 session 10). SQLite and anything else: one Core
INSERT executed for all rows. Either way the rows are in the caller's transaction: they
are written at its commit, or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

__all__ = ["append_rows"]


def append_rows(
    session: Session, table: Table, columns: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    """Inserts `rows` (values in the order of `columns`) into `table` within `session`'s
    transaction (no defaults or RETURNING: every column given is written as it is)."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        names = ", ".join(connection.dialect.identifier_preparer.quote(c) for c in columns)
        target = connection.dialect.identifier_preparer.format_table(table)
        raw: Any = connection.connection.dbapi_connection  # a psycopg Connection
        with raw.cursor() as cursor, cursor.copy(f"COPY {target} ({names}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        return
    connection.execute(table.insert(), [dict(zip(columns, row, strict=True)) for row in rows])
