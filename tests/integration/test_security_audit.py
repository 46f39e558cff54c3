"""The audit trail one can trust, on SQLite and PostgreSQL: forged, deleted and edited rows.

Every account here is made through the service (audited), so that an intact database
verifies with no problem at all; then one tampering at a time, made with plain SQL as
a database writer without the audit key would, must be reported.
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from inocds.adapters.db.audit_key import audit_key, key_file_path
from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import AuditEntry, Order
from inocds.entrypoints.api import create_app
from inocds.services import courses, orders, patients
from inocds.services.accounts import create_user
from inocds.services.audit import legacy_hash
from inocds.services.audit_verify import anchor, verify_all
from inocds.services.auth import issue_token
from inocds.settings import Settings

Factory = sessionmaker[Session]
DAY1 = dt.date(2026, 5, 4)
PASSWORD = "correct horse battery"
CLI_TIMEOUT_S = 60.0


def _team(factory: Factory) -> dict[str, Any]:
    with transaction(factory) as session:
        return {
            role: create_user(session, None, f"{role}-1", "", role, PASSWORD)
            for role in ("physician", "admin")
        }


def _order(factory: Factory, physician: Any) -> tuple[int, int]:
    """A patient (170 cm, 60 kg: BSA 1.68 m2) with a course and a signed C1D1 order."""
    with transaction(factory) as s:
        patient = patients.create_patient(
            s,
            physician,
            patients.PatientInput(
                mrn="MRN-A1",
                family_name="Doe",
                given_name="Jo",
                birth_date=dt.date(1981, 9, 14),
                sex="male",
                height_cm=170,
                weight_kg=60,
                measured_on=DAY1,
            ),
        )
        pretreatment = {  # counts and liver tests: labs.missing holds a first dose without them
            "anc_per_mm3": 1500,
            "platelets_per_mm3": 70000,
            "bilirubin": {"value": 0.6, "uln": 1.2},
            "ast": {"value": 25, "uln": 40},
            "alt": {"value": 22, "uln": 40},
        }
        course = courses.create_course(s, physician, patient.id, True, pretreatment, DAY1)
        order = orders.sign(s, physician, course.id, orders.OrderInput(1, 1, 0.8, DAY1), DAY1)
        return patient.id, order.id


def _verify(factory: Factory, anchor_text: str | None = None) -> list[str]:
    with factory() as session:
        return verify_all(session, anchor_text)


def _cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    inocds = Path(sys.executable).with_name("inocds")
    return subprocess.run(
        [str(inocds), "audit", *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_S,
        env={**os.environ, "INOCDS_DATABASE_URL": url},
    )


def test_an_intact_database_verifies_clean(fresh_session_factory: Factory) -> None:
    """Accounts, a patient, a course and a signed order, all written by the service: no problem."""
    team = _team(fresh_session_factory)
    _order(fresh_session_factory, team["physician"])
    assert _verify(fresh_session_factory) == []


def test_an_order_dose_edited_in_sql_is_reported(fresh_session_factory: Factory) -> None:
    """`UPDATE orders SET dose_mg = 13.4` (ten times 1.34 mg) is reported as an outside edit."""
    team = _team(fresh_session_factory)
    patient_id, order_id = _order(fresh_session_factory, team["physician"])
    with transaction(fresh_session_factory) as session:
        session.execute(update(Order).where(Order.id == order_id).values(dose_mg=13.4))
        session.execute(
            text("UPDATE patients SET family_name = 'Roe' WHERE id = :id"), {"id": patient_id}
        )
    problems = _verify(fresh_session_factory)
    assert problems == [
        f"order {order_id}: differs from its last audited state (edited outside the application)",
        f"patient {patient_id}: differs from its last audited state "
        "(edited outside the application)",
    ]


def test_a_row_inserted_or_deleted_in_sql_is_reported(fresh_session_factory: Factory) -> None:
    """A user inserted without the service, and an audited course event deleted, are reported."""
    team = _team(fresh_session_factory)
    _order(fresh_session_factory, team["physician"])
    with transaction(fresh_session_factory) as session:
        session.execute(
            text(
                "INSERT INTO users (username, full_name, role, password_hash, active, "
                "failed_logins, created_at, version) VALUES ('mallory', '', 'admin', 'x', "
                ":yes, 0, :now, 1)"
            ),
            {"yes": True, "now": dt.datetime.now(dt.UTC)},
        )
        mallory = session.scalar(text("SELECT id FROM users WHERE username = 'mallory'"))
    problems = _verify(fresh_session_factory)
    assert problems == [f"user {mallory}: no audited state (written outside the application)"]


def test_an_entry_appended_without_the_key_is_reported(fresh_session_factory: Factory) -> None:
    """A well-linked entry sealed by the keyless algorithm (all an outsider can do) is forged."""
    team = _team(fresh_session_factory)
    with fresh_session_factory() as session:
        head = session.scalar(select(AuditEntry).order_by(AuditEntry.id.desc()).limit(1))
        assert head is not None
        head_id, head_hash = head.id, head.hash
    at = dt.datetime.now(dt.UTC)
    after = {"role": "admin"}
    forged = legacy_hash(head_hash, at, None, "user.update", "thing", 1, None, after)
    with transaction(fresh_session_factory) as session:
        session.execute(
            insert(AuditEntry).values(
                at=at,
                actor_id=team["admin"].id,
                action="user.update",
                entity="thing",
                entity_id=1,
                before=None,
                after=after,
                prev_hash=head_hash,
                hash=forged,
            )
        )
    problems = _verify(fresh_session_factory)
    assert problems == [
        f"entry {head_id + 1}: edited or forged (its contents do not match its HMAC)"
    ]


def test_the_newest_entries_deleted_are_seen_against_the_anchor(
    fresh_database_url: str, fresh_session_factory: Factory
) -> None:
    """The chain alone cannot see its last entries gone; `verify --anchor` does (CLI, exit 1)."""
    team = _team(fresh_session_factory)
    _order(fresh_session_factory, team["physician"])
    printed = _cli(fresh_database_url, "anchor")
    assert printed.returncode == 0, printed.stderr
    head = printed.stdout.strip()
    with fresh_session_factory() as session:
        assert head == anchor(session)
    head_id = int(head.split(":")[0])
    assert _cli(fresh_database_url, "verify", "--anchor", head).returncode == 0
    with transaction(fresh_session_factory) as session:
        session.execute(delete(AuditEntry).where(AuditEntry.id >= head_id - 1))
    assert not any(p.startswith("entry") for p in _verify(fresh_session_factory))
    checked = _cli(fresh_database_url, "verify", "--anchor", head)
    assert checked.returncode == 1
    assert f"anchor {head_id}: the anchored entry is gone" in checked.stdout
    malformed = _cli(fresh_database_url, "verify", "--anchor", "not-an-anchor")
    assert malformed.returncode == 2 and '"field": "anchor"' in malformed.stdout


def test_the_key_file_is_private(tmp_path: Path) -> None:
    """Without INOCDS_AUDIT_KEY, a 64-hex-digit key file is made beside the SQLite file, 0600."""
    url = f"sqlite:///{tmp_path / 'keyed.sqlite3'}"
    key = audit_key(url, None, None)
    path = key_file_path(url)
    assert path == tmp_path / "inocds-audit.key"
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(key) == 64 and audit_key(url, None, None) == key
    assert audit_key(url, "k" * 40, None) == b"k" * 40


def test_reads_of_patient_data_reach_the_access_log(
    fresh_database_url: str, fresh_session_factory: Factory
) -> None:
    """Reading a patient, its course and an order logs who read which patient; admins read it."""
    team = _team(fresh_session_factory)
    patient_id, order_id = _order(fresh_session_factory, team["physician"])
    with transaction(fresh_session_factory) as session:
        token = {r: issue_token(session, u) for r, u in team.items()}
    doctor = {"Authorization": f"Bearer {token['physician']}"}
    admin = {"Authorization": f"Bearer {token['admin']}"}
    settings = Settings(database_url=fresh_database_url, secure_cookies=False)
    with TestClient(create_app(settings)) as service:
        assert service.get(f"/api/v1/patients/{patient_id}", headers=doctor).status_code == 200
        assert service.get(f"/api/v1/orders/{order_id}", headers=doctor).status_code == 200
        login = {"username": "physician-1", "password": PASSWORD}
        assert service.post("/login", data=login, follow_redirects=False).status_code == 303
        assert service.get(f"/patients/{patient_id}").status_code == 200
        log = service.get(f"/api/v1/audit/access?patient_id={patient_id}", headers=admin)
        refused = service.get("/api/v1/audit/access", headers=doctor)
    assert log.status_code == 200 and refused.status_code == 403
    seen = {(e["user_id"], e["patient_id"], e["action"]) for e in log.json()["entries"]}
    doc = team["physician"].id
    assert {
        (doc, patient_id, f"GET /api/v1/patients/{patient_id}"),
        (doc, patient_id, f"GET /api/v1/orders/{order_id}"),
        (doc, patient_id, f"GET /patients/{patient_id}"),
    } <= seen


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_the_writer_flushes_on_shutdown(
    fresh_database_url: str, fresh_session_factory: Factory
) -> None:
    """Reads still queued when the service stops are written before it exits."""
    team = _team(fresh_session_factory)
    patient_id, _ = _order(fresh_session_factory, team["physician"])
    with transaction(fresh_session_factory) as session:
        token = issue_token(session, team["physician"])
    settings = Settings(database_url=fresh_database_url, secure_cookies=False)
    with TestClient(create_app(settings)) as service:
        for _ in range(5):
            service.get(
                f"/api/v1/patients/{patient_id}", headers={"Authorization": f"Bearer {token}"}
            )
    with fresh_session_factory() as session:
        rows = session.execute(text("SELECT count(*) FROM access_log")).scalar()
    assert rows == 5
