"""Corrections keep the role table: every escalation of issue 10 answers 403 over real HTTP.

A correction (supersede) or retraction needs a role allowed to record the replaced
event's type as well as the new one; a physician's clinical judgement is corrected by a
physician only; a dose event written by an administration is corrected only through
the order workflow (a physician voids the administration), never through the events API.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests.reliability.conftest import Service, now_iso, sign_body

pytestmark = pytest.mark.e2e

TODAY = dt.date.today().isoformat()


def _record(service: Service, course_id: int, role: str, event: dict[str, Any]) -> int:
    """Stores `event` as `role`; its id."""
    path = f"/api/v1/courses/{course_id}/events"
    return int(service.ok("POST", path, role, json=event)["id"])


def _supersede(
    service: Service, course_id: int, role: str, event_id: int, event: dict[str, Any]
) -> int:
    path = f"/api/v1/courses/{course_id}/events"
    answer = service.call("POST", path, role, params={"supersedes_id": event_id}, json=event)
    return answer.status_code


def _retract(service: Service, course_id: int, role: str, event_id: int) -> int:
    path = f"/api/v1/courses/{course_id}/events/{event_id}/retract"
    return service.call("POST", path, role, json={"reason": "entered in error"}).status_code


def test_a_pharmacist_may_not_replace_a_discontinuation_with_labs(service: Service) -> None:
    """A physician's `discontinued` replaced by a pharmacist's `labs` event: 403."""
    _, course_id = service.new_course()
    stopped = _record(service, course_id, "physician", {"type": "discontinued", "date": TODAY})
    labs = {"type": "labs", "date": TODAY, "anc_per_mm3": 1600}
    assert _supersede(service, course_id, "pharmacist", stopped, labs) == 403
    assert _retract(service, course_id, "pharmacist", stopped) == 403
    assessed = service.ok("POST", f"/api/v1/courses/{course_id}/assess", "physician", json={})
    assert assessed["action"] != "give"
    assert service.server_errors() == []


def test_a_nurse_may_not_downgrade_a_physicians_vod(service: Service) -> None:
    """A physician's grade-3 VOD replaced by a nurse's grade-1 rash: 403."""
    _, course_id = service.new_course()
    vod = {"type": "toxicity", "category": "vod", "grade": 3, "onset": TODAY}
    vod_id = _record(service, course_id, "physician", vod)
    rash = {"type": "toxicity", "category": "nonhematologic", "name": "rash", "grade": 1}
    assert _supersede(service, course_id, "nurse", vod_id, {**rash, "onset": TODAY}) == 403
    assert service.server_errors() == []


def test_a_nurse_may_not_retract_a_physicians_hepatic_toxicity(service: Service) -> None:
    """A physician's grade-4 hepatic toxicity retracted by a nurse: 403; by a physician: 201."""
    _, course_id = service.new_course()
    hepatic = {"type": "toxicity", "category": "hepatic", "grade": 4, "onset": TODAY}
    hepatic_id = _record(service, course_id, "physician", hepatic)
    assert _retract(service, course_id, "nurse", hepatic_id) == 403
    assert _retract(service, course_id, "physician2", hepatic_id) == 201
    assert service.server_errors() == []


def test_a_nurse_still_corrects_her_own_toxicity(service: Service) -> None:
    """A nurse's grade-2 rash corrected by a nurse to grade 1: allowed (201)."""
    _, course_id = service.new_course()
    rash = {"type": "toxicity", "category": "nonhematologic", "grade": 2, "onset": TODAY}
    rash_id = _record(service, course_id, "nurse", rash)
    assert _supersede(service, course_id, "nurse", rash_id, {**rash, "grade": 1}) == 201
    assert service.server_errors() == []


def test_an_administered_dose_is_corrected_only_through_its_order(service: Service) -> None:
    """The administration's dose event: 403 to supersede or retract it, for every role;
    a second order for the dose: 409; a physician's void frees the dose again."""
    _, course_id = service.new_course()
    order = service.prepared_order(course_id)
    given = service.call(
        "POST",
        f"/api/v1/orders/{order['id']}/administrations",
        "nurse",
        json={"started_at": now_iso()},
    )
    assert given.status_code == 201, given.text
    dose_id = given.json()["administration"]["dose_event_id"]
    replacement = {"type": "dose", "date": TODAY, "cycle": 1, "day": 1, "dose_mg_per_m2": 0.5}
    for role in ("nurse", "physician"):
        assert _supersede(service, course_id, role, dose_id, replacement) == 403
        assert _retract(service, course_id, role, dose_id) == 403
    path = f"/api/v1/courses/{course_id}/orders"
    again = service.call("POST", path, "physician", json=sign_body())
    assert again.status_code == 409 and f"order {order['id']}" in again.text
    void = f"/api/v1/orders/{order['id']}/void"
    assert service.call("POST", void, "nurse", json={"reason": "wrong patient"}).status_code == 403
    voided = service.ok("POST", void, "physician", json={"reason": "wrong patient"})
    assert voided["status"] == "cancelled"
    events = service.ok("GET", f"/api/v1/courses/{course_id}/events", "nurse")
    assert [e["id"] for e in events if e["retracted"]] != []
    assert service.call("POST", path, "physician", json=sign_body()).status_code == 201
    assert service.server_errors() == []
