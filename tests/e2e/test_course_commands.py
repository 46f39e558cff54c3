"""plan, assess, explain, screen, interactions and rules through the real CLI and HTTP server."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from tests.builders import course, dose, start, toxicity

pytestmark = pytest.mark.e2e

# 170 cm / 60 kg: Mosteller sqrt(170*60/3600) = 1.6833 -> 1.68 m2.
# Cycle 1 from 2026-01-05; day 1 given; diarrhoea grade 2 from 01-09, unresolved.
# Day 8 is due from max(01-12 - 2, 01-05 + 6) = 01-11; on 01-14 it is interrupted 3 days
# (< 7): delay (interruption.lt7, nonheme.grade2), next possible date 01-15.
DELAYED = course(
    [start(1, "2026-01-05"), dose(1, 1, "2026-01-05", 0.8), toxicity("2026-01-09", None)],
    today="2026-01-14",
)


def test_assess_over_cli_and_http_agree(run_cli: Callable[..., Any], http: httpx.Client) -> None:
    """The same course document gives the same decision over both transports."""
    cli = run_cli("assess", json.dumps(DELAYED))
    assert cli.returncode == 0
    answer = cli.json()
    assert (answer["action"], answer["cycle"], answer["day"]) == ("delay", 1, 8)
    assert answer["next_dose_date"] == "2026-01-15"
    assert {"interruption.lt7", "nonheme.grade2"} <= {r["rule"] for r in answer["reasons"]}
    over_http = http.post("/api/v1/assess", json=DELAYED)
    assert over_http.status_code == 200 and over_http.json() == answer


def test_plan_over_http(http: httpx.Client) -> None:
    """The plan of cycle 2 after the delayed cycle 1 is 0.8/0.5/0.5 mg/m2 (no CR recorded)."""
    answer = http.post("/api/v1/plan", json=DELAYED).json()
    assert answer["cycle"] == 2
    assert [d["dose_mg_per_m2"] for d in answer["doses"]] == [0.8, 0.5, 0.5]
    # 0.8 x 1.68 = 1.344 -> 1.34 mg; 0.5 x 1.68 = 0.84 mg
    assert [d["dose_mg"] for d in answer["doses"]] == [1.34, 0.84, 0.84]


def test_explain_text_names_every_rule(run_cli: Callable[..., Any], inocds: str) -> None:
    """`inocds explain` prints the decision and each rule with its statement and source."""
    done = subprocess.run(
        [inocds, "explain"], input=json.dumps(DELAYED), capture_output=True, text=True, check=False
    )
    assert done.returncode == 0
    assert "Decision: DELAY" in done.stdout
    assert "interruption.lt7" in done.stdout and "source: 000_c5f9e82afaac5f57.txt" in done.stdout
    as_json = subprocess.run(
        [inocds, "explain", "--format", "json"],
        input=json.dumps(DELAYED),
        capture_output=True,
        text=True,
        check=False,
    )
    document = json.loads(as_json.stdout)
    assert document["decision"]["action"] == "delay"
    assert [t["kind"] for t in document["timeline"]][:2] == ["started", "given"]


def test_explain_over_http(http: httpx.Client) -> None:
    """POST /api/v1/explain answers the same steps as JSON."""
    answer = http.post("/api/v1/explain", json=DELAYED).json()
    assert answer["steps"][0]["rule"] in {"nonheme.grade2", "interruption.lt7"}


def test_bad_course_document_names_the_field(run_cli: Callable[..., Any]) -> None:
    """A toxicity resolved before its onset: exit 2 naming events[2].resolved."""
    bad = course(
        [
            start(1, "2026-01-05"),
            dose(1, 1, "2026-01-05", 0.8),
            toxicity("2026-01-09", "2026-01-08"),
        ],
        today="2026-01-14",
    )
    done = run_cli("assess", json.dumps(bad))
    assert done.returncode == 2
    assert [e["field"] for e in done.json()["errors"]] == ["events[2].resolved"]


def test_interactions_lookup(inocds: str) -> None:
    """`inocds interactions` matches ward spellings and lists what it cannot match."""
    done = subprocess.run(
        [inocds, "interactions", "Zofran 8 mg IV", "pantoprazole"],
        capture_output=True,
        text=True,
        check=False,
    )
    answer = json.loads(done.stdout)
    assert [hit["matched_entry"] for hit in answer["interactions"]] == ["Ondansetron"]
    assert answer["unmatched"] == ["pantoprazole"]


def test_interactions_lookup_gives_alerts_and_duplicates(inocds: str) -> None:
    """`inocds interactions` counts a brand and its generic once and alerts on QT drugs."""
    done = subprocess.run(
        [inocds, "interactions", "Zofran", "ondansetron", "fluconazol", "paracetamol"],
        capture_output=True,
        text=True,
        check=False,
    )
    answer = json.loads(done.stdout)
    assert answer["duplicates"] == [{"drug": "ondansetron", "names": ["Zofran", "ondansetron"]}]
    # Zofran = ondansetron (1 drug) + fluconazol (fluconazole) = 2 distinct QT drugs
    assert answer["qt_drugs"] == ["Zofran", "fluconazol"]
    assert [a["id"] for a in answer["alerts"]] == [
        "interactions.qt_combination",
        "medications.duplicate",
        "interactions.unmatched",
        "interactions.inexact_match",
    ]


def test_rules_listing_and_one_rule(inocds: str) -> None:
    """`inocds rules` lists every rule; `inocds rules ID` shows one with its parameters."""
    listing = subprocess.run([inocds, "rules"], capture_output=True, text=True, check=False)
    assert listing.returncode == 0 and "heme.anc_gate" in listing.stdout
    one = subprocess.run(
        [inocds, "rules", "heme.anc_gate"], capture_output=True, text=True, check=False
    )
    assert "anc_per_mm3 = 1000" in one.stdout and "source:" in one.stdout
    unknown = subprocess.run([inocds, "rules", "no.such"], capture_output=True, text=True)
    assert unknown.returncode == 2 and json.loads(unknown.stdout)["errors"][0]["field"] == "RULE_ID"
