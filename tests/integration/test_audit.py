"""The audit trail: hash-chained appends, safe under concurrency, and tampering caught."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import AuditEntry, Patient
from inocds.entrypoints.api import create_app
from inocds.services.accounts import create_user
from inocds.services.audit import (
    GENESIS_HASH,
    count,
    entry_hash,
    key_for,
    record,
    to_json,
    verify,
)
from inocds.services.auth import issue_token
from inocds.settings import Settings

CLI_TIMEOUT_S = 60.0


def _write_entries(factory: sessionmaker[Session], n: int, actor_id: int | None = None) -> None:
    for i in range(n):
        with transaction(factory) as session:
            record(session, actor_id, "thing.update", "thing", i, {"n": i}, {"n": i + 1})


def _entries(factory: sessionmaker[Session]) -> list[AuditEntry]:
    with factory() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def _cli_verify(url: str) -> subprocess.CompletedProcess[str]:
    inocds = Path(sys.executable).with_name("inocds")
    return subprocess.run(
        [str(inocds), "audit", "verify"],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        env={**os.environ, "INOCDS_DATABASE_URL": url},
    )


def test_chain_links_every_entry(
    fresh_session_factory: sessionmaker[Session], make_user: Any
) -> None:
    """Each entry links to the one before (the first to the genesis hash) and verifies."""
    user = make_user(fresh_session_factory)
    _write_entries(fresh_session_factory, 4, user.id)
    with transaction(fresh_session_factory) as session:  # two entries in one transaction
        record(session, user.id, "a", "thing", 1, None, {"x": 1.5})
        record(session, None, "b", "thing", 1, {"x": 1.5}, None)
    entries = _entries(fresh_session_factory)
    assert [e.prev_hash for e in entries] == [GENESIS_HASH] + [e.hash for e in entries[:-1]]
    with fresh_session_factory() as session:
        assert verify(session) == []
        assert count(session) == 6


def test_stored_hash_is_recomputable(fresh_session_factory: sessionmaker[Session]) -> None:
    """An entry read back (naive SQLite timestamps, JSON columns) hashes to its stored hash."""
    with transaction(fresh_session_factory) as session:
        made = record(session, None, "x", "thing", None, {"when": dt.date(2024, 5, 1)}, {"é": "ü"})
    (entry,) = _entries(fresh_session_factory)
    assert entry.before == {"when": "2024-05-01"}
    assert entry.hash == made.hash
    with fresh_session_factory() as session:
        key = key_for(session)
    assert entry.hash == entry_hash(
        entry.prev_hash, entry.at, None, "x", "thing", None, entry.before, entry.after, key=key
    )


def test_rolled_back_write_leaves_no_entry(fresh_session_factory: sessionmaker[Session]) -> None:
    """An entry rolls back with its transaction; the chain stays intact across the id gap."""
    _write_entries(fresh_session_factory, 2)
    with pytest.raises(RuntimeError), transaction(fresh_session_factory) as session:
        record(session, None, "lost", "thing", 9, None, None)
        raise RuntimeError("the write fails after its audit entry")
    _write_entries(fresh_session_factory, 2)
    assert [e.action for e in _entries(fresh_session_factory)].count("lost") == 0
    with fresh_session_factory() as session:
        assert verify(session) == []


def test_concurrent_appends_never_fork(fresh_session_factory: sessionmaker[Session]) -> None:
    """Eight threads appending at once leave one unbroken chain with every entry."""
    threads, per_thread = 8, 10
    errors: list[BaseException] = []
    barrier = threading.Barrier(threads)

    def work(worker: int) -> None:
        try:
            barrier.wait(timeout=30)
            for i in range(per_thread):
                with transaction(fresh_session_factory) as session:
                    record(session, None, "race", "thing", worker * 100 + i, None, {"i": i})
        except BaseException as error:  # reported below, in the test's thread
            errors.append(error)

    pool = [threading.Thread(target=work, args=(w,)) for w in range(threads)]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert errors == []
    with fresh_session_factory() as session:
        assert verify(session) == []
        assert count(session) == threads * per_thread


def test_to_json_snapshots_every_column(
    fresh_session_factory: sessionmaker[Session], make_user: Any
) -> None:
    """A row's snapshot names every column, with dates and times as ISO strings."""
    user = make_user(fresh_session_factory)
    with transaction(fresh_session_factory) as session:
        patient = Patient(
            mrn="A1",
            family_name="Doe",
            given_name="Jo",
            birth_date=dt.date(1980, 2, 3),
            sex="female",
            created_by=user.id,
        )
        session.add(patient)
        session.flush()
        snapshot = to_json(patient)
    assert set(snapshot) == set(Patient.__table__.columns.keys())
    assert snapshot["birth_date"] == "1980-02-03"
    assert snapshot["created_at"].endswith("+00:00")
    assert snapshot["history"] == {}


