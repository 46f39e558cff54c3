"""The care team's web pages through FastAPI's TestClient on a temporary SQLite database.

Each test drives the pages as a browser would: it reads the CSRF token from a form,
posts the form, follows the 303 to the page showing the result and asserts what that
page shows. The clock is fixed (Monday 4 May 2026, 09:00 in Paris).
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
from sqlalchemy import func, select

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import Patient
from inocds.entrypoints.api import clock, create_app
from inocds.services.accounts import create_user
from inocds.settings import Settings

DAY1 = dt.date(2026, 5, 4)
NOW = dt.datetime(2026, 5, 4, 7, 0, tzinfo=dt.UTC)  # 09:00 in Paris
PASSWORD = "a long enough password"
CLOCK = {"now": NOW}
"""The pages' clock: a test may move it (an order is signed before its bag is made)."""

Client = Callable[[str], TestClient]


@pytest.fixture(autouse=True)
def _ward_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Times typed into the forms are Paris times."""
    monkeypatch.setenv("INOCDS_TIMEZONE", "Europe/Paris")


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    """The application on a fresh SQLite file, migrated by its start-up, with a fixed clock."""
    application = create_app(
        Settings(database_url=f"sqlite:///{tmp_path / 'web.sqlite3'}", secure_cookies=False)
    )
    application.dependency_overrides[clock.today] = lambda: DAY1
    CLOCK["now"] = NOW
    application.dependency_overrides[clock.now] = lambda: CLOCK["now"]
    with TestClient(application):
        yield application


USERNAMES = {
    "admin": "admin",
    "physician": "dr-house",
    "pharmacist": "ph-one",
    "nurse": "nurse-joy",
}

Account = Callable[[str], str]


@pytest.fixture
def account(app: FastAPI) -> Account:
    """The username of a role's account, made through the service on first use."""
    made: set[str] = set()

    def ensure(role: str) -> str:
        if role not in made:
            with transaction(app.state.session_factory) as session:
                create_user(session, None, USERNAMES[role], f"Test {role}", role, PASSWORD)
            made.add(role)
        return USERNAMES[role]

    return ensure


@pytest.fixture
def login(app: FastAPI, account: Account) -> Client:
    """A browser (its own cookie jar) logged in as the user of a role."""

    def log_in(role: str) -> TestClient:
        browser = TestClient(app)
        answer = browser.post(
            "/login",
            data={"username": account(role), "password": PASSWORD},
            follow_redirects=False,
        )
        assert answer.status_code == 303, answer.text
        return browser

    return log_in


def token(page: httpx.Response) -> str:
    """The CSRF token of the page's forms."""
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def version(page: httpx.Response) -> str:
    """The order version carried by the page's order forms."""
    found = re.search(r'name="version" value="(\d+)"', page.text)
    assert found
    return found.group(1)


def post(browser: TestClient, page_path: str, action: str, data: dict[str, str]) -> httpx.Response:
    """Opens a page, fills a form on it with the page's CSRF token and posts it (no redirect)."""
    page = browser.get(page_path)
    assert page.status_code == 200, page.text
    return browser.post(action, data={"csrf_token": token(page), **data}, follow_redirects=False)


def error_beside(page: httpx.Response, form: str, field: str) -> str:
    """The error shown beside an input (its `<form>-<field>-error` paragraph), else ''."""
    found = re.search(rf'id="{form}-{field}-error">(.*?)</p>', page.text, re.S)
    if not found:
        return ""
    shown = re.sub(r'<span class="visually-hidden">.*?</span>', "", found.group(1))
    return re.sub(r"<[^>]+>", "", shown).strip()


def location(answer: httpx.Response) -> str:
    """Where a 303 points, without its query."""
    assert answer.status_code == 303, answer.text[:2000]
    return answer.headers["location"].split("?")[0].split("#")[0]


PATIENT = {
    "mrn": "MRN-100",
    "family_name": "Doe",
    "given_name": "Jo",
    "birth_date": "1981-09-14",
    "sex": "male",
    "height_cm": "170",
    "weight_kg": "60",
    "measured_on": "2026-05-04",
    "history_salvage_line": "1",
    "medications": "ondansetron",
}


