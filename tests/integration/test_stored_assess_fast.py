"""The stored-course assess in one step (entrypoints/api/stored_assess_asgi.py and
services/course_snapshot.py), on SQLite and PostgreSQL.

What must hold although the parsed document is kept between requests and the route's
dependencies are skipped: the answer is the engine's answer on the stored document
(the same as the stateless `/api/v1/assess` of `/document`); a write to the course or
the patient changes the very next answer; a revoked token, a deactivated account, a
role change and a password change are refused on the very next request; and every
answer that is not a decision (401, 403, 404, 422) is the ordinary route's.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker
from tests.api_course import stored_course
from tests.integration.conftest import MakeUser
from tests.integration.databases import TEST_PASSWORD

from inocds.adapters.db.engine import transaction
from inocds.entrypoints.api import create_app, stored_assess_asgi
from inocds.entrypoints.api.clock import today
from inocds.services import course_snapshot
from inocds.services.access_log import list_accesses
from inocds.settings import Settings

TODAY = dt.date(2026, 1, 12)  # cycle 1 day 8 of a course started 2026-01-05
LIVER = {
    "bilirubin": {"value": 0.7, "uln": 1.2},
    "ast": {"value": 28, "uln": 40},
    "alt": {"value": 30, "uln": 40},
}
Factory = sessionmaker[Session]


@pytest.fixture
def fast_calls(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    """One item per request the one-step layer tried: True when it answered itself."""
    calls: list[bool] = []
    real = stored_assess_asgi.assess_for_token

    def counted(*args: Any) -> dict[str, Any] | None:
        answer = real(*args)
        calls.append(answer is not None)
        return answer

    monkeypatch.setattr(stored_assess_asgi, "assess_for_token", counted)
    return calls


@pytest.fixture(scope="module")
def client(database_url: str) -> Iterator[TestClient]:
    """The app on the module's database; the server's date is TODAY."""
    app = create_app(Settings(database_url=database_url, secure_cookies=False))
    app.dependency_overrides[today] = lambda: TODAY
    with TestClient(app) as test_client:
        yield test_client


def _token(client: TestClient, username: str) -> dict[str, str]:
    answer = client.post(
        "/api/v1/auth/token", json={"username": username, "password": TEST_PASSWORD}
    )
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def _course(client: TestClient, headers: dict[str, str], mrn: str) -> int:
    """170 cm / 60 kg (1.68 m2); cycle 1 started 2026-01-05 with its day 1 dose given."""
    day1 = {"type": "dose", "date": "2026-01-05", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8}
    return stored_course(client, headers, mrn, (day1,))[1]


def _stateless(client: TestClient, headers: dict[str, str], course_id: int) -> dict[str, Any]:
    """The stateless assess of the stored document with today's labs."""
    document = client.get(f"/api/v1/courses/{course_id}/document", headers=headers).json()
    document["today"]["labs"] = LIVER
    answer = client.post("/api/v1/assess", json=document)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def _assess(client: TestClient, headers: dict[str, str], course_id: int) -> Any:
    return client.post(f"/api/v1/courses/{course_id}/assess", headers=headers, json={"labs": LIVER})


def test_a_new_event_changes_the_very_next_answer(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    fast_calls: list[bool],
) -> None:
    """Day 8 due, then recorded: the kept document of the first answer is not used again."""
    doctor = _token(client, make_user(session_factory, "physician").username)
    course_id = _course(client, doctor, "FAST-1")
    course_snapshot.clear_cache()
    due = _assess(client, doctor, course_id)
    again = _assess(client, doctor, course_id)
    assert due.status_code == again.status_code == 200
    assert due.json() == again.json() == _stateless(client, doctor, course_id)
    assert (due.json()["action"], due.json()["day"]) == ("give", 8)
    assert course_snapshot.cache_info()["hits"] >= 1  # the second answer came from the cache
    day8 = {"type": "dose", "date": "2026-01-12", "cycle": 1, "day": 8, "dose_mg_per_m2": 0.5}
    client.post(f"/api/v1/courses/{course_id}/events", headers=doctor, json=day8)
    after = _assess(client, doctor, course_id)
    assert after.status_code == 200
    assert after.json() != due.json()
    assert after.json() == _stateless(client, doctor, course_id)
    assert after.json()["day"] != 8  # day 8 is given: the next decision is about another day
    assert fast_calls == [True, True, True]  # all three answered in one step


