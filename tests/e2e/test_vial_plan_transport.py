"""`vial-plan` through the real CLI and HTTP server: same answer, same named errors."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

DAY = {
    "policy": "across_patients",
    "doses": [
        {"id": "a", "patient": "P1", "dose_mg": 1.34, "dilute_at": "2026-12-01T09:00:00+01:00"},
        {"id": "b", "patient": "P2", "dose_mg": 0.84, "dilute_at": "2026-12-01T10:00:00+01:00"},
        {"id": "c", "patient": "P3", "dose_mg": 0.46, "dilute_at": "2026-12-01T11:00:00+01:00"},
    ],
}

BAD = [
    ("negative_dose", {**DAY, "doses": [{**DAY["doses"][0], "dose_mg": -0.5}]}, "doses[0].dose_mg"),
    ("unknown_policy", {**DAY, "policy": "always"}, "policy"),
    ("times_out_of_order", {**DAY, "doses": DAY["doses"][::-1]}, "doses[1].dilute_at"),
    ("unknown_field", {**DAY, "pharmacy": "north"}, "pharmacy"),
]


def test_cli_and_http_give_the_same_plan(run_cli: Callable[..., Any], http: httpx.Client) -> None:
    """The three-dose day: 3 vials shared, 4 without, over both transports."""
    result = run_cli("vial-plan", json.dumps(DAY))
    response = http.post("/api/v1/vial-plan", json=DAY)
    assert (result.returncode, response.status_code) == (0, 200)
    assert result.json() == response.json()
    assert (response.json()["vials_opened"], response.json()["vials_without_sharing"]) == (3, 4)


@pytest.mark.parametrize(("raw", "field"), [c[1:] for c in BAD], ids=[c[0] for c in BAD])
def test_bad_input_exit_2_and_422(
    run_cli: Callable[..., Any], http: httpx.Client, raw: dict[str, Any], field: str
) -> None:
    """Bad input: exit 2 and HTTP 422 with the same error document naming the field."""
    result = run_cli("vial-plan", json.dumps(raw))
    response = http.post("/api/v1/vial-plan", json=raw)
    assert (result.returncode, response.status_code) == (2, 422)
    assert result.json() == response.json()
    assert field in {e["field"] for e in response.json()["errors"]}