def new_course(browser: TestClient, mrn: str = "MRN-100") -> str:
    """Registers a patient (170 cm, 60 kg: BSA 1.68 m2) and opens a course; the course path."""
    answer = post(browser, "/patients/new", "/patients/new", {**PATIENT, "mrn": mrn})
    patient = location(answer)
    answer = post(
        browser,
        patient,
        f"{patient}/courses",
        {
            "hsct_planned": "yes",
            "anc_per_mm3": "1500",
            "platelets_per_mm3": "70000",
            # liver tests before the first dose (labs.missing holds it without them)
            **{f"{k}_value": v for k, v in (("bilirubin", "0.6"), ("ast", "25"), ("alt", "22"))},
            **{f"{k}_uln": v for k, v in (("bilirubin", "1.2"), ("ast", "40"), ("alt", "40"))},
        },
    )
    return location(answer)


# ------------------------------------------------------------------ first run and login


def test_first_run_creates_the_admin_then_setup_is_gone(app: FastAPI) -> None:
    """With no account, / and /login lead to /setup; it creates the admin, logs in, then 404s."""
    browser = TestClient(app)
    assert browser.get("/", follow_redirects=False).headers["location"] == "/setup"
    assert browser.get("/login", follow_redirects=False).headers["location"] == "/setup"
    form = {"username": "chief", "full_name": "Chief Admin", "password": PASSWORD}
    refused = browser.post("/setup", data={**form, "password_again": "something else"})
    assert refused.status_code == 422
    assert error_beside(refused, "setup", "password_again") == "does not match the password"
    assert 'value="chief"' in refused.text and PASSWORD not in refused.text
    done = browser.post("/setup", data={**form, "password_again": PASSWORD}, follow_redirects=False)
    assert done.headers["location"] == "/"
    assert "httponly" in done.headers["set-cookie"].lower()
    home = browser.get("/")
    assert "Manage users" in home.text and "Chief Admin" in home.text
    assert browser.get("/setup").status_code == 404
    assert TestClient(app).get("/setup").status_code == 404


def test_anonymous_home_shows_the_login_form(app: FastAPI, account: Account) -> None:
    """Once an account exists, an anonymous GET / answers 200 with the login form."""
    account("nurse")
    page = TestClient(app).get("/", follow_redirects=False)
    assert page.status_code == 200
    assert 'action="/login"' in page.text and 'name="password"' in page.text


def test_wrong_password_keeps_the_username_and_says_so_beside_the_field(
    app: FastAPI, account: Account
) -> None:
    """A wrong password: the form again (401), the username kept, the message beside it."""
    account("physician")
    browser = TestClient(app)
    page = browser.post("/login", data={"username": "dr-house", "password": "not the password"})
    assert page.status_code == 401
    assert 'value="dr-house"' in page.text
    assert error_beside(page, "login", "password") == "Wrong username or password."
    assert "not the password" not in page.text
    assert "inocds_session" not in browser.cookies


def test_repeated_wrong_passwords_are_throttled_for_that_browser_only(
    app: FastAPI, account: Account
) -> None:
    """Five wrong passwords: the page asks this browser to wait (429); another logs in."""
    account("nurse")
    stranger = TestClient(app, client=("203.0.113.9", 50000))
    for _ in range(5):
        stranger.post("/login", data={"username": "nurse-joy", "password": "wrong wrong wrong"})
    page = stranger.post("/login", data={"username": "nurse-joy", "password": PASSWORD})
    assert page.status_code == 429
    assert int(page.headers["Retry-After"]) >= 1 and "Too many login attempts" in page.text
    owner = TestClient(app, client=("198.51.100.4", 50000))
    answer = owner.post(
        "/login", data={"username": "nurse-joy", "password": PASSWORD}, follow_redirects=False
    )
    assert answer.status_code == 303


