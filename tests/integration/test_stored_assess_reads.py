"""The stored assess's quick reads (adapters/db/quick_read.py), on SQLite and PostgreSQL.

The one-step stored assess reads through its own autocommit pool with statements compiled
once and rows decoded by hand. What must hold: a row is what SQLAlchemy's own execution
gives (values and types), a read in one step still leaves its access-log row, one user's
answer never reaches another (the prepared statement holds no values), and when the
quick read cannot be made the ordinary route answers the same.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.conftest import MakeUser
from tests.integration.test_stored_assess_fast import (
    TODAY,
    _assess,
    _course,
    _stateless,
    _token,
    fast_calls,
)

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.quick_read import QuickReads
from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.clock import today
from inocds.services import course_snapshot
from inocds.services.access_log import Access, AccessLogWriter, list_accesses
from inocds.services.auth import token_digest
from inocds.settings import Settings

__all__ = ["fast_calls"]  # the fixture, shared with test_stored_assess_fast

Factory = sessionmaker[Session]


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    app = create_app(Settings(database_url=database_url, secure_cookies=False))
    app.dependency_overrides[today] = lambda: TODAY
    with TestClient(app) as test_client:
        yield test_client


def _patient_id(client: TestClient, headers: dict[str, str], course_id: int) -> int:
    patient_id: int = client.get(f"/api/v1/courses/{course_id}", headers=headers).json()[
        "patient_id"
    ]
    return patient_id


def _same_rows(quick: list[Any], orm: list[Any]) -> None:
    assert [row._asdict() for row in quick] == [row._asdict() for row in orm]
    for quick_row, orm_row in zip(quick, orm, strict=True):
        assert [type(v) for v in quick_row] == [type(v) for v in orm_row], quick_row._fields


@pytest.mark.parametrize("on", [TODAY, dt.date(2025, 12, 1)], ids=["today", "before-any-weight"])
def test_quick_rows_are_sqlalchemys_rows(
    client: TestClient, session_factory: Factory, make_user: MakeUser, on: dt.date
) -> None:
    """The head (token, user, course, patient, measurement) and the event rows, with a
    patient whose history, diagnosis and medications are filled in."""
    user = make_user(session_factory, "physician")
    doctor = _token(client, user.username)
    course_id = _course(client, doctor, f"READS-1-{on}")
    patient_id = _patient_id(client, doctor, course_id)
    version = client.get(f"/api/v1/patients/{patient_id}", headers=doctor).json()["version"]
    edited = client.patch(
        f"/api/v1/patients/{patient_id}",
        headers=doctor,
        json={"version": version, "medications": ["fluconazole"], "can_become_pregnant": False},
    )
    assert edited.status_code == 200, edited.text
    reads: QuickReads = client.app.state.stored_reads  # type: ignore[attr-defined]
    token = doctor["Authorization"].split(" ", 1)[1]
    values = {"course_id": course_id, "on": on, "digest": token_digest(token)}
    with reads.cursor() as cursor:
        head = cursor.all(course_snapshot._VERIFIED_HEAD, values)
        events = cursor.all(course_snapshot._EVENTS, {"course_id": course_id})
    with transaction(session_factory) as session:
        connection = session.connection()
        orm_head = connection.execute(course_snapshot._VERIFIED_HEAD, values).all()
        orm_events = connection.execute(course_snapshot._EVENTS, {"course_id": course_id}).all()
    assert len(head) == 1 and len(events) == 2
    assert json.loads(head[0].medications) == ["fluconazole"]  # its stored text: the key
    assert head[0].can_become_pregnant is False
    _same_rows(head, orm_head)
    _same_rows(events, orm_events)


def test_a_read_in_one_step_leaves_its_access_log_row(
    client: TestClient, session_factory: Factory, make_user: MakeUser, fast_calls: list[bool]
) -> None:
    user = make_user(session_factory, "physician")
    doctor = _token(client, user.username)
    course_id = _course(client, doctor, "READS-2")
    patient_id = _patient_id(client, doctor, course_id)
    client.app.state.access_log.flush()  # type: ignore[attr-defined]
    assert _assess(client, doctor, course_id).status_code == 200
    assert fast_calls == [True]
    client.app.state.access_log.flush()  # type: ignore[attr-defined]
    with transaction(session_factory) as session:
        rows = list_accesses(session, patient_id=patient_id, user_id=user.id)
    actions = [row.action for row in rows]
    assert f"POST /api/v1/courses/{course_id}/assess" in actions


def test_users_alternating_on_one_prepared_statement_get_their_own_answers(
    client: TestClient, session_factory: Factory, make_user: MakeUser, fast_calls: list[bool]
) -> None:
    """Physician, admin (403: may not assess), nurse on another course, physician again."""
    doctor = _token(client, make_user(session_factory, "physician").username)
    admin = _token(client, make_user(session_factory, "admin").username)
    nurse = _token(client, make_user(session_factory, "nurse").username)
    first = _course(client, doctor, "READS-3a")
    second = _course(client, doctor, "READS-3b")
    day8 = {"type": "dose", "date": "2026-01-12", "cycle": 1, "day": 8, "dose_mg_per_m2": 0.5}
    assert client.post(f"/api/v1/courses/{second}/events", headers=doctor, json=day8).is_success
    answers = [
        _assess(client, doctor, first),
        _assess(client, admin, first),
        _assess(client, nurse, second),
        _assess(client, doctor, first),
    ]
    assert [a.status_code for a in answers] == [200, 403, 200, 200]
    assert answers[0].json() == answers[3].json() == _stateless(client, doctor, first)
    assert answers[2].json() == _stateless(client, nurse, second) != answers[0].json()
    assert fast_calls == [True, False, True, True]


def test_no_quick_read_means_the_ordinary_routes_answer(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    fast_calls: list[bool],
    tmp_path: Any,
) -> None:
    """A read pool that cannot connect: the same answer, from the ordinary route."""
    doctor = _token(client, make_user(session_factory, "physician").username)
    course_id = _course(client, doctor, "READS-4")
    expected = _stateless(client, doctor, course_id)
    state = client.app.state  # type: ignore[attr-defined]
    working = state.stored_reads
    nowhere = tmp_path / "missing" / "no.sqlite3"  # its directory does not exist
    state.stored_reads = QuickReads(create_engine(f"sqlite:///{nowhere}"))
    try:
        answer = _assess(client, doctor, course_id)
    finally:
        state.stored_reads.dispose()
        state.stored_reads = working
    assert answer.status_code == 200
    assert answer.json() == expected
    assert answer.json()["action"] == "give"  # day 8 is due
    assert fast_calls == [False]


def test_every_stored_value_of_the_document_is_in_the_cache_key() -> None:
    """Changing any one column the patient block is made of (JSON ones as their stored
    text), the event head, the course or today's block gives another key."""
    base: dict[str, Any] = {
        "patient_id": 3,
        "hsct_planned": False,
        "pretreatment": '{"anc_per_mm3": 1500}',
        "birth_date": dt.date(1970, 2, 3),
        "sex": "male",
        "history": "{}",
        "medications": "[]",
        "bsa_formula": "mosteller",
        "can_become_pregnant": None,
        "diagnosis": "{}",
        "height_cm": 170.0,
        "weight_kg": 60.0,
        "newest_event": 9,
        "event_rows": 2,
    }
    other = {
        "hsct_planned": True,
        "pretreatment": '{"anc_per_mm3": 1501}',
        "birth_date": dt.date(1970, 2, 4),
        "sex": "female",
        "history": '{"prior_hsct": true}',
        "medications": '["fluconazole"]',
        "bsa_formula": "dubois",
        "can_become_pregnant": False,
        "diagnosis": '{"ph": "positive"}',
        "height_cm": 171.0,
        "weight_kg": 60.5,
        "newest_event": 10,
        "event_rows": 3,
    }
    assert set(course_snapshot.DOCUMENT_COLUMNS) < set(other)
    today_block = {"date": "2026-01-12"}
    key = course_snapshot._key(7, SimpleNamespace(**base), today_block)
    assert key and key == course_snapshot._key(7, SimpleNamespace(**base), dict(today_block))
    for name, value in other.items():
        changed = course_snapshot._key(7, SimpleNamespace(**{**base, name: value}), today_block)
        assert changed and changed != key, name
    assert course_snapshot._key(8, SimpleNamespace(**base), today_block) != key
    later = {"date": "2026-01-13"}
    assert course_snapshot._key(7, SimpleNamespace(**base), later) != key


