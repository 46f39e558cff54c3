"""The order steps over the JSON API: blind check, return, re-sign, own dose, discard, completion.

Patient 170 cm / 60 kg: 1.68 m2, 0.8 mg/m2 -> 1.34 mg; a blind entry of 63 kg gives 1.72 m2
and 1.38 mg. The server's clock is fixed at 2026-05-04 08:00 UTC.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from inocds.adapters.db.engine import transaction
from inocds.entrypoints.api import clock, create_app
from inocds.services import courses, orders, patients
from inocds.services.accounts import create_user
from inocds.services.auth import issue_token
from inocds.settings import Settings

DAY1 = dt.date(2026, 5, 4)
NOW = dt.datetime(2026, 5, 4, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    """The application on a fresh SQLite file with a fixed clock."""
    application = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.sqlite3'}"))
    application.dependency_overrides[clock.today] = lambda: DAY1
    application.dependency_overrides[clock.now] = lambda: NOW
    with TestClient(application):
        yield application


def test_order_steps_over_the_api(app: FastAPI) -> None:
    """Mismatch -> confirmed return -> re-sign -> own-dose verification -> bag discarded
    (not used) -> prepared again -> given -> end and volume added later."""
    factory = app.state.session_factory
    with transaction(factory) as s:
        users = {
            r: create_user(s, None, f"api-{r}", f"Api {r}", r, "a long enough password")
            for r in ("physician", "pharmacist", "nurse")
        }
        tokens = {r: issue_token(s, u, "test") for r, u in users.items()}
        patient = patients.create_patient(
            s,
            users["physician"],
            patients.PatientInput(
                mrn="API-1",
                family_name="Api",
                given_name="Jo",
                birth_date=dt.date(1980, 1, 1),
                sex="male",
                height_cm=170,
                weight_kg=60,
                measured_on=DAY1,
            ),
        )
        pre = {
            "anc_per_mm3": 1500,
            "platelets_per_mm3": 70000,
            "bilirubin": {"value": 0.6, "uln": 1.2},
            "ast": {"value": 25, "uln": 40},
            "alt": {"value": 22, "uln": 40},
        }
        course = courses.create_course(s, users["physician"], patient.id, True, pre, DAY1)
        data = orders.OrderInput(1, 1, 0.8, DAY1)
        order_id = orders.sign(s, users["physician"], course.id, data, DAY1, now=NOW).id
    client = TestClient(app)

    def call(method: str, role: str, path: str, body: dict[str, Any] | None = None) -> Any:
        headers = {"Authorization": f"Bearer {tokens[role]}"}
        answer = client.request(
            method, f"/api/v1/orders/{order_id}{path}", json=body, headers=headers
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    found = call("POST", "pharmacist", "/blind-check", {"height_cm": 170, "weight_kg": 63})
    assert (found["matches"], found["dose_mg"]) == (False, 1.38)
    assert (
        call("POST", "pharmacist", "/return", {"height_cm": 170, "weight_kg": 63})["status"]
        == "returned"
    )
    assert call("POST", "physician", "/resign", {})["status"] == "signed"
    assert (
        call("POST", "pharmacist", "/dose-verifications", {"dose_mg": 1.34})["status"] == "verified"
    )
    preparation = {"reconstituted_at": "2026-05-04T08:00:00+00:00", "refrigerated": False}
    headers = {"Authorization": f"Bearer {tokens['pharmacist']}"}
    made = client.post(f"/api/v1/orders/{order_id}/preparations", json=preparation, headers=headers)
    assert made.status_code in (200, 201), made.text
    dropped = call("POST", "pharmacist", "/discard", {"reason": "unused_bag", "note": "dropped"})
    assert (dropped["mg"], dropped["order"]["status"]) == (1.34, "verified")
    made = client.post(f"/api/v1/orders/{order_id}/preparations", json=preparation, headers=headers)
    assert made.status_code in (200, 201), made.text
    given = client.post(
        f"/api/v1/orders/{order_id}/administrations",
        json={"started_at": "2026-05-04T08:00:00+00:00"},
        headers={"Authorization": f"Bearer {tokens['nurse']}"},
    )
    assert given.status_code in (200, 201), given.text
    done = call(
        "PATCH",
        "nurse",
        "/administration",
        {"ended_at": "2026-05-04T08:00:00+00:00", "volume_ml": 50},
    )
    assert done["status"] == "administered"