def test_login_returns_to_the_page_asked_for_and_logout_ends_the_session(
    app: FastAPI, account: Account
) -> None:
    """A page asked for anonymously leads to login and back; logout (with CSRF) ends it."""
    account("physician")
    browser = TestClient(app)
    asked = browser.get("/patients", follow_redirects=False)
    assert asked.headers["location"] == "/login?next=%2Fpatients"
    answer = browser.post(
        "/login",
        data={"username": "dr-house", "password": PASSWORD, "next": "/patients"},
        follow_redirects=False,
    )
    assert answer.headers["location"] == "/patients"
    out = post(browser, "/patients", "/logout", {})
    assert out.headers["location"] == "/login"
    assert browser.get("/patients", follow_redirects=False).status_code == 303


def test_a_form_without_the_csrf_token_is_refused(login: Client, app: FastAPI) -> None:
    """A logged-in post without (or with a wrong) CSRF token: 403 page, nothing stored."""
    browser = login("physician")
    missing = browser.post("/patients/new", data=PATIENT)
    wrong = browser.post("/patients/new", data={**PATIENT, "csrf_token": "forged"})
    assert missing.status_code == wrong.status_code == 403
    assert "security token" in missing.text
    with transaction(app.state.session_factory) as session:
        assert session.scalar(select(func.count()).select_from(Patient)) == 0


def test_admin_adds_users_and_other_roles_may_not(login: Client) -> None:
    """The admin's users page creates an account; a clinician gets 403 there."""
    admin = login("admin")
    answer = post(
        admin,
        "/users",
        "/users",
        {
            "username": "new-nurse",
            "full_name": "New Nurse",
            "role": "nurse",
            "password": PASSWORD,
            "password_again": PASSWORD,
        },
    )
    assert answer.headers["location"] == "/users?saved=user"
    assert "new-nurse" in admin.get("/users").text
    short = post(
        admin,
        "/users",
        "/users",
        {"username": "x", "role": "nurse", "password": "short", "password_again": "short"},
    )
    assert short.status_code == 422 and "12" in error_beside(short, "user", "password")
    assert login("physician").get("/users").status_code == 403
    assert admin.get("/patients").status_code == 403


# ------------------------------------------------------------------ patients


def test_new_patient_error_beside_the_field_and_values_kept(login: Client) -> None:
    """An unreadable weight and a missing sex: errors beside both, everything typed kept."""
    browser = login("nurse")
    page = post(
        browser,
        "/patients/new",
        "/patients/new",
        {**PATIENT, "weight_kg": "sixty", "sex": "", "medications": "fluconazole\nondansetron"},
    )
    assert page.status_code == 422
    assert error_beside(page, "patient", "weight_kg").startswith("must be a number")
    assert error_beside(page, "patient", "sex") == "is required"
    for kept in ('value="MRN-100"', 'value="Doe"', 'value="sixty"', 'value="1981-09-14"'):
        assert kept in page.text
    assert "fluconazole\nondansetron</textarea>" in page.text
    assert 'aria-invalid="true"' in page.text


def test_duplicate_mrn_is_shown_beside_the_mrn(login: Client) -> None:
    """The service's conflict (MRN taken) comes back beside the MRN input."""
    browser = login("physician")
    location(post(browser, "/patients/new", "/patients/new", PATIENT))
    again = post(browser, "/patients/new", "/patients/new", PATIENT)
    assert again.status_code == 409
    assert "already exists" in error_beside(again, "patient", "mrn")


def test_patient_search_and_measurement(login: Client) -> None:
    """The list finds a patient by name or MRN; a new measurement shows on the patient page."""
    browser = login("physician")
    patient = location(post(browser, "/patients/new", "/patients/new", PATIENT))
    assert "Doe, Jo" in browser.get("/patients", params={"q": "mrn-100"}).text
    assert "No patient matches" in browser.get("/patients", params={"q": "zzz"}).text
    bad = post(
        browser,
        patient,
        f"{patient}/measurements",
        {"measured_on": "2026-05-04", "height_cm": "170"},
    )
    assert bad.status_code == 422 and error_beside(bad, "measurement", "weight_kg") == "is required"
    done = post(
        browser,
        patient,
        f"{patient}/measurements",
        {"measured_on": "2026-05-04", "height_cm": "170", "weight_kg": "61.5"},
    )
    assert location(done) == patient
    assert "61.5" in browser.get(patient).text


