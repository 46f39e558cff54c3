"""The edit-patient page, the users page's account actions and the audit trail page,
driven as a browser would through TestClient, on SQLite and on PostgreSQL.

Each test reads the CSRF token (and the record's version) from the page, posts the
form, and asserts what the next page shows and what the database holds.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from tests.integration.databases import empty_database

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import AuditEntry, Patient, User
from inocds.entrypoints.api import clock, create_app
from inocds.services.accounts import create_user
from inocds.settings import Settings

DAY = dt.date(2026, 5, 4)
PASSWORD = "a long enough password"
NAMES = {"admin": "admin", "physician": "dr-house", "nurse": "nurse-joy", "pharmacist": "ph-one"}


@pytest.fixture(autouse=True)
def _ward_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Times are shown in Paris time."""
    monkeypatch.setenv("INOCDS_TIMEZONE", "Europe/Paris")


@pytest.fixture
def app(backend: str, tmp_path: Path) -> Iterator[FastAPI]:
    """The application on a new database of the backend, with a fixed date and every role."""
    with empty_database(backend, tmp_path) as url:
        application = create_app(Settings(database_url=url, secure_cookies=False))
        application.dependency_overrides[clock.today] = lambda: DAY
        with TestClient(application):
            with transaction(application.state.session_factory) as session:
                for role, name in NAMES.items():
                    create_user(session, None, name, f"Test {role}", role, PASSWORD)
            yield application


Login = Callable[[str], TestClient]


@pytest.fixture
def login(app: FastAPI) -> Login:
    """A browser logged in as the account of a role."""

    def log_in(role: str, password: str = PASSWORD) -> TestClient:
        browser = TestClient(app)
        answer = browser.post(
            "/login", data={"username": NAMES[role], "password": password}, follow_redirects=False
        )
        assert answer.status_code == 303, answer.text
        return browser

    return log_in


