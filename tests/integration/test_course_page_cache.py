"""The course page's read model and rendered parts kept between requests
(services/course_read_cache.py; entrypoints/web/pages/course_fragments.py: engine parts,
blank forms, entries), on SQLite and PostgreSQL.

What must hold although they are kept: every write (a new event, a retraction, a new
measurement) shows in the very next page, and a page served from the caches is the page
computed afresh (caches emptied), byte for byte but for the session's CSRF token.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from tests.api_course import add_event, stored_course
from tests.integration.conftest import MakeUser
from tests.integration.databases import TEST_PASSWORD

from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.clock import today
from inocds.entrypoints.web.pages.course_fragments import BLANK_FORMS, ENTRIES, FRAGMENTS
from inocds.services.course_read_cache import READ_MODELS
from inocds.settings import Settings

TODAY = dt.date(2026, 1, 19)  # cycle 1 day 15 of a course started 2026-01-05
Headers = dict[str, str]


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    """The app on the module's database; the server's date is TODAY."""
    app = create_app(Settings(database_url=database_url, secure_cookies=False))
    app.dependency_overrides[today] = lambda: TODAY
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def physician(client: TestClient, session_factory: object, make_user: MakeUser) -> str:
    user = make_user(session_factory, role="physician")
    return user.username


def _api(client: TestClient, username: str) -> Headers:
    answer = client.post(
        "/api/v1/auth/token", json={"username": username, "password": TEST_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _browser(client: TestClient, username: str) -> TestClient:
    browser = TestClient(client.app)
    answer = browser.post(
        "/login",
        data={"username": username, "password": TEST_PASSWORD},
        follow_redirects=False,
    )
    assert answer.status_code == 303, answer.text
    return browser


DAY1 = {"type": "dose", "date": "2026-01-05", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8}
DAY8 = {"type": "dose", "date": "2026-01-12", "cycle": 1, "day": 8, "dose_mg_per_m2": 0.5}


def _course(client: TestClient, headers: Headers, mrn: str) -> tuple[int, int]:
    """(patient id, course id): 170 cm / 60 kg; cycle 1 from 2026-01-05, days 1 and 8 given."""
    return stored_course(client, headers, mrn, (DAY1, DAY8))


def _add(client: TestClient, headers: Headers, course_id: int, event: dict[str, object]) -> int:
    return add_event(client, headers, course_id, event)


def _page(browser: TestClient, course_id: int, query: str = "") -> str:
    answer: httpx.Response = browser.get(f"/courses/{course_id}{query}")
    assert answer.status_code == 200, answer.text[:2000]
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token"', answer.text)


def _fresh_page(browser: TestClient, course_id: int, query: str = "") -> str:
    """The page with every cache of the course page emptied first (computed afresh)."""
    for cache in (READ_MODELS, FRAGMENTS, BLANK_FORMS, ENTRIES):
        cache.clear()
    return _page(browser, course_id, query)


def _decision(page: str) -> str:
    """The decision's text: headline, dose, warnings and the rules behind it."""
    found = re.search(r'id="decision-heading">(.*?)<h3 id="sign-heading">', page, re.S)
    assert found, "the page shows no decision"
    return re.sub(r"<[^>]+>|\s+", " ", found.group(1)).strip()


def test_each_write_shows_in_the_very_next_page(client: TestClient, physician: str) -> None:
    """Pages served warm (the same course read twice) follow every write at once."""
    headers = _api(client, physician)
    browser = _browser(client, physician)
    patient_id, course_id = _course(client, headers, "CACHE-1")
    first = _page(browser, course_id)
    assert _page(browser, course_id) == first  # the second one from the caches
    before = _decision(first)
    assert "cycle 1 day 15" in before and "nonheme" not in before

    toxicity = {"type": "toxicity", "category": "nonhematologic", "name": "diarrhea"}
    tox_id = _add(client, headers, course_id, toxicity | {"grade": 3, "onset": "2026-01-18"})
    held = _page(browser, course_id)
    assert "diarrhea, grade 3" in held and "nonheme." in _decision(held)
    assert held == _fresh_page(browser, course_id)

    retracted = client.post(
        f"/api/v1/courses/{course_id}/events/{tox_id}/retract",
        headers=headers,
        json={"reason": "wrong patient"},
    )
    assert retracted.status_code == 201, retracted.text
    back = _page(browser, course_id)
    assert _decision(back) == before and "Withdrawn entries (1)" in back
    assert back == _fresh_page(browser, course_id)

    weighed = client.post(
        f"/api/v1/patients/{patient_id}/measurements",
        headers=headers,
        json={"measured_on": "2026-01-19", "height_cm": 170, "weight_kg": 80},
    )
    assert weighed.status_code == 201, weighed.text
    heavier = _page(browser, course_id)
    assert "1.94 m²" in heavier and "1.68 m²" not in heavier  # Mosteller: BSA of 80 kg
    assert heavier == _fresh_page(browser, course_id)


@pytest.mark.parametrize(
    "query",
    ["", "?on=2026-01-05", "?on=2026-01-12", "?on=2026-01-16", "?on=2026-01-17&vod=on"],
)
def test_a_page_from_the_caches_is_the_page_computed_afresh(
    client: TestClient, physician: str, query: str
) -> None:
    """Warm and cold pages agree on other dates and flags, each kept apart."""
    headers = _api(client, physician)
    browser = _browser(client, physician)
    _, course_id = _course(client, headers, f"CACHE-{len(query)}-{query[-2:]}")
    _add(client, headers, course_id, {"type": "labs", "date": "2026-01-15", "anc_per_mm3": 900})
    warm = [_page(browser, course_id, q) for q in ("", query, "?on=2026-01-06")]
    assert _page(browser, course_id, query) == warm[1]
    cold = [_fresh_page(browser, course_id, q) for q in ("", query, "?on=2026-01-06")]
    assert warm == cold
    for cache in (READ_MODELS, FRAGMENTS, BLANK_FORMS, ENTRIES):
        assert cache.info()["entries"] >= 1


def test_kept_forms_carry_each_sessions_token_and_its_roles_forms(
    client: TestClient, session_factory: object, make_user: MakeUser, physician: str
) -> None:
    """The blank record forms are kept per role, the CSRF token put in per request."""
    headers = _api(client, physician)
    _, course_id = _course(client, headers, "CACHE-ROLES")
    nurse_name = make_user(session_factory, role="nurse").username
    doctor, nurse, doctor2 = (_browser(client, u) for u in (physician, nurse_name, physician))
    for browser in (doctor, nurse, doctor2, nurse):
        page = browser.get(f"/courses/{course_id}").text
        tokens = set(re.findall(r'name="csrf_token" value="([^"]*)"', page))
        assert len(tokens) == 1  # this session's, in every form
        shows_doctor_forms = f'action="/courses/{course_id}/cycle-start"' in page
        assert shows_doctor_forms == (browser is not nurse)
        assert f'action="/courses/{course_id}/labs"' in page
    assert len({_token_of(b, course_id) for b in (doctor, nurse, doctor2)}) == 3


def _token_of(browser: TestClient, course_id: int) -> str:
    page = browser.get(f"/courses/{course_id}").text
    found = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert found
    return found.group(1)