# ------------------------------------------------------------------ course page


def test_course_page_shows_the_decision_with_every_reason_and_rule_links(login: Client) -> None:
    """Day 1 of cycle 1: give 0.8 mg/m2 = 1.34 mg, each reason linked to its rule page."""
    browser = login("physician")
    course = new_course(browser)
    page = browser.get(course)
    assert page.status_code == 200
    assert "Give the dose" in page.text
    assert "0.8 mg/m² × 1.68 m² = 1.34 mg" in page.text
    for rule in ("regimen.cycle1", "premedication"):
        assert f'href="/rules/{rule}"' in page.text
    assert "000_c5f9e82afaac5f57.txt" in page.text  # each reason's source
    assert '<abbr class="doc" title="000_c5f9e82afaac5f57.txt">Clinician drug monograph (2025)' in (
        page.text
    )
    assert "Blood count" in page.text and "Liver tests" in page.text  # monitoring, plain
    assert "You are viewing" not in page.text
    assert 'id="sign-dose_mg_per_m2"' in page.text and 'value="0.8"' in page.text
    rule = browser.get("/rules/regimen.cycle1")
    assert rule.status_code == 200 and "0.8 mg/m2 on day 1" in rule.text
    assert browser.get("/rules/no.such.rule").status_code == 404


def test_decision_for_another_date(login: Client) -> None:
    """?on= shows the decision of another day; a bad date is said beside the date input."""
    browser = login("physician")
    course = new_course(browser)
    later = browser.get(course, params={"on": "2026-05-08"})
    assert 'Decision for <span class="nowrap">2026-05-08 Fri</span>' in later.text
    assert 'You are viewing <span class="nowrap">2026-05-08 Fri</span>, not today' in later.text
    bad = browser.get(course, params={"on": "08/05/2026"})
    assert bad.status_code == 200 and "must be a date" in error_beside(bad, "day", "on")


def test_event_forms_keep_values_and_show_errors_then_record(login: Client) -> None:
    """Labs without a ULN are refused beside it; a toxicity and a retraction are recorded."""
    course = new_course(login("physician"))
    browser = login("nurse")
    bad = post(
        browser,
        course,
        f"{course}/labs",
        {"date": "2026-05-04", "anc_per_mm3": "1200", "bilirubin_value": "0.9"},
    )
    assert bad.status_code == 422
    assert "upper limit" in error_beside(bad, "labs", "bilirubin_uln")
    assert 'value="1200"' in bad.text
    counts_only = post(
        browser,
        course,
        f"{course}/labs",
        {"date": "2026-05-04", "anc_per_mm3": "1200", "bilirubin_uln": "1.2", "ast_uln": "40"},
    )
    assert location(counts_only) == course  # a pre-filled limit alone is no liver test
    future = post(browser, course, f"{course}/labs", {"date": "2026-05-09", "anc_per_mm3": "900"})
    assert future.status_code == 422 and "after today" in error_beside(future, "labs", "date")
    done = post(
        browser,
        course,
        f"{course}/toxicity",
        {"category": "nonhematologic", "name": "diarrhea", "grade": "2", "onset": "2026-05-04"},
    )
    assert location(done) == course
    page = browser.get(course)
    assert "diarrhea, grade 2" in page.text and "not resolved" in page.text
    # Each entry's corrections are on its own page, linked from the entry.
    tox_id = re.search(r'/events/(\d+)/correct">Mark resolved', page.text)
    assert tox_id
    correct = f"{course}/events/{tox_id.group(1)}/correct"
    resolve = f"{course}/events/{tox_id.group(1)}/resolve"
    too_late = post(browser, correct, resolve, {"resolved": "2026-05-09"})
    assert too_late.status_code == 422
    assert "after today" in error_beside(too_late, f"resolve-{tox_id.group(1)}", "resolved")
    assert 'value="2026-05-09"' in too_late.text  # the correction page again, as typed
    assert location(post(browser, correct, resolve, {"resolved": "2026-05-04"})) == course
    page = browser.get(course)
    assert "diarrhea, grade 2, resolved 2026-05-04" in page.text
    assert f"/events/{tox_id.group(1)}/correct" not in page.text
    event_id = re.search(r'/events/(\d+)/correct">Withdraw<', page.text)
    assert event_id
    correct = f"{course}/events/{event_id.group(1)}/correct"
    retract = f"{course}/events/{event_id.group(1)}/retract"
    no_reason = post(browser, correct, retract, {"reason": ""})
    assert no_reason.status_code == 422
    assert error_beside(no_reason, f"retract-{event_id.group(1)}", "reason") == "is required"
    assert location(post(browser, correct, retract, {"reason": "wrong patient"})) == course
    assert "Withdrawn entries (1)" in browser.get(course).text


