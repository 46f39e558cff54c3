"""The pharmacy pages through TestClient: today's doses, the plan, vials, bags, the ledger.

The clock is movable (starts Monday 4 May 2026, 09:00 in Paris); the site shares vials
across patients. Two patients: 170 cm / 60 kg (1.68 m2 -> 1.34 mg) and 150 cm / 45 kg
(1.37 m2 -> 1.10 mg): 3 vials shared, 4 without.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from inocds.adapters.db.engine import transaction
from inocds.entrypoints.api import clock, create_app
from inocds.services import courses, orders, patients
from inocds.services.accounts import create_user
from inocds.settings import Settings

DAY1 = dt.date(2026, 5, 4)
START = dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)  # 09:00 in Paris
SIGNED = START - dt.timedelta(hours=1)  # signed and verified at 08:00 in Paris
PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def _ward_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Times typed into the forms are Paris times."""
    monkeypatch.setenv("INOCDS_TIMEZONE", "Europe/Paris")


@pytest.fixture
def moment() -> dict[str, dt.datetime]:
    """The test's clock: change moment["now"] to let time pass."""
    return {"now": START}


@pytest.fixture
def app(tmp_path: Path, moment: dict[str, dt.datetime]) -> Iterator[FastAPI]:
    """The application sharing vials across patients, on a fresh SQLite file."""
    settings = Settings(
        database_url=f"sqlite:///{tmp_path / 'web.sqlite3'}",
        vial_sharing_policy="across_patients",
        secure_cookies=False,  # the test client's host is not a local one
    )
    application = create_app(settings)
    application.dependency_overrides[clock.today] = lambda: DAY1
    application.dependency_overrides[clock.now] = lambda: moment["now"]
    with TestClient(application):
        yield application


