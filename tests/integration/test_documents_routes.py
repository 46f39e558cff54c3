"""The document routes over HTTP: order and worksheet PDFs, calendar, handout (SQLite)."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import User
from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.clock import now, today
from inocds.entrypoints.api.deps import SESSION_COOKIE
from inocds.services.auth import hash_password, open_web_session
from inocds.settings import Settings

DAY1 = dt.date(2026, 5, 4)
PASSWORD = "a long enough password"
RECONSTITUTED = "2026-05-04T08:00:00+02:00"
ROUTES = (
    "/orders/{order}/order.pdf",
    "/orders/{order}/worksheet.pdf",
    "/courses/{course}/calendar.ics",
    "/courses/{course}/handout",
    "/courses/{course}/handout.pdf",
)


def pdf_text(content: bytes) -> str:
    """Every page's text of a PDF (which must parse)."""
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a fresh SQLite file (migrated at start-up); the server's date is DAY1."""
    path: Path = tmp_path_factory.mktemp("documents") / "documents.sqlite3"
    app = create_app(Settings(database_url=f"sqlite:///{path}"))
    app.dependency_overrides[today] = lambda: DAY1
    # the orders are signed and verified at 07:00, before the 08:00 preparation
    app.dependency_overrides[now] = lambda: dt.datetime(2026, 5, 4, 5, 0, tzinfo=dt.UTC)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def team(client: TestClient) -> dict[str, User]:
    """One user per role, inserted directly."""
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    users = {}
    with transaction(factory) as session:
        for role in ("physician", "pharmacist", "nurse", "admin"):
            user = User(
                username=f"doc-{role}",
                full_name=f"{role.title()} Smith",
                role=role,
                password_hash=hash_password(PASSWORD),
                active=True,
                failed_logins=0,
                version=1,
            )
            session.add(user)
            users[role] = user
        session.flush()
        session.expunge_all()
    return users


@pytest.fixture(scope="module")
def headers(client: TestClient, team: dict[str, User]) -> dict[str, dict[str, str]]:
    """Bearer-token headers per role, from `POST /api/v1/auth/token`."""
    out = {}
    for role, user in team.items():
        answer = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
        )
        assert answer.status_code == 200, answer.text
        out[role] = {"Authorization": f"Bearer {answer.json()['access_token']}"}
    return out


def post(client: TestClient, path: str, auth: dict[str, str], body: dict[str, Any]) -> Any:
    """POST expecting 201; the JSON answer."""
    answer = client.post(path, json=body, headers=auth)
    assert answer.status_code == 201, answer.text
    return answer.json()


@pytest.fixture(scope="module")
def ids(client: TestClient, headers: dict[str, dict[str, str]]) -> dict[str, int]:
    """A male patient of 170 cm / 60 kg, a course, one order given and one only signed."""
    physician = headers["physician"]
    patient = post(
        client,
        "/api/v1/patients",
        physician,
        {
            "mrn": "DOC-1",
            "family_name": "Doe",
            "given_name": "Jo",
            "birth_date": "1981-09-14",
            "sex": "male",
            "height_cm": 170,
            "weight_kg": 60,
            "measured_on": DAY1.isoformat(),
        },
    )
    course = post(
        client,
        f"/api/v1/patients/{patient['id']}/courses",
        physician,
        {"hsct_planned": True, "pretreatment": {"anc_per_mm3": 1500, "platelets_per_mm3": 70000}},
    )
    order_body = {"cycle": 1, "day": 1, "dose_mg_per_m2": 0.8, "scheduled_on": DAY1.isoformat()}
    order = post(client, f"/api/v1/courses/{course['id']}/orders", physician, order_body)
    post(
        client,
        f"/api/v1/orders/{order['id']}/verifications",
        headers["pharmacist"],
        {"height_cm": 170, "weight_kg": 60},
    )
    post(
        client,
        f"/api/v1/orders/{order['id']}/preparations",
        headers["pharmacist"],
        {"reconstituted_at": RECONSTITUTED, "refrigerated": False, "vial_lots": ["LOT-42"]},
    )
    post(
        client,
        f"/api/v1/orders/{order['id']}/administrations",
        headers["nurse"],
        {"started_at": "2026-05-04T10:00:00+02:00"},
    )
    signed = post(
        client,
        f"/api/v1/courses/{course['id']}/orders",
        physician,
        {**order_body, "day": 8, "dose_mg_per_m2": 0.5, "override_reason": "test order"},
    )
    return {"course": course["id"], "order": order["id"], "signed": signed["id"]}