def test_only_the_allowed_forms_are_shown_by_role(login: Client) -> None:
    """A pharmacist sees the labs form but neither the order nor the response form."""
    course = new_course(login("physician"))
    page = login("pharmacist").get(course)
    assert f'action="{course}/labs"' in page.text
    assert f'action="{course}/orders"' not in page.text
    assert f'action="{course}/response"' not in page.text


# ------------------------------------------------------------------ orders


def test_sign_verify_prepare_administer_through_the_forms(login: Client) -> None:
    """The whole order: signed at the engine's dose, verified, prepared, given; course updated."""
    doctor, pharmacist, nurse = login("physician"), login("pharmacist"), login("nurse")
    course = new_course(doctor)
    CLOCK["now"] = NOW - dt.timedelta(hours=1)  # signed and verified at 08:00 in Paris
    signed = post(
        doctor,
        course,
        f"{course}/orders",
        {"cycle": "1", "day": "1", "dose_mg_per_m2": "0.8", "scheduled_on": "2026-05-04"},
    )
    order = location(signed)
    page = doctor.get(order)
    assert "Signed, awaiting pharmacist verification" in page.text
    assert "1.34 mg" in page.text

    form = pharmacist.get(order)
    assert 'id="verify-weight_kg"' in form.text
    assert not re.search(r'id="verify-(height_cm|weight_kg)"[^>]*value="[^"]+"', form.text)
    wrong = post(
        pharmacist,
        order,
        f"{order}/verify",
        {"height_cm": "170", "weight_kg": "63", "version": version(form)},
    )
    assert wrong.status_code == 422
    assert "not reproduced" in error_beside(wrong, "verify", "weight_kg")
    assert 'value="63"' in wrong.text
    verified = post(
        pharmacist,
        order,
        f"{order}/verify",
        {"height_cm": "170", "weight_kg": "60", "version": version(form)},
    )
    assert location(verified) == order
    CLOCK["now"] = NOW

    sheet = pharmacist.get(order)
    assert "Pharmacy worksheet" in sheet.text
    assert "2 × 0.9 mg" in sheet.text and "5.36 mL" in sheet.text and "50 mL/h" in sheet.text
    prepared = post(
        pharmacist,
        order,
        f"{order}/prepare",
        {
            "reconstituted_at": "2026-05-04T08:30",
            "diluted_at": "2026-05-04T08:45",
            "refrigerated": "no",
            "vial_lots": "LOT-A\nLOT-B",
            "version": version(sheet),
        },
    )
    assert location(prepared) == order
    clock_page = nurse.get(order)
    assert "Start the infusion by" in clock_page.text
    assert re.search(
        r'<time datetime="2026-05-04T11:45:00\+02:00" data-countdown>', clock_page.text
    )
    assert "LOT-A, LOT-B" in clock_page.text and 'class="print-label"' in clock_page.text
    status = clock_page.text.split('id="status-heading"')[1].split("</section>")[0]
    assert "Start by" in status and "End by" in status and "data-countdown" in status
    assert "Dilute by" not in status  # the dilution time was recorded
    assert "prep.diluted_storage_reading" not in clock_page.text.replace(
        'href="/rules/prep.diluted_storage_reading"', ""
    )
    assert "diluted_at" not in clock_page.text.replace('name="diluted_at"', "")
    assert "2–8 °C" in clock_page.text and "Dilute by" in clock_page.text  # limits table
    assert '<td class="nowrap"><time datetime="2026-05-04T12:30:00+02:00">12:30</time>' in (
        clock_page.text
    )
    assert "corticosteroid, an antipyretic and an antihistamine" in clock_page.text
    assert "about 60 min before" in clock_page.text
    assert 'href="/rules/premedication"' in clock_page.text
    assert "at least 60 min after the infusion ends" in clock_page.text
    assert 'href="/rules/prep.observation"' in clock_page.text
    assert "24-hour clock, Europe/Paris time." in clock_page.text
    assert "Not done yet: </span>Administration: waiting" in clock_page.text
    worklist = nurse.get("/")
    assert "Prepared doses waiting to be given" in worklist.text and "left" in worklist.text

    late = post(
        nurse,
        order,
        f"{order}/administer",
        {
            "started_at": "2026-05-04T09:00",
            "ended_at": "2026-05-04T08:00",
            "version": version(clock_page),
        },
    )
    assert late.status_code == 422
    assert "must not be before" in error_beside(late, "administer", "ended_at")
    given = post(
        nurse,
        order,
        f"{order}/administer",
        {
            "started_at": "2026-05-04T09:00",
            "ended_at": "2026-05-04T10:00",
            "reaction_grade": "1",
            "reaction_name": "chills",
            "version": version(clock_page),
        },
    )
    assert location(given) == order
    assert "Administered" in nurse.get(order).text
    course_page = doctor.get(course)
    assert "Given" in course_page.text and "chills" in course_page.text
    assert "No dose due" in course_page.text  # day 8 is not due yet
    # The dose row belongs to the order: no Withdraw, a link to the order instead.
    dose_row = course_page.text.split("Cycle 1 day 1: 0.8 mg/m² given")[1].split("</tr>")[0]
    assert "Given through order" in dose_row and "/correct" not in dose_row
    assert "window 2026-05-10 to 2026-05-13" in course_page.text  # day 8, as the engine says
    assert "circulating blasts" not in course_page.text  # pre-first-dose reminder gone


