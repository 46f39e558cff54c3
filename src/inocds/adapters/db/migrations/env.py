"""Alembic environment: the URL comes from `inocds.adapters.db.migrate`, never from a file.

Online only. On PostgreSQL a transaction-scoped advisory lock serializes concurrent
upgrades (two service processes starting at once); SQLite gets batch mode so that
ALTER TABLE works.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import text

from inocds.adapters.db.engine import make_engine
from inocds.adapters.db.models import Base

_PG_MIGRATION_LOCK = 0x696E6F6364735F6D  # "inocds_m"


def run_migrations_online() -> None:
    """Runs the pending migrations in one transaction on the configured URL."""
    url = context.config.attributes["url"]
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=Base.metadata,
                render_as_batch=connection.dialect.name == "sqlite",
                compare_type=True,
            )
            with context.begin_transaction():
                if connection.dialect.name == "postgresql":
                    connection.execute(
                        text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_MIGRATION_LOCK}
                    )
                context.run_migrations()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (SQL script) migrations are not supported; use `inocds db upgrade`")
run_migrations_online()