def _order(
    app: FastAPI,
    users: dict[str, Any],
    mrn: str,
    height: float,
    weight: float,
    verify: bool = True,
) -> int:
    with transaction(app.state.session_factory) as s:
        patient = patients.create_patient(
            s,
            users["physician"],
            patients.PatientInput(
                mrn=mrn,
                family_name=f"Fam{mrn}",
                given_name="Jo",
                birth_date=dt.date(1980, 1, 1),
                sex="female",
                height_cm=height,
                weight_kg=weight,
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
        order = orders.sign(s, users["physician"], course.id, data, DAY1, now=SIGNED)
        order_id = order.id
    if verify:
        with transaction(app.state.session_factory) as s:
            orders.verify(s, users["pharmacist"], order_id, height, weight, now=SIGNED)
    return order_id


@pytest.fixture
def day(app: FastAPI) -> tuple[TestClient, list[int]]:
    """A pharmacist logged in, and two verified orders due on DAY1."""
    users = {}
    with transaction(app.state.session_factory) as s:
        for role in ("physician", "pharmacist"):
            users[role] = create_user(s, None, f"u-{role}", f"Test {role}", role, PASSWORD)
    ids = [_order(app, users, "A1", 170, 60), _order(app, users, "B2", 150, 45)]
    browser = TestClient(app)
    answer = browser.post(
        "/login", data={"username": "u-pharmacist", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303
    return browser, ids


def send(browser: TestClient, action: str, data: dict[str, str]) -> httpx.Response:
    """Posts a form of the today page with its CSRF token; follows the 303."""
    page = browser.get("/pharmacy/today?on=2026-05-04")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    return browser.post(action, data={"csrf_token": token.group(1), "on": "2026-05-04", **data})


def test_the_pharmacy_day_through_the_pages(
    day: tuple[TestClient, list[int]], moment: dict[str, dt.datetime]
) -> None:
    """Plan 3 vials (4 without sharing); one vial serves both bags; an expired bag and a
    vial remainder (3 x 0.9 - 2.44 = 0.26 mg) reach the ledger and the course page."""
    browser, (first, second) = day
    page = browser.get(
        f"/pharmacy/today?on=2026-05-04&plan=1&dilute_{first}=09:30&dilute_{second}=10:00"
    )
    assert page.status_code == 200, page.text
    assert "Vial plan: 3 vials" in page.text and "4 without sharing" in page.text
    for lot in ("LOT-A", "LOT-B", "LOT-C"):
        done = send(
            browser, "/pharmacy/vials", {"lot": lot, "reconstituted_at": "2026-05-04T09:00"}
        )
        assert "The vial is recorded." in done.text
    ids = re.findall(r'name="draw_(\d+)"', done.text)
    a, b, c = sorted(set(ids), key=int)
    bag = {"refrigerated": "no", "diluted_at": "2026-05-04T09:00"}
    done = send(
        browser, f"/pharmacy/orders/{first}/bag", {f"draw_{a}": "0.9", f"draw_{b}": "0.44", **bag}
    )
    assert "The bag is prepared" in done.text, done.text
    too_much = send(
        browser, f"/pharmacy/orders/{second}/bag", {f"draw_{b}": "0.9", f"draw_{c}": "0.2", **bag}
    )
    assert too_much.status_code == 409 and "0.46 mg left" in too_much.text
    done = send(
        browser, f"/pharmacy/orders/{second}/bag", {f"draw_{b}": "0.46", f"draw_{c}": "0.64", **bag}
    )
    assert "The bag is prepared" in done.text
    done = send(browser, f"/pharmacy/vials/{c}/close", {})
    assert "its remainder is in the waste ledger" in done.text
    moment["now"] = START + dt.timedelta(hours=5)  # 14:00 in Paris: past the 12:00 start-by
    done = send(
        browser,
        f"/pharmacy/orders/{second}/discard",
        {"reason": "expired_bag", "note": "patient late"},
    )
    assert "The bag is discarded" in done.text, done.text
    ledger = browser.get("/pharmacy/waste?month=2026-05")
    assert "Expired bag" in ledger.text and "Unused vial remainder" in ledger.text
    # 0.26 + 1.10 = 1.36 mg
    assert "1.36 mg discarded" in ledger.text
    csv_text = browser.get("/pharmacy/waste.csv?month=2026-05").text
    assert csv_text.startswith("occurred_at_utc,reason") and "expired_bag,1.1," in csv_text
    api = browser.get("/api/v1/waste?month=2026-05")
    assert api.status_code == 200, api.text
    assert api.json()["total"]["mg"] == 1.36
    assert browser.get("/api/v1/waste?month=May").status_code == 422
    course = re.search(r'href="/courses/(\d+)">course \d+ \(B2', ledger.text)
    assert course
    course_page = browser.get(f"/courses/{course.group(1)}")
    assert "1.1 mg discarded for this course" in course_page.text


def test_verification_is_blind_and_a_mismatch_is_confirmed(app: FastAPI) -> None:
    """A second pharmacist sees the order's mg/m2 but not its 1.34 mg, BSA or weight; an entry
    of 63 kg (1.72 m2, 1.38 mg) is shown against the order, only the confirmation button
    sends the order back, and the physician signs it again."""
    with transaction(app.state.session_factory) as s:
        users = {
            role: create_user(s, None, f"b-{role}", f"Blind {role}", role, PASSWORD)
            for role in ("physician", "pharmacist")
        }
    order_id = _order(app, users, "C3", 170, 60, verify=False)
    browser = TestClient(app)
    browser.post("/login", data={"username": "b-pharmacist", "password": PASSWORD})
    page = browser.get(f"/orders/{order_id}")
    body = page.text.split('id="order-heading"')[1]
    assert "0.8 mg/m²" in body and "1.34 mg" not in body and "60 kg" not in body
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    form = {"csrf_token": token.group(1), "height_cm": "170", "weight_kg": "63", "version": "1"}
    wrong = browser.post(f"/orders/{order_id}/verify", data=form)
    assert wrong.status_code == 422 and "1.38 mg" in wrong.text and "1.34 mg" in wrong.text
    assert "Return the order to the prescriber" in wrong.text
    back = browser.post(f"/orders/{order_id}/return", data=form)
    assert back.status_code == 200 and "went back to the prescriber" in back.text
    assert "pharmacist&#39;s independent check" in back.text or "independent check" in back.text
    doctor = TestClient(app)
    doctor.post("/login", data={"username": "b-physician", "password": PASSWORD})
    page = doctor.get(f"/orders/{order_id}")
    assert "Sign again with new measurements" in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert token
    again = doctor.post(
        f"/orders/{order_id}/resign", data={"csrf_token": token.group(1), "version": "2"}
    )
    assert again.status_code == 200 and "The order is signed." in again.text