def test_edited_entry_is_caught(fresh_session_factory: sessionmaker[Session]) -> None:
    """Changing the `after` of a stored entry is reported as an edit of that entry."""
    _write_entries(fresh_session_factory, 4)
    with transaction(fresh_session_factory) as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == 2).values(after={"n": 99}))
        problems = verify(session)
    assert len(problems) == 1
    assert problems[0].startswith("entry 2: edited")


def test_inserted_entry_is_caught(fresh_session_factory: sessionmaker[Session]) -> None:
    """An entry sealed with the key but linked into the middle of the chain is reported."""
    _write_entries(fresh_session_factory, 4)
    second = _entries(fresh_session_factory)[1]
    with fresh_session_factory() as session:
        key = key_for(session)
    at = dt.datetime.now(dt.UTC)
    forged = {
        "at": at,
        "actor_id": None,
        "action": "thing.update",
        "entity": "thing",
        "entity_id": 1,
        "before": None,
        "after": {"n": 1000},
        "prev_hash": second.hash,
        "hash": entry_hash(
            second.hash, at, None, "thing.update", "thing", 1, None, {"n": 1000}, key=key
        ),
    }
    with transaction(fresh_session_factory) as session:
        session.execute(insert(AuditEntry).values(**forged))
        problems = verify(session)
    assert problems == ["entry 5: inserted (links to entry 2, not to entry 4)"]


def test_deleted_entry_is_caught(fresh_session_factory: sessionmaker[Session]) -> None:
    """Deleting an entry from the middle is reported at the entry after the gap."""
    _write_entries(fresh_session_factory, 4)
    with transaction(fresh_session_factory) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id == 2))
        problems = verify(session)
    assert len(problems) == 1
    assert problems[0].startswith("entry 3: an entry is missing between entry 1 and it")


def test_deleted_first_entry_is_caught(fresh_session_factory: sessionmaker[Session]) -> None:
    """Deleting the first entry is reported: the chain no longer starts at the genesis hash."""
    _write_entries(fresh_session_factory, 3)
    with transaction(fresh_session_factory) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id == 1))
        problems = verify(session)
    assert len(problems) == 1
    assert problems[0].startswith("entry 2: an entry is missing between the start of the log")


def test_cli_reports_intact_then_each_tampering(
    fresh_database_url: str, fresh_session_factory: sessionmaker[Session]
) -> None:
    """`inocds audit verify` exits 0 on an intact chain and 1 naming an edit and a deletion."""
    _write_entries(fresh_session_factory, 5)
    intact = _cli_verify(fresh_database_url)
    assert (intact.returncode, intact.stdout) == (0, "audit chain intact: 5 entries\n")
    with transaction(fresh_session_factory) as session:
        session.execute(update(AuditEntry).where(AuditEntry.id == 2).values(action="forged"))
        session.execute(delete(AuditEntry).where(AuditEntry.id == 4))
    broken = _cli_verify(fresh_database_url)
    assert broken.returncode == 1, broken.stdout + broken.stderr
    lines = broken.stdout.splitlines()
    assert lines[0] == "audit chain BROKEN: 2 problem(s) in 4 entries"
    assert lines[1].startswith("  entry 2: edited")
    assert lines[2].startswith("  entry 5: an entry is missing between entry 3 and it")


def test_api_pages_and_verifies_for_admins_only(
    fresh_database_url: str, fresh_session_factory: sessionmaker[Session]
) -> None:
    """GET /api/v1/audit pages newest first and /verify reports intact, for admins alone."""
    with transaction(fresh_session_factory) as session:  # audited accounts, as the CLI makes
        admin = create_user(session, None, "chief", "", "admin", "a long password 1")
        doctor = create_user(session, None, "doc", "", "physician", "a long password 2")
    with transaction(fresh_session_factory) as session:
        tokens = {u.role: issue_token(session, u) for u in (admin, doctor)}
    _write_entries(fresh_session_factory, 3)
    as_admin = {"Authorization": f"Bearer {tokens['admin']}"}
    with TestClient(
        create_app(Settings(database_url=fresh_database_url, secure_cookies=False))
    ) as service:
        page = service.get("/api/v1/audit?limit=2", headers=as_admin)
        checked = service.get("/api/v1/audit/verify", headers=as_admin)
        denied = service.get(
            "/api/v1/audit", headers={"Authorization": f"Bearer {tokens['physician']}"}
        )
        anonymous = service.get("/api/v1/audit/verify")
    assert page.status_code == 200
    assert page.json()["total"] == 7  # two user.create, two token.issue and three writes
    assert [e["id"] for e in page.json()["entries"]] == [7, 6]
    assert checked.json() == {"intact": True, "entries": 7, "problems": []}
    assert (denied.status_code, anonymous.status_code) == (403, 401)