def test_order_pdf(client: TestClient, headers: dict[str, Any], ids: dict[str, int]) -> None:
    """The order PDF downloads as an attachment and shows the dose and the people."""
    answer = client.get(f"/orders/{ids['order']}/order.pdf", headers=headers["nurse"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["cache-control"] == "no-store"
    text = pdf_text(answer.content)
    for expected in ("1.34 mg", "0.8 mg/m2", "Jo Doe", "Physician Smith", "Pharmacist Smith"):
        assert expected in text, expected


def test_worksheet_pdf_after_preparation(
    client: TestClient, headers: dict[str, Any], ids: dict[str, int]
) -> None:
    """Reconstituted 08:00 (+02:00) at room temperature: start by 15:00, end by 16:00."""
    answer = client.get(f"/orders/{ids['order']}/worksheet.pdf", headers=headers["pharmacist"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    for expected in ("5.36 mL", "2026-05-04 15:00 (UTC+02:00)", "2026-05-04 16:00", "LOT-42"):
        assert expected in text, expected


def test_worksheet_pdf_before_preparation(
    client: TestClient, headers: dict[str, Any], ids: dict[str, int]
) -> None:
    """A signed order's worksheet shows the volumes and leaves the times blank."""
    answer = client.get(f"/orders/{ids['signed']}/worksheet.pdf", headers=headers["physician"])
    assert answer.status_code == 200
    text = pdf_text(answer.content)
    assert "Not prepared yet" in text and "3.36 mL" in text  # 0.84 mg / 0.25 mg/mL


def test_calendar(client: TestClient, headers: dict[str, Any], ids: dict[str, int]) -> None:
    """Day 1 given; days 8 and 15 and cycle 2's three doses planned: six all-day events."""
    answer = client.get(f"/courses/{ids['course']}/calendar.ics", headers=headers["nurse"])
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/calendar")
    assert answer.headers["content-disposition"].startswith("attachment;")
    events = icalendar.Calendar.from_ical(answer.content).walk("VEVENT")
    assert [e.decoded("DTSTART") for e in events] == [
        DAY1 + dt.timedelta(days=n) for n in (0, 7, 14, 21, 28, 35)
    ]
    assert str(events[0]["UID"]) == f"course-{ids['course']}-c1d1@inocds"


def test_handout_page(client: TestClient, headers: dict[str, Any], ids: dict[str, int]) -> None:
    """The handout is HTML with the patient's name, contraception date and the symptoms."""
    answer = client.get(f"/courses/{ids['course']}/handout", headers=headers["nurse"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    for expected in ("For Jo Doe.", "Sunday 4 October 2026", "Yellow skin", "Who to call"):
        assert expected in page, expected


def test_handout_pdf(client: TestClient, headers: dict[str, Any], ids: dict[str, int]) -> None:
    """The handout PDF parses and carries the contraception date."""
    answer = client.get(f"/courses/{ids['course']}/handout.pdf", headers=headers["physician"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    assert "Sunday 4 October 2026" in pdf_text(answer.content)


def test_a_browser_session_cookie_is_enough(
    client: TestClient, team: dict[str, User], ids: dict[str, int]
) -> None:
    """A logged-in browser (session cookie, no token) gets the calendar."""
    factory = client.app.state.session_factory  # type: ignore[attr-defined]
    with transaction(factory) as session:
        nurse = session.get(User, team["nurse"].id)
        assert nurse is not None
        cookie, _ = open_web_session(session, nurse)
    path = f"/courses/{ids['course']}/calendar.ics"
    client.cookies.set(SESSION_COOKIE, cookie)
    try:
        answer = client.get(path)
    finally:
        client.cookies.clear()
    assert answer.status_code == 200


@pytest.mark.parametrize("route", ROUTES)
def test_documents_need_login(client: TestClient, ids: dict[str, int], route: str) -> None:
    """Without a login every document route answers 401."""
    answer = client.get(route.format(order=ids["order"], course=ids["course"]))
    assert answer.status_code == 401


@pytest.mark.parametrize("route", ROUTES)
def test_documents_refuse_the_admin(
    client: TestClient, headers: dict[str, Any], ids: dict[str, int], route: str
) -> None:
    """An admin is not on the care team: 403."""
    path = route.format(order=ids["order"], course=ids["course"])
    assert client.get(path, headers=headers["admin"]).status_code == 403


def test_unknown_order_and_course_are_404(client: TestClient, headers: dict[str, Any]) -> None:
    """Documents of records that do not exist answer 404."""
    assert client.get("/orders/999/order.pdf", headers=headers["nurse"]).status_code == 404
    assert client.get("/courses/999/calendar.ics", headers=headers["nurse"]).status_code == 404
