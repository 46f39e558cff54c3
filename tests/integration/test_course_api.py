"""The course resources of the JSON API: events (append-only), assess with flags, plan, screen."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import User
from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.clock import today
from inocds.services.auth import hash_password
from inocds.settings import Settings

DAY1 = dt.date(2026, 1, 5)
PASSWORD = "a long enough password"


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a fresh SQLite file; the server's date is 2026-01-14 (cycle 1 day 10)."""
    path: Path = tmp_path_factory.mktemp("course-api") / "course.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{path}", secure_cookies=False))
    app.dependency_overrides[today] = lambda: dt.date(2026, 1, 14)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def auth(client: TestClient) -> dict[str, dict[str, str]]:
    """Bearer headers for a physician and a nurse."""
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with transaction(factory) as session:
        for role in ("physician", "nurse"):
            session.add(
                User(username=f"api-{role}", role=role, password_hash=hash_password(PASSWORD))
            )
    out = {}
    for role in ("physician", "nurse"):
        answer = client.post(
            "/api/v1/auth/token", json={"username": f"api-{role}", "password": PASSWORD}
        )
        out[role] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return out


# the liver tests measured before the dose of the day (labs.missing: none since day 1 otherwise)
LIVER = {
    "bilirubin": {"value": 0.7, "uln": 1.2},
    "ast": {"value": 28, "uln": 40},
    "alt": {"value": 30, "uln": 40},
}


@pytest.fixture(scope="module")
def course_id(client: TestClient, auth: dict[str, dict[str, str]]) -> int:
    """170 cm / 60 kg (1.68 m2); cycle 1 started 2026-01-05 and day 1 given."""
    doc = auth["physician"]
    patient = client.post(
        "/api/v1/patients",
        headers=doc,
        json={
            "mrn": "API-1",
            "family_name": "Roe",
            "given_name": "Al",
            "birth_date": "1970-02-03",
            "sex": "male",
            "height_cm": 170,
            "weight_kg": 60,
            "measured_on": "2026-01-05",
        },
    ).json()
    course = client.post(
        f"/api/v1/patients/{patient['id']}/courses",
        headers=doc,
        json={
            "hsct_planned": False,
            "pretreatment": {"anc_per_mm3": 1500, "platelets_per_mm3": 70000},
        },
    ).json()
    for event in (
        {
            "type": "cycle_start",
            "date": "2026-01-05",
            "cycle": 1,
            "anc_per_mm3": 1500,
            "platelets_per_mm3": 70000,
        },
        {"type": "dose", "date": "2026-01-05", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8},
    ):
        answer = client.post(f"/api/v1/courses/{course['id']}/events", headers=doc, json=event)
        assert answer.status_code == 201, answer.text
    cid: int = course["id"]
    return cid


def test_assess_with_flags_and_date(
    client: TestClient, auth: dict[str, Any], course_id: int
) -> None:
    """Day 8 on 2026-01-12 is given; with VOD reported the answer is discontinue."""
    given = client.post(
        f"/api/v1/courses/{course_id}/assess",
        headers=auth["nurse"],
        json={"date": "2026-01-12", "labs": LIVER},
    ).json()
    assert (given["action"], given["day"], given["dose_mg"]) == ("give", 8, 0.84)  # 0.5 x 1.68
    stopped = client.post(
        f"/api/v1/courses/{course_id}/assess",
        headers=auth["nurse"],
        json={"date": "2026-01-12", "vod": True, "labs": LIVER},
    ).json()
    assert stopped["action"] == "discontinue"
    assert "hepatic.vod" in {r["rule"] for r in stopped["reasons"]}


def test_a_toxicity_corrected_then_retracted(
    client: TestClient, auth: dict[str, Any], course_id: int
) -> None:
    """Grade 2 diarrhoea delays day 8; the corrected resolution lets it be given; history stays."""
    physician = auth["physician"]
    path = f"/api/v1/courses/{course_id}/events"
    tox = {
        "type": "toxicity",
        "category": "nonhematologic",
        "name": "diarrhea",
        "grade": 2,
        "onset": "2026-01-09",
        "resolved": None,
    }
    first = client.post(path, headers=physician, json=tox).json()
    # on 01-14: interrupted since 01-11 (due from max(01-10, 01-05 + 6)) = 3 days: delay
    delayed = client.post(
        f"/api/v1/courses/{course_id}/assess", headers=physician, json={"labs": LIVER}
    ).json()
    assert delayed["action"] == "delay"
    fixed = client.post(
        path,
        headers=physician,
        params={"supersedes_id": first["id"]},
        json={**tox, "resolved": "2026-01-13"},
    ).json()
    assert fixed["supersedes_id"] == first["id"]
    given = client.post(
        f"/api/v1/courses/{course_id}/assess", headers=physician, json={"labs": LIVER}
    ).json()
    assert (given["action"], given["day"]) == ("give", 8)
    retracted = client.post(
        f"{path}/{fixed['id']}/retract", headers=physician, json={"reason": "entered twice"}
    )
    assert retracted.status_code == 201
    history = client.get(path, headers=physician).json()
    assert [row["retracted"] for row in history][-1] is True and len(history) == 5


def test_a_bad_event_names_its_field(
    client: TestClient, auth: dict[str, Any], course_id: int
) -> None:
    """An event after the server's today is refused with 422 naming event.date."""
    answer = client.post(
        f"/api/v1/courses/{course_id}/events",
        headers=auth["physician"],
        json={"type": "labs", "date": "2026-02-01", "anc_per_mm3": 1200},
    )
    assert answer.status_code == 422
    assert [e["field"] for e in answer.json()["errors"]] == ["event.date"]


def test_a_nurse_may_not_record_a_response(
    client: TestClient, auth: dict[str, Any], course_id: int
) -> None:
    """Responses are the physician's: a nurse gets 403."""
    answer = client.post(
        f"/api/v1/courses/{course_id}/events",
        headers=auth["nurse"],
        json={"type": "response", "date": "2026-01-13", "status": "CR"},
    )
    assert answer.status_code == 403


def test_plan_screen_and_document(client: TestClient, auth: dict[str, Any], course_id: int) -> None:
    """The stored course gives the contract document, the plan of cycle 2 and the screen."""
    nurse = auth["nurse"]
    document = client.get(f"/api/v1/courses/{course_id}/document", headers=nurse).json()
    assert document["patient"]["height_cm"] == 170 and document["today"]["date"] == "2026-01-14"
    plan = client.get(f"/api/v1/courses/{course_id}/plan", headers=nurse).json()
    assert plan["cycle"] == 2 and plan["doses"][0]["date"] == "2026-01-26"  # 01-05 + 21
    screen = client.get(f"/api/v1/courses/{course_id}/screen", headers=nurse).json()
    assert screen["cytoreduction_required"] is False
