"""The fixture loader's merge is what a rule fixture means, and fixtures stay minimal."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.rules.fixture_loader import (
    ABSENT,
    BASE_PATIENT_FILE,
    HERE,
    base_request,
    case_files,
    full_request,
    merge,
    minimal_override,
    read_case_file,
    same,
)

CASES = case_files()


def _case(command: str, request: dict[str, object]) -> dict[str, object]:
    return {"command": command, "request": request}


def test_a_patient_field_overrides_the_base_and_keeps_the_rest() -> None:
    request = full_request(_case("assess", {"patient": {"weight_kg": 45}, "events": []}))
    base = json.loads(BASE_PATIENT_FILE.read_text(encoding="utf-8"))
    assert request["patient"]["weight_kg"] == 45
    assert base["weight_kg"] != 45
    assert {k: v for k, v in request["patient"].items() if k != "weight_kg"} == {
        k: v for k, v in base.items() if k != "weight_kg"
    }
    assert request["events"] == []


def test_a_nested_object_merges_key_by_key() -> None:
    request = full_request(_case("assess", {"patient": {"pretreatment": {"ast": {"value": 120}}}}))
    pretreatment = request["patient"]["pretreatment"]
    base = base_request("assess")["patient"]["pretreatment"]
    # only ast.value changes; ast.uln and the other labs stay the base's
    assert pretreatment["ast"] == {"value": 120, "uln": base["ast"]["uln"]}
    assert pretreatment["alt"] == base["alt"]
    assert pretreatment["anc_per_mm3"] == base["anc_per_mm3"]


def test_a_list_replaces_the_base_list_whole() -> None:
    base = {"medications": ["a", "b"], "events": [{"type": "dose", "day": 1}]}
    merged = merge(base, {"medications": ["c"], "events": [{"day": 8}]})
    assert merged == {"medications": ["c"], "events": [{"day": 8}]}


def test_the_absent_marker_removes_a_base_key_and_null_is_sent_as_null() -> None:
    request = full_request(
        _case("assess", {"patient": {"pretreatment": {"ast": ABSENT, "alt": None}}})
    )
    pretreatment = request["patient"]["pretreatment"]
    assert "ast" not in pretreatment
    assert "alt" in pretreatment and pretreatment["alt"] is None


def test_an_absent_marker_with_nothing_to_remove_is_refused() -> None:
    with pytest.raises(AssertionError, match="no base key"):
        full_request(_case("assess", {"events": [{"type": "dose", "mrd": ABSENT}]}))


def test_merge_does_not_change_the_base() -> None:
    base = base_request("assess")
    kept = json.dumps(base)
    merge(base, {"patient": {"pretreatment": {"ast": {"value": 1}}, "sex": ABSENT}})
    assert json.dumps(base) == kept


def test_dose_requests_have_no_base() -> None:
    request = {"dose_mg_per_m2": 0.8, "height_cm": 170, "weight_kg": 60}
    assert full_request(_case("dose", request)) == request


def test_minimal_override_is_the_inverse_of_merge() -> None:
    base = {"a": 1, "b": {"c": 2, "d": 3}, "e": [1], "f": True}
    full = {"a": 1, "b": {"c": 2, "d": 4}, "e": [1, 2], "f": 1, "g": None}
    override = minimal_override(base, full)
    # f: 1 is not true (JSON tells them apart); b.c and a repeat the base and are left out
    assert override == {"b": {"d": 4}, "e": [1, 2], "f": 1, "g": None}
    assert override["f"] is not True
    assert minimal_override(base, {"a": 1}) == {"b": ABSENT, "e": ABSENT, "f": ABSENT}
    assert same(merge(base, override), full)


def test_the_shared_folder_holds_no_cases() -> None:
    assert BASE_PATIENT_FILE.parent.parent == HERE
    assert CASES and all(p.parent != BASE_PATIENT_FILE.parent for p in CASES)


@pytest.mark.parametrize("path", CASES, ids=[f"{p.parent.name}/{p.stem}" for p in CASES])
def test_every_fixture_is_minimal(path: Path) -> None:
    """A fixture repeats no field the shared patient already holds (its own facts only)."""
    case = read_case_file(path)
    wanted = minimal_override(base_request(case["command"]), full_request(case))
    assert same(case["request"], wanted), (
        f"{path.name} repeats the shared patient; write its request as:\n"
        + json.dumps(wanted, indent=2, ensure_ascii=False)
    )
