"""Migration 0002 on a database written under 0001: duplicates resolved, dose slots filled."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text
from tests.integration.databases import empty_database

from inocds.adapters.db.engine import make_engine
from inocds.adapters.db.migrate import _config, upgrade

NOW = "2026-05-04 08:00:00+00:00"
DOSE = '{"type": "dose", "date": "2026-05-04", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8}'


@pytest.fixture
def url_at_0001(backend: str, tmp_path: Path) -> Iterator[str]:
    """A database at revision 0001 holding the duplicates issue 10 found."""
    with empty_database(backend, tmp_path) as url:
        with _config(url) as config:
            command.upgrade(config, "0001")
        engine = make_engine(url)
        try:
            with engine.begin() as db:
                _write_duplicates(db)
        finally:
            engine.dispose()
        yield url


def _write_duplicates(db: object) -> None:
    execute = db.execute  # type: ignore[attr-defined]
    execute(
        text(
            "INSERT INTO users (id, username, full_name, role, password_hash, active, "
            "failed_logins, created_at, version) "
            "VALUES (1, 'doc', 'Doc', 'physician', 'x', true, 0, :now, 1)"
        ),
        {"now": NOW},
    )
    execute(
        text(
            "INSERT INTO patients (id, mrn, family_name, given_name, birth_date, sex, "
            "bsa_formula, history, diagnosis, medications, created_at, created_by, version) "
            "VALUES (1, 'M1', 'Doe', 'Jo', '1981-09-14', 'male', 'mosteller', '{}', '{}', "
            "'[]', :now, 1, 1)"
        ),
        {"now": NOW},
    )
    execute(
        text(
            "INSERT INTO courses (id, patient_id, hsct_planned, pretreatment, start_weight_kg, "
            "created_at, created_by, version) VALUES (1, 1, true, '{}', 60, :now, 1, 1)"
        ),
        {"now": NOW},
    )
    for order_id, status in ((1, "signed"), (2, "administered"), (3, "verified"), (4, "returned")):
        execute(
            text(
                "INSERT INTO orders (id, course_id, cycle, day, scheduled_on, height_cm, "
                "weight_kg, bsa_m2, dose_mg_per_m2, dose_mg, engine_decision, flagged, status, "
                "prescriber_id, signed_at, version) VALUES (:id, 1, 1, 1, '2026-05-04', 170, "
                "60, 1.68, 0.8, 1.34, '{}', false, :status, 1, :now, 1)"
            ),
            {"id": order_id, "status": status, "now": NOW},
        )
    for event_id in (1, 2):
        execute(
            text(
                "INSERT INTO course_events (id, course_id, type, payload, retracted, "
                "recorded_by, recorded_at) VALUES (:id, 1, 'dose', :payload, false, 1, :now)"
            ),
            {"id": event_id, "payload": DOSE, "now": NOW},
        )


def test_0002_keeps_one_live_order_and_one_dose_in_force(url_at_0001: str) -> None:
    """Orders 1 and 3 duplicate the administered order 2: cancelled with the reason; the
    returned order 4 is untouched; the first dose event holds the slot "1:1"."""
    upgrade(url_at_0001)
    engine = make_engine(url_at_0001)
    try:
        with engine.connect() as db:
            orders = db.execute(text("SELECT id, status, status_reason FROM orders ORDER BY id"))
            rows = {r.id: (r.status, r.status_reason) for r in orders}
            slots = db.execute(text("SELECT id, dose_slot FROM course_events ORDER BY id")).all()
    finally:
        engine.dispose()
    reason = "duplicate of order 2 (cancelled by migration 0002)"
    assert rows == {
        1: ("cancelled", reason),
        2: ("administered", None),
        3: ("cancelled", reason),
        4: ("returned", None),
    }
    assert [tuple(s) for s in slots] == [(1, "1:1"), (2, None)]