def _utc(moment: dt.datetime) -> dt.datetime:
    """SQLite gives naive UTC, PostgreSQL the session's time zone."""
    return moment.astimezone(dt.UTC) if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def test_the_access_log_writer_keeps_every_value(session_factory: Factory) -> None:
    """Batches go in with one COPY on PostgreSQL, one INSERT elsewhere: no value changes
    on the way (no user, no patient, text that COPY's format escapes), none is lost."""
    at = dt.datetime(2026, 1, 12, 8, 30, 15, 123456, tzinfo=dt.UTC)
    marker = f"GET /patients/{secrets.token_hex(4)}"
    actions = [marker, f"{marker} é\t;,\\N", f"{marker} \\ 'q' \"d\""]
    written = [(None, None), (7, None), (None, 9)]
    writer = AccessLogWriter(session_factory)
    for (user_id, patient_id), action in zip(written, actions, strict=True):
        writer.put(Access(at, user_id, patient_id, action))
    writer.stop()  # the last batch is written before stop returns
    with transaction(session_factory) as session:
        rows = [r for r in list_accesses(session, limit=500) if r.action.startswith(marker)]
    found = sorted((r.action, r.user_id, r.patient_id, _utc(r.at)) for r in rows)
    expected = [(a, u, p, at) for (u, p), a in zip(written, actions, strict=True)]
    assert found == sorted(expected)
