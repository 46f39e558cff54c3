"""Bad input to `dose` and `prepare` through the real CLI (exit 2) and HTTP server (422).

Every case must give a JSON error document naming the bad field, never a traceback
and never a partial answer, and the same errors over both transports.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.e2e

RunCli = Callable[..., Any]
"""The `run_cli` fixture: (command, body, *, stdin=False) -> CliRun (see conftest.py)."""

EXAMPLE: dict[str, Any] = {"height_cm": 180, "weight_kg": 80, "dose_mg_per_m2": 0.8}
PREPARE: dict[str, Any] = {
    **EXAMPLE,
    "reconstituted_at": "2026-01-05T08:00:00+01:00",
    "diluted_refrigerated": False,
}


def body(base: dict[str, Any], drop: tuple[str, ...] = (), **change: Any) -> str:
    """A JSON body: `base` without `drop`, with `change` applied."""
    document = {k: v for k, v in base.items() if k not in drop}
    document.update(change)
    return json.dumps(document)


NOT_JSON = "{height_cm: 180,"

# (case id, command, request body as sent, a field the errors must name)
CASES: list[tuple[str, str, str, str]] = [
    ("typo_wieght_kg", "dose", body(EXAMPLE, ("weight_kg",), wieght_kg=80), "wieght_kg"),
    ("string_height", "dose", body(EXAMPLE, height_cm="180"), "height_cm"),
    ("negative_weight", "dose", body(EXAMPLE, weight_kg=-70), "weight_kg"),
    ("height_300", "dose", body(EXAMPLE, height_cm=300), "height_cm"),
    ("bsa_4", "dose", body(EXAMPLE, ("height_cm", "weight_kg"), bsa_m2=4), "bsa_m2"),
    ("missing_dose", "dose", body(EXAMPLE, ("dose_mg_per_m2",)), "dose_mg_per_m2"),
    ("dose_1_without_override", "dose", body(EXAMPLE, dose_mg_per_m2=1.0), "dose_mg_per_m2"),
    ("bsa_and_height", "dose", body(EXAMPLE, bsa_m2=2.0), "bsa_m2"),
    ("null_body", "dose", "null", "(body)"),
    ("not_json", "dose", NOT_JSON, "(body)"),
    ("array_body", "dose", json.dumps([EXAMPLE]), "(body)"),
    ("bad_bsa_formula", "dose", body(EXAMPLE, bsa_formula="mostellar"), "bsa_formula"),
    ("dose_zero", "dose", body(EXAMPLE, dose_mg_per_m2=0), "dose_mg_per_m2"),
    ("dose_as_string", "dose", body(EXAMPLE, dose_mg_per_m2="0.8"), "dose_mg_per_m2"),
    ("null_height", "dose", body(EXAMPLE, height_cm=None), "height_cm"),
    ("boolean_weight", "dose", body(EXAMPLE, weight_kg=True), "weight_kg"),
    (
        "nan_height",
        "dose",
        '{"height_cm": NaN, "weight_kg": 80, "dose_mg_per_m2": 0.8}',
        "height_cm",
    ),
    ("bsa_from_extremes", "dose", body(EXAMPLE, height_cm=250, weight_kg=350), "weight_kg"),
    (
        "dose_above_override_ceiling",
        "dose",
        body(EXAMPLE, dose_mg_per_m2=2.5, override_reason="protocol amendment"),
        "dose_mg_per_m2",
    ),
    ("blank_override_reason", "dose", body(EXAMPLE, override_reason=" "), "override_reason"),
    ("height_without_weight", "dose", body(EXAMPLE, ("weight_kg",)), "weight_kg"),
    ("empty_object", "dose", "{}", "dose_mg_per_m2"),
    (
        "formula_with_bsa",
        "dose",
        body({"bsa_m2": 2.0, "dose_mg_per_m2": 0.8}, bsa_formula="boyd"),
        "bsa_formula",
    ),
    (
        "bad_timestamp",
        "prepare",
        body(PREPARE, reconstituted_at="5 Jan 2026 8am"),
        "reconstituted_at",
    ),
    (
        "timestamp_without_offset",
        "prepare",
        body(PREPARE, reconstituted_at="2026-01-05T08:00:00"),
        "reconstituted_at",
    ),
    (
        "diluted_before_reconstituted",
        "prepare",
        body(PREPARE, diluted_at="2026-01-05T07:30:00+01:00"),
        "diluted_at",
    ),
    (
        "diluted_too_late",
        "prepare",
        body(PREPARE, diluted_at="2026-01-05T12:30:00+01:00"),
        "diluted_at",
    ),
    (
        "missing_refrigerated_flag",
        "prepare",
        body(PREPARE, ("diluted_refrigerated",)),
        "diluted_refrigerated",
    ),
    (
        "refrigerated_as_text",
        "prepare",
        body(PREPARE, diluted_refrigerated="yes"),
        "diluted_refrigerated",
    ),
    (
        "prepare_typo_field",
        "prepare",
        body(PREPARE, dilluted_at="2026-01-05T09:00:00+01:00"),
        "dilluted_at",
    ),
    ("prepare_null_body", "prepare", "null", "(body)"),
    ("prepare_bad_dose_field", "prepare", body(PREPARE, weight_kg=0.5), "weight_kg"),
]


def _fields(errors_document: Any) -> set[str]:
    assert isinstance(errors_document, dict)
    assert set(errors_document) == {"errors"}, "an error document holds errors only"
    errors = errors_document["errors"]
    assert errors, "at least one error"
    for error in errors:
        assert set(error) == {"field", "message"}
        assert error["message"]
    return {error["field"] for error in errors}


def test_at_least_twenty_cases() -> None:
    """The bad-input set covers at least 20 cases, for both commands."""
    assert len(CASES) >= 20
    assert {command for _, command, _, _ in CASES} == {"dose", "prepare"}


@pytest.mark.parametrize(
    ("command", "raw", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_cli_bad_input(run_cli: RunCli, command: str, raw: str, field: str) -> None:
    """The CLI exits 2 with a JSON error document naming the bad field, and no traceback."""
    result = run_cli(command, raw)
    assert result.returncode == 2, result.stdout + result.stderr
    assert field in _fields(result.json())
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("command", "raw", "field"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_http_bad_input(http: httpx.Client, command: str, raw: str, field: str) -> None:
    """The HTTP API answers 422 with a JSON error document naming the bad field."""
    response = http.post(
        f"/api/v1/{command}", content=raw.encode(), headers={"content-type": "application/json"}
    )
    assert response.status_code == 422, response.text
    assert field in _fields(response.json())


@pytest.mark.parametrize(
    ("command", "raw"),
    [c[1:3] for c in CASES if c[2] != NOT_JSON],
    ids=[c[0] for c in CASES if c[2] != NOT_JSON],
)
def test_same_errors_over_both_transports(
    run_cli: RunCli, http: httpx.Client, command: str, raw: str
) -> None:
    """The CLI and the HTTP API name the same errors with the same messages."""
    response = http.post(
        f"/api/v1/{command}", content=raw.encode(), headers={"content-type": "application/json"}
    )
    assert run_cli(command, raw).json() == response.json()


def test_bad_input_over_stdin(run_cli: RunCli) -> None:
    """Bad input read from standard input is refused the same way as from a file."""
    result = run_cli("dose", body(EXAMPLE, wieght_kg=80), stdin=True)
    assert result.returncode == 2
    assert "wieght_kg" in _fields(result.json())


def test_example_identical_over_cli_and_http(run_cli: RunCli, http: httpx.Client) -> None:
    """The contract example gets the same answer over the CLI (file and stdin) and HTTP."""
    raw = json.dumps(EXAMPLE)
    from_file = run_cli("dose", raw)
    from_stdin = run_cli("dose", raw, stdin=True)
    response = http.post("/api/v1/dose", json=EXAMPLE)
    assert (from_file.returncode, from_stdin.returncode, response.status_code) == (0, 0, 200)
    assert from_file.json() == from_stdin.json() == response.json()
    answer = response.json()
    assert (answer["bsa_m2"], answer["dose_mg"], answer["vials"]) == (2.0, 1.6, 2)
    assert answer["warnings"] == []


def test_prepare_identical_over_cli_and_http(run_cli: RunCli, http: httpx.Client) -> None:
    """A `prepare` request gets the same answer over the CLI and HTTP."""
    request = {**PREPARE, "diluted_at": "2026-01-05T09:00:00+01:00"}
    result = run_cli("prepare", json.dumps(request))
    response = http.post("/api/v1/prepare", json=request)
    assert (result.returncode, response.status_code) == (0, 200)
    assert result.json() == response.json()
    assert response.json()["beyond_use"]["latest_infusion_end_at"] == "2026-01-05T13:00:00+01:00"


def test_rules_are_listed(http: httpx.Client) -> None:
    """GET /api/v1/rules lists the protocol's rules with id, statement and source."""
    response = http.get("/api/v1/rules")
    assert response.status_code == 200
    rules = {rule["id"]: rule for rule in response.json()}
    for rule_id in ("regimen.max_single_dose", "dose.bsa", "prep.bag", "prep.beyond_use"):
        assert rule_id in rules
        assert rules[rule_id]["statement"] and rules[rule_id]["source"]
