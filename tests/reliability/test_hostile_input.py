"""Hostile input over real HTTP and the real CLI: a named refusal, never a 5xx or exit 1.

The HTTP cases run on each configuration of the reliability server (SQLite, PostgreSQL,
two workers). Limits: JSON nested at most 32 deep, integer literals of at most 30
digits, no control characters in text, ids within the database's integer range.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from tests.reliability.conftest import Service

pytestmark = pytest.mark.e2e

DEEP = "[" * 1000 + "]" * 1000
HUGE_INT = "1" * 4301
TODAY = dt.date.today()
PATIENT: dict[str, Any] = {
    "mrn": "H-1",
    "family_name": "Hostile",
    "given_name": "Input",
    "birth_date": "1981-09-14",
    "sex": "female",
    "height_cm": 170,
    "weight_kg": 60,
    "measured_on": TODAY.isoformat(),
}


@pytest.mark.parametrize(
    ("path", "role"),
    [("/api/v1/dose", None), ("/api/v1/patients", "nurse"), ("/api/v1/courses/1/events", "nurse")],
)
def test_deep_nesting_and_huge_integers_answer_422(service: Service, path: str, role: Any) -> None:
    """JSON nested 1,000 deep and a 4,301-digit integer: 422 naming the body, on any route."""
    for raw in (DEEP, '{"weight_kg": ' + HUGE_INT + "}"):
        answer = service.call("POST", path, role, content=raw.encode(), headers_json=True)
        assert answer.status_code == 422, (path, raw[:30], answer.text)
        assert answer.json()["errors"][0]["field"] == "(body)"
    assert service.server_errors() == []


def test_a_body_over_1_mib_answers_413(service: Service) -> None:
    """A 2 MiB body is refused before anything reads it: 413."""
    raw = '{"note": "' + "x" * (2 * 1024 * 1024) + '"}'
    answer = service.call("POST", "/api/v1/dose", None, content=raw.encode(), headers_json=True)
    assert answer.status_code == 413 and answer.json()["errors"][0]["field"] == "(body)"
    assert service.server_errors() == []


def test_an_event_type_that_is_a_list_answers_422(service: Service) -> None:
    """{"type": ["labs"]} is not an event type: 422 on `type`."""
    _, course_id = service.new_course()
    path = f"/api/v1/courses/{course_id}/events"
    answer = service.call("POST", path, "nurse", json={"type": ["labs"]})
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "type"
    assert service.server_errors() == []


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_ids_beyond_the_column_range_answer_404(service: Service, number: int) -> None:
    """Ids of 2^31 (PostgreSQL INTEGER), 2^63 (SQLite) and beyond: 404, in path or query."""
    for path in (f"/api/v1/patients/{number}", f"/api/v1/orders/{number}"):
        assert service.call("GET", path, "nurse").status_code == 404
    assert service.call("GET", "/api/v1/patients/\u00b2", "nurse").status_code in (404, 422)
    listed = service.call("GET", "/api/v1/orders", "nurse", params={"course_id": number})
    assert listed.status_code in (200, 404, 422)
    assert service.server_errors() == []


def test_control_characters_in_text_answer_422(service: Service) -> None:
    """A NUL byte or a carriage return in a name: 422 naming the field; nothing stored."""
    for name in ("Nul\u0000Name", "Line\rBreak"):
        body = {**PATIENT, "mrn": f"H-{len(name)}-{name[:3]}", "family_name": name}
        answer = service.call("POST", "/api/v1/patients", "nurse", json=body)
        assert answer.status_code == 422, answer.text
        assert answer.json()["errors"][0]["field"] == "family_name"
    assert (
        service.call("GET", "/api/v1/patients", "nurse", params={"q": "\u0000"}).status_code == 422
    )
    assert service.server_errors() == []


def test_dates_out_of_the_calendar_answer_422(service: Service) -> None:
    """Birth 0001-01-01 or 9999-12-31, a measurement dated 2999 or before birth: 422."""
    for birth in ("0001-01-01", "9999-12-31"):
        body = {**PATIENT, "mrn": f"H-{birth}", "birth_date": birth}
        answer = service.call("POST", "/api/v1/patients", "nurse", json=body)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "birth_date"
    patient_id, _ = service.new_course()
    path = f"/api/v1/patients/{patient_id}/measurements"
    for measured_on in ("2999-01-01", "1900-01-01"):
        body = {"measured_on": measured_on, "height_cm": 170, "weight_kg": 40}
        answer = service.call("POST", path, "nurse", json=body)
        assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "measured_on"
    assert service.server_errors() == []


def test_the_dosing_weight_is_the_latest_on_or_before_the_orders_date(service: Service) -> None:
    """60 kg measured 10 days ago, 62 kg today: an order for yesterday is dosed at 60 kg."""
    body = {**PATIENT, "mrn": f"H-w-{id(service)}", "measured_on": str(TODAY - dt.timedelta(10))}
    patient = service.ok("POST", "/api/v1/patients", "physician", json=body)
    later = {"measured_on": TODAY.isoformat(), "height_cm": 170, "weight_kg": 62}
    service.ok("POST", f"/api/v1/patients/{patient['id']}/measurements", "nurse", json=later)
    course = service.ok(
        "POST",
        f"/api/v1/patients/{patient['id']}/courses",
        "physician",
        json={
            "hsct_planned": True,
            "pretreatment": {"anc_per_mm3": 1500, "platelets_per_mm3": 7e4},
        },
    )
    yesterday = str(TODAY - dt.timedelta(1))
    order = {"cycle": 1, "day": 1, "dose_mg_per_m2": 0.8, "scheduled_on": yesterday}
    answer = service.call("POST", f"/api/v1/courses/{course['id']}/orders", "physician", json=order)
    assert answer.status_code == 201, answer.text
    assert answer.json()["weight_kg"] == 60
    assert service.server_errors() == []


@pytest.mark.parametrize(
    ("case", "raw"),
    [
        ("deep", DEEP),
        ("huge_int", '{"height_cm": ' + HUGE_INT + ', "weight_kg": 80, "dose_mg_per_m2": 0.8}'),
        ("nul", '{"height_cm": 180, "weight_kg": 80, "dose_mg_per_m2": 0.8, "note": "a\\u0000"}'),
    ],
)
def test_the_cli_exits_2_on_the_same_input(case: str, raw: str, tmp_path: Path) -> None:
    """`inocds dose` on the same hostile documents: exit 2 with a JSON error, no traceback."""
    request = tmp_path / f"{case}.json"
    request.write_text(raw, encoding="utf-8")
    inocds = str(Path(sys.executable).with_name("inocds"))
    done = subprocess.run(
        [inocds, "dose", "--input", str(request)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert json.loads(done.stdout)["errors"]
    assert "Traceback" not in done.stderr