def test_a_new_weight_changes_the_very_next_dose(
    client: TestClient, session_factory: Factory, make_user: MakeUser
) -> None:
    """60 -> 80 kg: the day 8 dose follows at once (Mosteller BSA 1.68 -> 1.94 m2)."""
    doctor = _token(client, make_user(session_factory, "physician").username)
    course_id = _course(client, doctor, "FAST-2")
    before = _assess(client, doctor, course_id).json()
    assert before["dose_mg"] == 0.84  # 0.5 mg/m2 x sqrt(170 x 60 / 3600) = 0.5 x 1.68
    patient_id = client.get(f"/api/v1/courses/{course_id}", headers=doctor).json()["patient_id"]
    measured = client.post(
        f"/api/v1/patients/{patient_id}/measurements",
        headers=doctor,
        json={"measured_on": "2026-01-11", "height_cm": 170, "weight_kg": 80},
    )
    assert measured.status_code in (200, 201), measured.text
    after = _assess(client, doctor, course_id).json()
    assert after["dose_mg"] == 0.97  # 0.5 x sqrt(170 x 80 / 3600) = 0.5 x 1.94
    assert after == _stateless(client, doctor, course_id)


def test_logout_refuses_the_token_on_the_very_next_request(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    fast_calls: list[bool],
) -> None:
    """200 in one step, logout, then 401 (the route's answer) on the next request."""
    doctor = _token(client, make_user(session_factory, "physician").username)
    course_id = _course(client, doctor, "FAST-3")
    assert _assess(client, doctor, course_id).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=doctor).status_code == 204
    refused = _assess(client, doctor, course_id)
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    assert fast_calls == [True, False]


def _admin_change(
    client: TestClient, admin: dict[str, str], user_id: int, change: dict[str, Any]
) -> None:
    version = client.get(f"/api/v1/users/{user_id}", headers=admin).json()["version"]
    answer = client.patch(
        f"/api/v1/users/{user_id}", headers=admin, json={"version": version, **change}
    )
    assert answer.status_code == 200, answer.text


@pytest.mark.parametrize(
    ("change", "status"),
    [({"active": False}, 401), ({"role": "admin"}, 401), ("password", 401)],
    ids=["deactivated", "role-changed", "password-changed"],
)
def test_an_account_change_refuses_the_token_on_the_very_next_request(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    change: dict[str, Any] | str,
    status: int,
) -> None:
    """Deactivation, a role change and a password reset end the tokens at once."""
    admin = _token(client, make_user(session_factory, "admin").username)
    nurse_user = make_user(session_factory, "nurse")
    nurse = _token(client, nurse_user.username)
    doctor = _token(client, make_user(session_factory, "physician").username)
    course_id = _course(client, doctor, f"FAST-4-{nurse_user.id}")
    assert _assess(client, nurse, course_id).status_code == 200
    if change == "password":
        reset = client.post(
            f"/api/v1/users/{nurse_user.id}/password",
            headers=admin,
            json={"password": "another long password"},
        )
        assert reset.status_code == 200, reset.text
    else:
        assert isinstance(change, dict)
        _admin_change(client, admin, nurse_user.id, change)
    assert _assess(client, nurse, course_id).status_code == status


def test_other_answers_are_the_routes(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    fast_calls: list[bool],
) -> None:
    """404, 422 (every bad field), 403 and 401 come from the ordinary route."""
    doctor = _token(client, make_user(session_factory, "physician").username)
    admin = _token(client, make_user(session_factory, "admin").username)
    course_id = _course(client, doctor, "FAST-5")
    missing = client.post("/api/v1/courses/999999/assess", headers=doctor, json={})
    assert missing.status_code == 404
    assert missing.json()["errors"][0]["field"] == "course_id"
    bad = client.post(
        f"/api/v1/courses/{course_id}/assess", headers=doctor, json={"vod": "x", "extra": 1}
    )
    assert bad.status_code == 422
    assert sorted(e["field"] for e in bad.json()["errors"]) == ["extra", "vod"]
    late = client.post(
        f"/api/v1/courses/{course_id}/assess", headers=doctor, json={"date": "1969-01-01"}
    )
    assert late.status_code == 422  # before the patient's birth: the engine refuses it
    assert _assess(client, admin, course_id).status_code == 403
    nobody = _assess(client, {"Authorization": "Bearer not-a-token"}, course_id)
    assert nobody.status_code == 401
    assert True not in fast_calls  # none of them was answered in one step