def test_sign_needs_an_override_reason_when_the_dose_differs(login: Client) -> None:
    """A dose more than 5% off the engine's: the reason is asked for beside its field."""
    doctor = login("physician")
    course = new_course(doctor)
    data = {"cycle": "1", "day": "1", "dose_mg_per_m2": "0.6", "scheduled_on": "2026-05-04"}
    refused = post(doctor, course, f"{course}/orders", data)
    assert refused.status_code == 422
    assert "override reason is required" in error_beside(refused, "sign", "override_reason")
    assert 'value="0.6"' in refused.text
    signed = post(doctor, course, f"{course}/orders", {**data, "override_reason": "frail"})
    page = doctor.get(location(signed))
    assert "Flagged" in page.text and "frail" in page.text


def test_nurses_may_not_sign_and_unknown_orders_are_404(login: Client) -> None:
    """The service's role rule reaches the page (403 beside the form); no such order: 404."""
    doctor = login("physician")
    course = new_course(doctor)
    order = location(
        post(
            doctor,
            course,
            f"{course}/orders",
            {"cycle": "1", "day": "1", "dose_mg_per_m2": "0.8", "scheduled_on": "2026-05-04"},
        )
    )
    nurse = login("nurse")
    refused = post(
        nurse,
        course,
        f"{course}/orders",
        {"cycle": "1", "day": "1", "dose_mg_per_m2": "0.8", "scheduled_on": "2026-05-04"},
    )
    assert refused.status_code == 403
    assert "Waiting for a pharmacist" in nurse.get(order).text
    assert doctor.get("/orders/999").status_code == 404


