"""The source-conflict data (conflicts.toml) and its place in the screen's answer."""

from __future__ import annotations

import pytest
from tests.builders import course

from inocds.clinical.screen import run_screen
from inocds.protocol.conflicts import ConflictError, load_conflicts, parse_conflicts


def test_every_conflict_names_at_least_two_sources() -> None:
    """Each packaged conflict cites at least two distinct source documents."""
    conflicts = load_conflicts()
    assert len(conflicts) >= 10
    for conflict in conflicts:
        assert len(conflict.documents) >= 2, conflict.id
        assert conflict.resolution


def test_required_conflicts_are_present() -> None:
    """The disagreements named in the brief are all listed."""
    ids = {c.id for c in load_conflicts()}
    assert {
        "regimen.cycle1_population",
        "regimen.subsequent_doses",
        "safety.neutropenia_grade",
        "indication.age",
        "duration.third_cycle_before_hsct",
        "safety.anemia_grade3",
        "vod.conditioning_risk",
        "premedication.timing",
        "product.vial_strength",
    } <= ids


def test_conflicts_loader_rejects_a_single_source() -> None:
    """A conflict whose statements all come from one document is refused."""
    document = {
        "conflict": [
            {
                "id": "x",
                "topic": "t",
                "statements": [
                    {"source": "000_c5f9e82afaac5f57.txt: A", "says": "one"},
                    {"source": "000_c5f9e82afaac5f57.txt: B", "says": "two"},
                ],
                "resolution": "r",
            }
        ]
    }
    with pytest.raises(ConflictError, match="at least 2 distinct source"):
        parse_conflicts([("test.toml", document)])


def test_conflicts_loader_rejects_missing_source_and_duplicate_id() -> None:
    """A statement without a source, and a repeated id, are both refused."""
    good = {
        "id": "x",
        "topic": "t",
        "statements": [{"source": "a.txt: s", "says": "1"}, {"source": "b.txt: s", "says": "2"}],
        "resolution": "r",
    }
    no_source = {**good, "id": "y", "statements": [{"says": "1"}, {"source": "b.txt", "says": "2"}]}
    with pytest.raises(ConflictError, match="missing source"):
        parse_conflicts([("t.toml", {"conflict": [no_source]})])
    with pytest.raises(ConflictError, match="duplicate id"):
        parse_conflicts([("t.toml", {"conflict": [good, good]})])


def test_screen_lists_source_conflicts() -> None:
    """The screen's answer carries every conflict with its statements and resolution."""
    conflicts = run_screen(course())["source_conflicts"]
    assert len(conflicts) == len(load_conflicts())
    for conflict in conflicts:
        assert set(conflict) >= {"id", "topic", "statements", "resolution"}
        assert all(set(s) == {"source", "says"} for s in conflict["statements"])


def test_the_patient_list_vs_rating_conflict_is_packaged() -> None:
    """The round-2 conflict (seed 001's lists against seed 000's ratings) names both seeds."""
    [conflict] = [c for c in load_conflicts() if c.id == "interactions.patient_list_vs_risk_rating"]
    assert set(conflict.documents) == {"001_42e27560ff958eaf.txt", "000_c5f9e82afaac5f57.txt"}
