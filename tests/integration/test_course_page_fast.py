"""The course page answered in front of the routing (entrypoints/web/course_page_asgi.py,
services/page_reads.py), on SQLite and PostgreSQL.

Each request is made twice, with the layer on and off (`app.state.course_page_fast`), and
the two answers compared: status, headers and body, byte for byte (one browser session,
so one CSRF token). The plain case must be answered by the layer; every other case (no,
ended or expired session, deactivated account, a role that may not read the course, no
such course or measurement, a measurement dated after today, other methods and
spellings of the path) by the route, as before. The access log records each read once,
alike either way; the quick reads give the rows, values and types of the unit of work.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker
from tests.integration.conftest import MakeUser
from tests.integration.test_course_page_cache import _browser
from tests.integration.test_pharmacy_day import DAY1, EIGHT, at, verified_order

from inocds.adapters.db.engine import transaction
from inocds.adapters.db.models import Course, Measurement, User, WebSession
from inocds.entrypoints.api import create_app
from inocds.entrypoints.api.clock import now, today
from inocds.entrypoints.web import course_page_asgi
from inocds.services import course_page, courses, order_history, orders, page_reads, waste
from inocds.services.access_log import list_accesses
from inocds.settings import Settings

Factory = sessionmaker[Session]


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    """The app on the module's database; today is DAY1 (2026-05-04), now 09:00 (UTC+2)."""
    app = create_app(Settings(database_url=database_url, secure_cookies=False))
    app.dependency_overrides[today] = lambda: DAY1
    app.dependency_overrides[now] = lambda: at(9)
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def answered(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One item per request the layer tried: True when it answered itself."""
    calls: list[bool] = []
    real = course_page_asgi._page

    def counted(*args: Any) -> Any:
        response = real(*args)
        calls.append(response is not None)
        return response

    monkeypatch.setattr(course_page_asgi, "_page", counted)
    return calls


def _course(factory: Factory, make_user: MakeUser) -> tuple[dict[str, User], int, int]:
    """A team and a course with a prepared order (its beyond-use clock on the page) and a
    cancelled prepared order (two waste entries): (team, course id, patient id)."""
    team = {r: make_user(factory, r) for r in ("physician", "pharmacist", "nurse")}
    first = verified_order(factory, team, 170, 60)
    with transaction(factory) as s:
        orders.prepare(s, team["pharmacist"], first, EIGHT, False)
        course = s.get(Course, s.get(orders.Order, first).course_id)  # type: ignore[union-attr]
        assert course is not None
        course_id, patient_id = course.id, course.patient_id
        second = orders.sign(
            s,
            team["physician"],
            course_id,
            orders.OrderInput(1, 8, 0.5, DAY1, "test: a second bag"),
            DAY1,
            now=at(7),
        )
    with transaction(factory) as s:
        orders.verify(s, team["pharmacist"], second.id, 170, 60, now=at(7))
    with transaction(factory) as s:
        orders.prepare(s, team["pharmacist"], second.id, EIGHT, False)
    with transaction(factory) as s:
        orders.cancel(s, team["physician"], second.id, "patient admitted elsewhere")
    labs = {"type": "labs", "date": "2026-05-03", "anc_per_mm3": 1600, "platelets_per_mm3": 90000}
    toxicity = {"type": "toxicity", "category": "nonhematologic", "name": "nausea", "grade": 1}
    with transaction(factory) as s:
        courses.append_event(s, team["physician"], course_id, labs, DAY1)
        courses.append_event(s, team["nurse"], course_id, toxicity | {"onset": "2026-05-03"}, DAY1)
    return team, course_id, patient_id


def _both(client: TestClient, browser: TestClient, method: str, path: str) -> list[Any]:
    """The answer with the layer on, then off: (status, headers, body) each."""
    state = client.app.state  # type: ignore[attr-defined]
    answers = []
    for fast in (True, False):
        state.course_page_fast = fast
        try:
            answer = browser.request(method, path, follow_redirects=False)
        finally:
            state.course_page_fast = True
        answers.append((answer.status_code, answer.headers.multi_items(), answer.content))
    return answers


def test_the_page_is_the_routes_page_byte_for_byte(
    client: TestClient, session_factory: Factory, make_user: MakeUser, answered: list[bool]
) -> None:
    team, course_id, _ = _course(session_factory, make_user)
    browser = _browser(client, team["physician"].username)
    for query in ("", "?on=2026-05-01", "?on=2026-05-04&vod=on", "?on=not-a-date", "?saved=labs"):
        fast, route = _both(client, browser, "GET", f"/courses/{course_id}{query}")
        assert fast == route
        assert fast[0] == 200 and b"Order " in fast[2] and b"Waste" in fast[2]
    assert b"start by" in fast[2]  # the prepared order's clock, from now (09:00)
    assert answered == [True] * 5  # the five "on" answers came from the layer
    for role in ("nurse", "pharmacist"):  # other rights on the entries, other forms
        other = _browser(client, team[role].username)
        fast, route = _both(client, other, "GET", f"/courses/{course_id}")
        assert fast == route and fast[0] == 200


def test_every_other_answer_is_the_routes(
    client: TestClient, session_factory: Factory, make_user: MakeUser, answered: list[bool]
) -> None:
    team, course_id, patient_id = _course(session_factory, make_user)
    user = team["physician"]
    path = f"/courses/{course_id}"
    cases: dict[str, tuple[Any, str, str]] = {
        "no session": (TestClient(client.app), "GET", path),
        "unknown course": (_browser(client, user.username), "GET", f"/courses/{course_id + 999}"),
        "leading zero": (_browser(client, user.username), "GET", f"/courses/0{course_id}"),
        "not a number": (_browser(client, user.username), "GET", "/courses/abc"),
        "slash": (_browser(client, user.username), "GET", path + "/"),
        "HEAD": (_browser(client, user.username), "HEAD", path),
        "admin": (_browser(client, make_user(session_factory, "admin").username), "GET", path),
    }
    statuses = {}
    for name, (browser, method, where) in cases.items():
        fast, route = _both(client, browser, method, where)
        assert fast == route, name
        statuses[name] = fast[0]
    assert statuses["no session"] == 303 and statuses["unknown course"] == 404
    assert statuses["admin"] == 403
    browser = _browser(client, user.username)
    with transaction(session_factory) as s:  # expired: its end moved to the past
        s.execute(
            update(WebSession)
            .where(WebSession.user_id == user.id)
            .values(expires_at=dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
        )
    fast, route = _both(client, browser, "GET", path)
    assert fast == route and fast[0] == 303
    browser = _browser(client, user.username)
    with transaction(session_factory) as s:
        s.execute(update(User).where(User.id == user.id).values(active=False))
    fast, route = _both(client, browser, "GET", path)
    assert fast == route and fast[0] == 303
    with transaction(session_factory) as s:
        s.execute(update(User).where(User.id == user.id).values(active=True))
    with transaction(session_factory) as s:  # the latest measurement dated after today
        later = DAY1 + dt.timedelta(days=3)
        s.add(
            Measurement(
                patient_id=patient_id,
                measured_on=later,
                height_cm=170,
                weight_kg=61,
                recorded_by=user.id,
            )
        )
    browser = _browser(client, user.username)
    fast, route = _both(client, browser, "GET", path)
    assert fast == route and fast[0] == 200
    with transaction(session_factory) as s:  # no measurement at all
        s.execute(Measurement.__table__.delete().where(Measurement.patient_id == patient_id))
    fast, route = _both(client, browser, "GET", path)
    assert fast == route and fast[0] == 404
    assert True not in answered  # the layer answered none of them


def test_the_access_log_records_the_read_alike(
    client: TestClient, session_factory: Factory, make_user: MakeUser, answered: list[bool]
) -> None:
    """Layer on, then off: the same rows (user, patient, what) for each request."""
    team, course_id, patient_id = _course(session_factory, make_user)
    state = client.app.state  # type: ignore[attr-defined]
    admin = make_user(session_factory, "admin")
    what = f"GET /courses/{course_id}"
    for user in (team["physician"], admin):
        browser = _browser(client, user.username)
        logged = []
        for fast in (True, False):
            state.course_page_fast = fast
            try:
                browser.get(f"/courses/{course_id}")
            finally:
                state.course_page_fast = True
            state.access_log.flush()
            with session_factory() as s:
                found = list_accesses(s, user_id=user.id)
            logged.append(sorted(((a.user_id, a.patient_id, a.action) for a in found), key=repr))
        first, both = logged
        assert both == sorted(first + first, key=repr)  # the second added the first's rows
        if user is admin:  # refused before anything was read, layer on and off alike
            assert first == []
        else:  # the patient, and the course's orders (a list)
            assert first == sorted([(user.id, None, what), (user.id, patient_id, what)], key=repr)
    assert answered == [True, False]  # the physician's page by the layer, not the admin's


def _typed(rows: list[Any]) -> list[Any]:
    return [[(value, type(value)) for value in row] for row in rows]


def _page_reads(source: page_reads.Reads, actor: User, course_id: int) -> list[list[Any]]:
    """The course page's four reads (events, orders, waste, course + patient + measurement)
    from `source`, each as rows of values."""
    orders_read = order_history.course_order_rows(source, actor, course_id)
    records = course_page._course_patient(source, actor, course_id)
    return [
        [list(r) for r in course_page.stored_event_rows(source, course_id)],
        [list(r["order"]) for r in orders_read],
        [list(r) for r in waste.course_waste(source, actor, course_id)[0]],
        [list(vars(r).values()) for r in records],
    ]


def test_quick_rows_are_the_unit_of_works_rows(
    client: TestClient, session_factory: Factory, make_user: MakeUser
) -> None:
    """Rows, values and types alike (floats stay floats, dates dates, JSON decoded)."""
    team, course_id, _ = _course(session_factory, make_user)
    reads = client.app.state.stored_reads  # type: ignore[attr-defined]
    for role in ("physician", "pharmacist"):
        with session_factory() as s, page_reads.quick_rows(reads) as quick:
            actor = s.scalars(select(User).where(User.id == team[role].id)).one()
            slow, fast = _page_reads(s, actor, course_id), _page_reads(quick, actor, course_id)
            assert [_typed(rows) for rows in fast] == [_typed(rows) for rows in slow]
            assert [len(rows) for rows in fast] == [2, 2, 3, 3]  # events, orders, waste, records