def test_hematologic_hold_shows_in_the_decision_timeline_and_worklist(login: Client) -> None:
    """Cycle 1 given (day 15 two days late), counts low on the day cycle 2 is due: a hold.

    Cycle 1 from 6 April: due again 27 April, and 6 days after the 22 April dose, i.e.
    28 April. With ANC 700/mm3 (< 1,000) and platelets 30,000/mm3 (< 50,000) on 4 May,
    cycle 2 is held: its day 1 shows as delayed, and day 15 of cycle 1 as given late.
    """
    doctor = login("physician")
    course = new_course(doctor)
    for day, date, amount in (("1", "2026-04-06", "0.8"), ("8", "2026-04-13", "0.5")):
        done = post(
            doctor,
            course,
            f"{course}/dose",
            {"date": date, "cycle": "1", "day": day, "dose_mg_per_m2": amount},
        )
        assert location(done) == course
    twice = post(
        doctor,
        course,
        f"{course}/dose",
        {"date": "2026-04-14", "cycle": "1", "day": "8", "dose_mg_per_m2": "0.5"},
    )
    assert twice.status_code == 422 and "already recorded" in error_beside(twice, "dose", "day")
    location(
        post(
            doctor,
            course,
            f"{course}/dose",
            {"date": "2026-04-22", "cycle": "1", "day": "15", "dose_mg_per_m2": "0.5"},
        )
    )
    location(
        post(
            login("nurse"),
            course,
            f"{course}/labs",
            {
                "date": "2026-05-04",
                "anc_per_mm3": "700",
                "platelets_per_mm3": "30000",
                # liver tests since the last dose (labs.missing holds the dose without them)
                **{
                    f"{k}_value": v for k, v in (("bilirubin", "0.6"), ("ast", "25"), ("alt", "22"))
                },
                **{f"{k}_uln": v for k, v in (("bilirubin", "1.2"), ("ast", "40"), ("alt", "40"))},
            },
        )
    )
    page = doctor.get(course)
    assert "Hold: the next cycle may not start yet" in page.text
    assert 'href="/rules/heme.anc_gate"' in page.text
    assert 'href="/rules/heme.platelet_gate"' in page.text
    assert "Given late" in page.text and "2 day(s) after day 15" in page.text
    assert "Delayed" in page.text and "due since 2026-04-28" in page.text
    assert "Recheck from" in page.text and "Next dose not before" not in page.text
    assert "the ANC is ≥ 1,000/mm³" in page.text and "platelets are ≥ 50,000/mm³" in page.text
    worklist = doctor.get("/")
    assert "Doe, Jo" in worklist.text and 'class="action action-hold">Hold<' in worklist.text
    assert "hold: ANC 700/mm3 is below 1000" in worklist.text  # the engine's reason, one line
    before = doctor.get(course, params={"on": "2026-04-20"})
    assert before.status_code == 200 and "cannot assess" not in before.text
    assert "Labs: ANC 700/mm³" in page.text and "Labs: ANC 700/mm³" in before.text


def test_worklist_shows_the_dose_due_the_open_orders_and_alerts(login: Client) -> None:
    """Day 1 due today: the worklist says give, lists the signed order and the VOD risk."""
    doctor = login("physician")
    course = new_course(doctor)  # transplant planned: a VOD risk factor
    before = doctor.get("/")
    assert "Give the dose" in before.text and "0.8 mg/m² = 1.34 mg" in before.text
    assert "VOD risk factors: " in before.text and "Transplant planned" in before.text
    assert before.text.count('class="alert-vod"') == 1  # one neutral line, however many
    order = location(
        post(
            doctor,
            course,
            f"{course}/orders",
            {"cycle": "1", "day": "1", "dose_mg_per_m2": "0.8", "scheduled_on": "2026-05-04"},
        )
    )
    after = login("pharmacist").get("/")
    assert f'href="{order}"' in after.text
    assert "Signed, awaiting pharmacist verification" in after.text
    # The signed order covers day 1: no second "Give the dose" invites another order.
    order_id = order.rsplit("/", 1)[1]
    assert f"Ordered — order {order_id}, signed" in after.text
    assert "Give the dose" not in after.text and "No second order needed" in after.text
