"""Concurrent requests against a real server: one dose is recorded once, one writer wins.

Each race releases its requests together from as many threads (a barrier), over real
HTTP, on SQLite, on PostgreSQL, and on PostgreSQL with two worker processes.
"""

from __future__ import annotations

import datetime as dt

import httpx
import pytest
from tests.reliability.conftest import Service, now_iso, parallel, sign_body

pytestmark = pytest.mark.e2e

RACERS = 50
TRIALS = 10


def test_50_parallel_signs_of_one_dose_leave_one_live_order(service: Service) -> None:
    """Of 50 signs of cycle 1 day 1, one is stored (201); the others answer 409 naming it."""
    _, course_id = service.new_course()
    path = f"/api/v1/courses/{course_id}/orders"
    answers = parallel(RACERS, lambda _: service.call("POST", path, "physician", json=sign_body()))
    created = [a for a in answers if a.status_code == 201]
    assert len(created) == 1, [a.status_code for a in answers]
    winner = created[0].json()["id"]
    refused = [a for a in answers if a.status_code == 409]
    assert len(refused) == RACERS - 1, [
        (a.status_code, a.text[:200]) for a in answers if a.status_code != 409
    ]
    assert all(f"order {winner}" in a.json()["errors"][0]["message"] for a in refused)
    listed = service.ok("GET", "/api/v1/orders", "nurse", params={"course_id": course_id})
    assert [o["id"] for o in listed if o["status"] != "cancelled"] == [winner]
    assert service.server_errors() == []


def test_a_deliberate_replacement_cancels_the_first_order(service: Service) -> None:
    """A second sign naming the live order in replaces_order_id cancels it: still one live."""
    _, course_id = service.new_course()
    first = service.signed_order(course_id)
    path = f"/api/v1/courses/{course_id}/orders"
    second = service.ok(
        "POST", path, "physician", json={**sign_body(), "replaces_order_id": first["id"]}
    )
    listed = service.ok("GET", "/api/v1/orders", "nurse", params={"course_id": course_id})
    assert {o["id"]: o["status"] for o in listed} == {
        first["id"]: "cancelled",
        second["id"]: "signed",
    }
    assert service.server_errors() == []


def test_50_parallel_dose_events_for_one_slot_store_one(service: Service) -> None:
    """Of 50 dose events for cycle 1 day 1, one is stored; the course still opens (200)."""
    _, course_id = service.new_course()
    path = f"/api/v1/courses/{course_id}/events"
    event = {
        "type": "dose",
        "date": dt.date.today().isoformat(),
        "cycle": 1,
        "day": 1,
        "dose_mg_per_m2": 0.8,
    }
    answers = parallel(RACERS, lambda _: service.call("POST", path, "physician", json=event))
    statuses = [a.status_code for a in answers]
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 409, 422}
    rows = service.ok("GET", path, "nurse")
    assert [r["event"]["type"] for r in rows if r["event"]] == ["dose"]
    service.ok("GET", f"/api/v1/courses/{course_id}/document", "nurse")
    assert service.server_errors() == []


def test_cancel_against_administer_exactly_one_wins(service: Service) -> None:
    """Over 10 trials, cancel and administer of one prepared order: one 2xx, one 409."""
    for _ in range(TRIALS):
        _, course_id = service.new_course()
        oid = service.prepared_order(course_id)["id"]
        administered, cancelled = parallel(2, lambda i, oid=oid: _race(service, oid, i))
        codes = sorted([administered.status_code, cancelled.status_code])
        assert codes == [201, 409] or codes == [200, 409], (administered.text, cancelled.text)
        final = service.ok("GET", f"/api/v1/orders/{oid}", "nurse")
        events = service.ok("GET", f"/api/v1/courses/{course_id}/events", "nurse")
        doses = [e for e in events if e["type"] == "dose" and not e["retracted"]]
        if administered.status_code == 201:
            assert cancelled.status_code == 409
            assert final["status"] == "administered" and len(doses) == 1
        else:
            assert cancelled.status_code == 200
            assert final["status"] == "cancelled" and doses == []
    assert service.server_errors() == []


def _race(service: Service, order_id: int, which: int) -> httpx.Response:
    if which == 0:
        path = f"/api/v1/orders/{order_id}/administrations"
        return service.call("POST", path, "nurse", json={"started_at": now_iso()})
    path = f"/api/v1/orders/{order_id}/cancel"
    return service.call("POST", path, "physician", json={"reason": "race"})


def test_50_parallel_patches_of_one_version_one_wins(service: Service) -> None:
    """50 PATCHes of a patient, all at version 1: one 200 (version 2), 49 answer 409."""
    patient_id, _ = service.new_course()
    path = f"/api/v1/patients/{patient_id}"
    answers = parallel(
        RACERS,
        lambda i: service.call(
            "PATCH", path, "nurse", json={"version": 1, "given_name": f"Name{i}"}
        ),
    )
    statuses = [a.status_code for a in answers]
    assert statuses.count(200) == 1 and statuses.count(409) == RACERS - 1, statuses
    winner = next(a.json() for a in answers if a.status_code == 200)
    stored = service.ok("GET", path, "nurse")
    assert (stored["version"], stored["given_name"]) == (2, winner["given_name"])
    assert service.server_errors() == []
