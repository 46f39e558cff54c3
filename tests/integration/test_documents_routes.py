"""The document routes over HTTP: order and worksheet PDFs, calendar, handout (SQLite and
PostgreSQL; times printed in the site's zone, Europe/Paris)."""

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
from tests.integration.databases import empty_database

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
def client(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    """The app on a new database (migrated at start-up); the date is DAY1, the zone Paris."""
    path: Path = tmp_path_factory.mktemp("documents")
    with pytest.MonkeyPatch.context() as patch, empty_database(backend, path) as url:
        patch.setenv("INOCDS_TIMEZONE", "Europe/Paris")
        app = create_app(Settings(database_url=url, secure_cookies=False))
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
            "family_name": "李",
            "given_name": "Ünal",
            "birth_date": "1981-09-14",
            "sex": "male",
            "height_cm": 170,
            "weight_kg": 60,
            "measured_on": "2026-05-02",
            "allergies": ["penicillin: hives"],
            "diagnosis": {"cd22_positive": True, "b_cell_precursor_all": True},
        },
    )
    course = post(
        client,
        f"/api/v1/patients/{patient['id']}/courses",
        physician,
        {
            "hsct_planned": True,
            # counts and liver tests before the first dose (labs.missing holds it without them)
            "pretreatment": {
                "anc_per_mm3": 1500,
                "platelets_per_mm3": 70000,
                "bilirubin": {"value": 0.6, "uln": 1.2},
                "ast": {"value": 25, "uln": 40},
                "alt": {"value": 22, "uln": 40},
            },
        },
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
        {"started_at": "2026-05-04T10:00:00+02:00", "ended_at": "2026-05-04T11:02:00+02:00"},
    )
    signed = post(
        client,
        f"/api/v1/courses/{course['id']}/orders",
        physician,
        {**order_body, "day": 8, "dose_mg_per_m2": 0.5, "override_reason": "test order"},
    )
    return {"course": course["id"], "order": order["id"], "signed": signed["id"]}


def test_order_pdf(client: TestClient, headers: dict[str, Any], ids: dict[str, int]) -> None:
    """The order PDF shows the dose, the order elements and who signed, prepared and gave it."""
    answer = client.get(f"/orders/{ids['order']}/order.pdf", headers=headers["nurse"])
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"].startswith("attachment;")
    assert answer.headers["cache-control"] == "no-store"
    text = pdf_text(answer.content)
    for expected in (
        "1.34 mg",
        "0.8 mg/m²",
        "Ünal 李",
        "Physician Smith",
        "Pharmacist Smith",
        "penicillin: hives",  # allergies
        "CD22-positive B-cell precursor acute lymphoblastic leukemia",  # diagnosis
        "started 2026-05-04, 21-day cycle",  # cycle start and length
        "measured on 2026-05-02",
        "corticosteroid, antipyretic, antihistamine",  # premedication
        "1,500 /mm³",  # the pretreatment ANC
        "Nurse Smith: started 2026-05-04 10:00 CEST, ended 2026-05-04 11:02 CEST",
        "reconstituted 2026-05-04 08:00 CEST",
    ):
        assert expected in text, expected
    assert "000_c5f9e82afaac5f57.txt" not in text and "regimen.cycle1" not in text


def test_worksheet_pdf_after_preparation(
    client: TestClient, headers: dict[str, Any], ids: dict[str, int]
) -> None:
    """Reconstituted 08:00 (+02:00) at room temperature: start by 15:00, end by 16:00."""
    answer = client.get(f"/orders/{ids['order']}/worksheet.pdf", headers=headers["pharmacist"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    for expected in ("5.36 mL", "2026-05-04 15:00 CEST", "2026-05-04 16:00", "LOT-42", "HAZARDOUS"):
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
    # the site's zone (INOCDS_TIMEZONE of the fixture) names the calendar's dates
    calendar = icalendar.Calendar.from_ical(answer.content)
    assert str(calendar["X-WR-TIMEZONE"]) == "Europe/Paris"
    # the given day 1 has no reminder; each of the five planned doses one, 15 h before its
    # day begins (calendar.reminder): 09:00 the day before
    alarms = [e.walk("VALARM") for e in events]
    assert alarms[0] == [] and all(len(a) == 1 for a in alarms[1:])
    assert alarms[1][0].decoded("TRIGGER") == -dt.timedelta(hours=15)


def test_handout_page(client: TestClient, headers: dict[str, Any], ids: dict[str, int]) -> None:
    """The handout is HTML with the patient's name, contraception date and the symptoms."""
    answer = client.get(f"/courses/{ids['course']}/handout", headers=headers["nurse"])
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/html")
    page = answer.text
    # last planned dose 2026-06-08 (cycle 2 day 15, as in the calendar above) + 5 months
    for expected in (
        "For Ünal 李.",
        "Sunday, November 8, 2026",
        "Yellow skin",
        "penicillin: hives",
    ):
        assert expected in page, expected


def test_handout_pdf(client: TestClient, headers: dict[str, Any], ids: dict[str, int]) -> None:
    """The handout PDF of "Ünal 李" carries both names and the contraception date."""
    answer = client.get(f"/courses/{ids['course']}/handout.pdf", headers=headers["physician"])
    assert answer.status_code == 200 and answer.headers["content-type"] == "application/pdf"
    text = pdf_text(answer.content)
    assert "Ünal 李" in text and "Sunday, November 8, 2026" in text


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


def test_pdf_without_its_fonts_is_a_clear_503(
    client: TestClient, headers: dict[str, Any], ids: dict[str, int], monkeypatch: Any
) -> None:
    """Fonts not installed: 503 with the contract's error shape naming the fix, no PDF."""
    import inocds.adapters.reports.fonts as fonts

    monkeypatch.setattr(fonts, "_DIRS", ())
    monkeypatch.setenv("INOCDS_FONT_DIRS", "/nonexistent")
    answer = client.get(f"/orders/{ids['order']}/order.pdf", headers=headers["nurse"])
    assert answer.status_code == 503
    assert "ensure-fonts" in answer.json()["errors"][0]["message"]