def test_an_idempotency_key_takes_the_ordinary_route(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    fast_calls: list[bool],
) -> None:
    """A request with Idempotency-Key is recorded and replayed as every POST is."""
    doctor = _token(client, make_user(session_factory, "physician").username)
    course_id = _course(client, doctor, "FAST-6")
    headers = {**doctor, "Idempotency-Key": "fast-path-key-0001"}
    first = client.post(f"/api/v1/courses/{course_id}/assess", headers=headers, json={})
    second = client.post(f"/api/v1/courses/{course_id}/assess", headers=headers, json={})
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert fast_calls == []


def _without_date(headers: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in headers.multi_items() if k != "date"]


def test_the_answer_in_front_of_the_stack_is_the_routes_byte_for_byte(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    fast_calls: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The layer answers before the request stack adds its headers (security headers, CSP
    with the handout's style hash, no-store), so it adds them itself: the same status,
    headers in the same order and body as the route behind the whole stack."""
    user = make_user(session_factory, "physician")
    doctor = _token(client, user.username)
    course_id = _course(client, doctor, "FAST-7")
    fast = _assess(client, doctor, course_id)
    assert fast_calls == [True]
    monkeypatch.setattr(stored_assess_asgi, "assess_for_token", lambda *args: None)
    routed = _assess(client, doctor, course_id)  # the layer declines: the route answers
    assert (fast.status_code, fast.content) == (routed.status_code, routed.content)
    assert _without_date(fast.headers) == _without_date(routed.headers)
    assert (
        "content-security-policy" in fast.headers
        and "sha256-" in fast.headers["content-security-policy"]
    )


def test_a_read_answered_in_front_is_logged_once_and_a_handed_on_one_by_the_route(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    fast_calls: list[bool],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The access log has one row per request whichever answered it (the layer's own read
    set is handed over only when it answers)."""
    user = make_user(session_factory, "physician")
    doctor = _token(client, user.username)
    course_id = _course(client, doctor, "FAST-8")
    patient_id = client.get(f"/api/v1/courses/{course_id}", headers=doctor).json()["patient_id"]
    action = f"POST /api/v1/courses/{course_id}/assess"
    log = client.app.state.access_log  # type: ignore[attr-defined]

    def rows() -> int:
        log.flush()
        with transaction(session_factory) as session:
            found = list_accesses(session, patient_id=patient_id, user_id=user.id, limit=200)
        return sum(row.action == action for row in found)

    before = rows()
    assert _assess(client, doctor, course_id).status_code == 200
    assert fast_calls == [True] and rows() == before + 1
    real = stored_assess_asgi.assess_for_token

    def read_then_decline(*args: Any) -> None:
        real(*args)  # the read is noted in the layer's own set, then the route answers
        return None

    monkeypatch.setattr(stored_assess_asgi, "assess_for_token", read_then_decline)
    assert _assess(client, doctor, course_id).status_code == 200
    assert rows() == before + 2  # the route's one row, not a second from the layer


@pytest.mark.parametrize(
    ("mrn", "path", "headers", "content", "status"),
    [
        ("FAST-9Q", "{path}?x=1", {}, b'{"labs": null}', 200),  # a query: the guard reads it
        ("FAST-9C", "{path}", {}, b'{"labs": {"note": "a\\u0001b"}}', 422),  # the guard's 422
        ("FAST-9L", "{path}", {"transfer-encoding": "chunked"}, None, 200),  # length unknown
    ],
)
def test_what_the_stack_would_refuse_or_see_first_goes_the_long_way(
    client: TestClient,
    session_factory: Factory,
    make_user: MakeUser,
    fast_calls: list[bool],
    mrn: str,
    path: str,
    headers: dict[str, str],
    content: bytes | None,
    status: int,
) -> None:
    doctor = _token(client, make_user(session_factory, "physician").username)
    course_id = _course(client, doctor, mrn)
    url = path.format(path=f"/api/v1/courses/{course_id}/assess")
    sent = {**doctor, "content-type": "application/json", **headers}
    if content is None:  # a body of unknown length, sent in chunks
        answer = client.post(url, headers=sent, content=iter([b'{"labs": ', b"null}"]))
    else:
        answer = client.post(url, headers=sent, content=content)
    assert answer.status_code == status, answer.text
    assert True not in fast_calls  # the layer answered none of them
