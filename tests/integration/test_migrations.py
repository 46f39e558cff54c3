"""The migrations shipped in the package build exactly the schema of models.py."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from tests.integration.databases import empty_database

from inocds.adapters.db.engine import make_engine
from inocds.adapters.db.migrate import head_revision, upgrade
from inocds.adapters.db.models import Base


@pytest.fixture
def empty_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A new database with no tables at all."""
    with empty_database(backend, tmp_path) as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def _revision_and_diff(url: str) -> tuple[str | None, list[object]]:
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return context.get_current_revision(), compare_metadata(context, Base.metadata)
    finally:
        engine.dispose()


def test_upgrade_from_empty_creates_every_table(empty_url: str) -> None:
    """Upgrading an empty database creates every table of the models and the version table."""
    assert _tables(empty_url) == set()
    upgrade(empty_url)
    assert _tables(empty_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_upgraded_schema_matches_the_models(empty_url: str) -> None:
    """After upgrade, autogenerate finds no difference between the database and the models."""
    upgrade(empty_url)
    revision, diff = _revision_and_diff(empty_url)
    assert revision == head_revision()
    assert diff == []


def test_upgrade_twice_is_a_no_op(empty_url: str) -> None:
    """A second upgrade changes nothing and leaves the database at the head revision."""
    upgrade(empty_url)
    tables = _tables(empty_url)
    upgrade(empty_url)
    assert _tables(empty_url) == tables
    assert _revision_and_diff(empty_url) == (head_revision(), [])


def test_migrations_ship_inside_the_package() -> None:
    """The script directory is package data next to migrate.py, not a file of the checkout."""
    import inocds.adapters.db.migrate as migrate

    scripts = Path(migrate.__file__).parent / "migrations"
    assert (scripts / "env.py").is_file()
    assert (scripts / "script.py.mako").is_file()
    shipped = sorted(p.name for p in (scripts / "versions").glob("*.py"))
    assert {"0001_initial.py", "0002_integrity.py", "0003_security.py"} <= set(shipped)
    assert {"0004_pharmacy.py", "0006_patient_allergies.py"} <= set(shipped)
