"""A stored course made through the HTTP API, for the integration tests that need one.

The patient is 170 cm / 60 kg (1.68 m2, measured 2026-01-05), born 1970-02-03, male; the
course has no HSCT planned and pretreatment ANC 1500/mm3, platelets 70000/mm3. Cycle 1
starts 2026-01-05 with those counts, and the given doses follow.
"""

from __future__ import annotations

from typing import Any

__all__ = ["CYCLE1_START", "add_event", "stored_course"]

CYCLE1_START = {
    "type": "cycle_start",
    "date": "2026-01-05",
    "cycle": 1,
    "anc_per_mm3": 1500,
    "platelets_per_mm3": 70000,
}


def add_event(client: Any, headers: dict[str, str], course_id: int, event: dict[str, Any]) -> int:
    """Stores one event; its id."""
    stored = client.post(f"/api/v1/courses/{course_id}/events", headers=headers, json=event)
    assert stored.status_code == 201, stored.text
    event_id: int = stored.json()["id"]
    return event_id


def stored_course(
    client: Any, headers: dict[str, str], mrn: str, doses: tuple[dict[str, Any], ...]
) -> tuple[int, int]:
    """(patient id, course id) of the patient above, cycle 1 started, `doses` recorded."""
    patient = client.post(
        "/api/v1/patients",
        headers=headers,
        json={
            "mrn": mrn,
            "family_name": "Roe",
            "given_name": "Al",
            "birth_date": "1970-02-03",
            "sex": "male",
            "height_cm": 170,
            "weight_kg": 60,
            "measured_on": "2026-01-05",
        },
    )
    assert patient.status_code == 201, patient.text
    course = client.post(
        f"/api/v1/patients/{patient.json()['id']}/courses",
        headers=headers,
        json={
            "hsct_planned": False,
            "pretreatment": {"anc_per_mm3": 1500, "platelets_per_mm3": 70000},
        },
    )
    assert course.status_code == 201, course.text
    course_id: int = course.json()["id"]
    for event in (CYCLE1_START, *doses):
        add_event(client, headers, course_id, event)
    return patient.json()["id"], course_id