def token(page: httpx.Response) -> str:
    """The CSRF token of the page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, page.text[:500]
    return found.group(1)


def hidden(page: httpx.Response, name: str, after: str = "") -> str:
    """The value of the first hidden input `name` on the page (after the text `after`)."""
    text = page.text[page.text.index(after) :] if after else page.text
    found = re.search(rf'name="{name}" value="([^"]*)"', text)
    assert found, f"no {name} input"
    return found.group(1)


def new_patient(browser: TestClient) -> str:
    """Registers Jo Doe (born 1981, 170 cm, 60 kg, allergic to codeine); the page's path."""
    page = browser.get("/patients/new")
    data = {
        "csrf_token": token(page),
        "mrn": "MRN-7",
        "family_name": "Doe",
        "given_name": "Jo",
        "birth_date": "1981-09-14",
        "sex": "male",
        "height_cm": "170",
        "weight_kg": "60",
        "measured_on": "2026-05-01",
        "medications": "ondansetron",
        "allergies": "codeine: nausea",
    }
    answer = browser.post("/patients/new", data=data, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return answer.headers["location"].split("?")[0]


def edit_form(page: httpx.Response) -> dict[str, str]:
    """Every value the edit form shows (inputs, selected options, textareas)."""
    values = dict(
        re.findall(
            r'<input id="patient-[^"]+" name="([^"]+)" type="[^"]+" value="([^"]*)"', page.text
        )
    )
    values.update(re.findall(r'name="(medications|allergies)"[^>]*>([^<]*)</textarea>', page.text))
    for name, block in re.findall(
        r'<select id="patient-[^"]+" name="([^"]+)".*?>(.*?)</select>', page.text, re.S
    ):
        chosen = re.search(r'<option value="([^"]*)" selected>', block)
        values[name] = chosen.group(1) if chosen else ""
    for name in re.findall(r'name="(history_[a-z_]+)" value="on" checked', page.text):
        values[name] = "on"
    values["version"] = hidden(page, "version")
    values["csrf_token"] = token(page)
    return values


def test_edit_patient_saves_allergies_and_co_medications(app: FastAPI, login: Login) -> None:
    """A nurse adds an allergy and a co-medication; the patient page and the row show them."""
    nurse = login("nurse")
    patient = new_patient(nurse)
    page = nurse.get(f"{patient}/edit")
    assert page.status_code == 200
    form = edit_form(page)
    assert form["family_name"] == "Doe" and form["medications"] == "ondansetron"
    assert form["allergies"] == "codeine: nausea"  # typed on the new-patient form
    form["allergies"] = "penicillin: hives\nlatex"
    form["medications"] = "ondansetron\nfluconazole"
    form["given_name"] = "Joanna"
    answer = nurse.post(f"{patient}/edit", data=form, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    shown = nurse.get(answer.headers["location"])
    assert "penicillin: hives; latex" in shown.text
    assert "ondansetron, fluconazole" in shown.text and "Doe, Joanna" in shown.text
    with transaction(app.state.session_factory) as session:
        row = session.get(Patient, int(patient.rsplit("/", 1)[1]))
        assert row is not None
        assert row.allergies == ["penicillin: hives", "latex"] and row.version == 2


def test_stale_edit_says_who_changed_what_and_keeps_the_entry(app: FastAPI, login: Login) -> None:
    """Two tabs open at version 1: the second save gets 409 naming the first editor and field."""
    nurse, physician = login("nurse"), login("physician")
    patient = new_patient(nurse)
    first, second = (
        edit_form(nurse.get(f"{patient}/edit")),
        edit_form(physician.get(f"{patient}/edit")),
    )
    first["allergies"] = "sulfa"
    assert nurse.post(f"{patient}/edit", data=first, follow_redirects=False).status_code == 303
    second["medications"] = "ondansetron\nposaconazole"
    refused = physician.post(f"{patient}/edit", data=second)
    assert refused.status_code == 409
    assert "Test nurse changed this patient" in refused.text and "allergies" in refused.text
    assert "posaconazole" in refused.text  # the typed entry is kept
    assert hidden(refused, "version") == "2"  # a second send saves it on purpose
    resend = {**second, "version": "2", "csrf_token": token(refused)}
    assert physician.post(f"{patient}/edit", data=resend, follow_redirects=False).status_code == 303


def test_edit_refuses_an_empty_name_and_a_future_birth_date(login: Login) -> None:
    """An emptied family name and a birth date after today come back beside their fields."""
    nurse = login("nurse")
    patient = new_patient(nurse)
    form = edit_form(nurse.get(f"{patient}/edit"))
    refused = nurse.post(
        f"{patient}/edit", data={**form, "family_name": " ", "birth_date": "2027-01-01"}
    )
    assert refused.status_code == 422
    assert 'id="patient-family_name-error"' in refused.text
    assert login("pharmacist").get(f"{patient}/edit").status_code == 403


def test_edit_refuses_a_birth_date_after_the_first_measurement(login: Login) -> None:
    """Born 2026-05-02 but measured on 2026-05-01: refused beside the birth date."""
    nurse = login("nurse")
    patient = new_patient(nurse)
    form = edit_form(nurse.get(f"{patient}/edit"))
    refused = nurse.post(f"{patient}/edit", data={**form, "birth_date": "2026-05-02"})
    assert refused.status_code == 409
    assert 'id="patient-birth_date-error"' in refused.text


def _account_row(page: httpx.Response, username: str) -> str:
    rows = re.findall(r'<tr id="account-\d+">.*?</tr>', page.text, re.S)
    return next(r for r in rows if f"<td>{username}</td>" in r)


def _user(app: FastAPI, username: str) -> User:
    with transaction(app.state.session_factory) as session:
        from sqlalchemy import select

        found = session.scalar(select(User).where(User.username == username))
        assert found is not None
        session.expunge(found)
        return found


def _act(
    admin: TestClient, app: FastAPI, username: str, action: str, **data: str
) -> httpx.Response:
    page = admin.get("/users")
    user = _user(app, username)
    body = {"csrf_token": token(page), "version": str(user.version), **data}
    return admin.post(f"/users/{user.id}/{action}", data=body, follow_redirects=False)


def test_admin_deactivates_and_reactivates_an_account(app: FastAPI, login: Login) -> None:
    """Deactivated, the nurse's open session ends and login is refused; reactivated, it works."""
    admin, nurse = login("admin"), login("nurse")
    assert nurse.get("/patients").status_code == 200
    assert _act(admin, app, "nurse-joy", "active", active="no").status_code == 303
    assert "inactive" in _account_row(admin.get("/users"), "nurse-joy")
    assert nurse.get("/patients", follow_redirects=False).status_code == 303  # to /login
    refused = TestClient(app).post("/login", data={"username": "nurse-joy", "password": PASSWORD})
    assert refused.status_code == 401
    assert _act(admin, app, "nurse-joy", "active", active="yes").status_code == 303
    login("nurse")


def test_admin_unlocks_a_locked_account(app: FastAPI, login: Login) -> None:
    """Five wrong passwords make this client wait (429, the login throttle); the admin's unlock
    clears the count and the right password gets in at once."""
    for _ in range(5):
        TestClient(app).post("/login", data={"username": "ph-one", "password": "wrong password!"})
    locked = TestClient(app).post("/login", data={"username": "ph-one", "password": PASSWORD})
    assert locked.status_code == 429
    admin = login("admin")
    assert "Unlock ph-one" in admin.get("/users").text
    assert _act(admin, app, "ph-one", "unlock").status_code == 303
    login("pharmacist")


def test_admin_resets_a_password_and_changes_a_role(app: FastAPI, login: Login) -> None:
    """A new password works and the old does not; a too-short one is refused; the role changes."""
    admin = login("admin")
    short = _act(admin, app, "dr-house", "password", password="short", password_again="short")
    assert short.status_code == 422 and "must have 12 to 1024 characters" in short.text
    new = "another long password"
    done = _act(admin, app, "dr-house", "password", password=new, password_again=new)
    assert done.status_code == 303
    assert (
        TestClient(app)
        .post("/login", data={"username": "dr-house", "password": PASSWORD})
        .status_code
        == 401
    )
    login_new = TestClient(app).post(
        "/login", data={"username": "dr-house", "password": new}, follow_redirects=False
    )
    assert login_new.status_code == 303
    assert _act(admin, app, "dr-house", "role", role="pharmacist").status_code == 303
    assert _user(app, "dr-house").role == "pharmacist"
    with transaction(app.state.session_factory) as session:
        from sqlalchemy import select

        reset = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "user.password")
        ).one()
        assert reset.before is not None and reset.before["password"] == "[redacted]"
        assert reset.after is not None and "password_hash" not in reset.after


def test_a_stale_account_action_is_refused(app: FastAPI, login: Login) -> None:
    """An action sent with an old version answers 409 and changes nothing."""
    admin = login("admin")
    page = admin.get("/users")
    user = _user(app, "nurse-joy")
    assert _act(admin, app, "nurse-joy", "role", role="physician").status_code == 303
    stale = admin.post(
        f"/users/{user.id}/role",
        data={"csrf_token": token(page), "version": "1", "role": "pharmacist"},
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    assert _user(app, "nurse-joy").role == "physician"
    assert login("nurse").post(f"/users/{user.id}/unlock", data={}).status_code == 403


def test_audit_page_filters_by_patient_and_user_and_verifies_the_chain(
    app: FastAPI, login: Login
) -> None:
    """The physician sees the patient's entries only when filtered, and the chain is intact."""
    nurse = login("nurse")
    patient = new_patient(nurse)
    patient_id = patient.rsplit("/", 1)[1]
    physician = login("physician")
    everything = physician.get("/audit")
    assert everything.status_code == 200 and "user.login" in everything.text
    mine = physician.get(f"/audit?patient_id={patient_id}")
    assert "patient.create" in mine.text and "measurement.create" in mine.text
    assert "user.login" not in mine.text
    nurse_id = _user(app, "nurse-joy").id
    by_nurse = physician.get(f"/audit?user_id={nurse_id}")
    assert "patient.create" in by_nurse.text and "Test nurse" in by_nurse.text
    checked = physician.post(
        f"/audit/verify?patient_id={patient_id}", data={"csrf_token": token(mine)}
    )
    assert checked.status_code == 200 and "The chain is intact" in checked.text
    assert physician.get("/audit?patient_id=abc").status_code == 422
    assert login("nurse").get("/audit").status_code == 403
    assert login("admin").get("/audit").status_code == 200


def test_audit_page_shows_a_tampered_chain(app: FastAPI, login: Login) -> None:
    """An entry edited in the database is reported by the verify button."""
    admin = login("admin")
    with transaction(app.state.session_factory) as session:
        from sqlalchemy import select

        entry = session.scalars(select(AuditEntry).order_by(AuditEntry.id)).first()
        assert entry is not None
        entry.action = "user.forged"
        edited = entry.id
    page = admin.get("/audit")
    checked = admin.post("/audit/verify", data={"csrf_token": token(page)})
    assert "The chain is broken" in checked.text
    assert f"entry {edited}: edited" in checked.text


def test_api_patient_update_takes_allergies_and_refuses_null(app: FastAPI, login: Login) -> None:
    """PATCH /api/v1/patients/{id}: allergies are saved; a null sex is a 422, never a 500."""
    patient = new_patient(login("nurse")).rsplit("/", 1)[1]
    api = TestClient(app)
    token = api.post("/api/v1/auth/token", json={"username": "nurse-joy", "password": PASSWORD})
    auth = {"Authorization": f"Bearer {token.json()['access_token']}"}
    done = api.patch(
        f"/api/v1/patients/{patient}", json={"version": 1, "allergies": ["latex"]}, headers=auth
    )
    assert done.status_code == 200 and done.json()["allergies"] == ["latex"]
    refused = api.patch(
        f"/api/v1/patients/{patient}", json={"version": 2, "sex": None}, headers=auth
    )
    assert refused.status_code == 422 and "sex" in refused.text
    stale = api.patch(f"/api/v1/patients/{patient}", json={"version": 1, "mrn": "X"}, headers=auth)
    assert stale.status_code == 409 and "Test nurse changed this patient" in stale.text
