"""The interaction data loader: it validates sources, ids, references and the
round-2 fields (qt_prolonging, listed_as, equivalent_risk)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from inocds.protocol.interactions import (
    InteractionDataError,
    InteractionKnowledge,
    load_interactions,
    parse_interactions,
)

KNOWLEDGE = load_interactions()


def doc_with(**tables: Any) -> dict[str, Any]:
    """A minimal valid interactions document, with some tables replaced."""
    note = {"label": "l", "effect": "e", "management": "m", "source": "001: Drug Interactions"}
    doc: dict[str, Any] = {
        "entry": [
            {
                "id": "haloperidol",
                "name": "Haloperidol",
                "kind": "drug",
                "risk": "C",
                "effect": "QT adds up.",
                "management": "Check ECG.",
                "source": "000_c5f9e82afaac5f57.txt: Drug Interactions",
            }
        ],
        "listed": [],
        "member": [],
        "list": {"not_recommended": dict(note), "usually_not_recommended": dict(note)},
    }
    doc.update(tables)
    return doc


# --------------------------------------------------------------------------- loader


def test_loader_rejects_an_entry_without_a_source() -> None:
    """An entry with an empty source is refused with a ValueError naming the problem."""
    doc = doc_with()
    doc["entry"][0]["source"] = "  "
    with pytest.raises(ValueError, match="'source' must be a non-empty string"):
        parse_interactions(doc)


def test_loader_rejects_a_member_without_a_source() -> None:
    """A member row with no source key is refused."""
    doc = doc_with(member=[{"drug": "Haldol", "entry": "haloperidol", "aliases": []}])
    with pytest.raises(InteractionDataError, match="member #1"):
        parse_interactions(doc)


def test_loader_rejects_duplicate_ids() -> None:
    """Two entries with the same id are refused."""
    doc = doc_with()
    twin = dict(doc["entry"][0], name="Haloperidol again")
    doc["entry"].append(twin)
    with pytest.raises(InteractionDataError, match="duplicate id 'haloperidol'"):
        parse_interactions(doc)


def test_loader_rejects_dangling_references_and_bad_values() -> None:
    """Unknown entry ids, risks, lists and keys are all reported in one error."""
    doc = doc_with(
        member=[{"drug": "x", "entry": "nope", "source": "s"}],
        listed=[{"name": "Y", "list": "sometimes", "entry": "gone", "source": "s", "sorce": 1}],
    )
    doc["entry"][0]["risk"] = "B"
    with pytest.raises(InteractionDataError) as caught:
        parse_interactions(doc)
    message = str(caught.value)
    for fragment in ("'nope' is not an [[entry]] id", "'gone' is not", "risk must be", "list must"):
        assert fragment in message
    assert "unknown key(s) sorce" in message


def test_loader_rejects_a_listed_as_that_names_no_listed_drug() -> None:
    """A member's listed_as must be the name of a [[listed]] row."""
    member = {"drug": "x", "entry": "haloperidol", "source": "s", "listed_as": "Nothing"}
    with pytest.raises(InteractionDataError, match="listed_as 'Nothing' is not listed"):
        parse_interactions(doc_with(member=[member]))


def test_loader_reads_the_qt_flag_and_the_lists_equivalent_risk() -> None:
    """qt_prolonging must be a boolean; a list's equivalent_risk must be X, D or C."""
    entry = {**doc_with()["entry"][0], "qt_prolonging": "yes"}
    with pytest.raises(InteractionDataError, match="qt_prolonging"):
        parse_interactions(doc_with(entry=[entry]))
    doc = doc_with()
    doc["list"]["not_recommended"]["equivalent_risk"] = "Z"
    with pytest.raises(InteractionDataError, match="equivalent_risk"):
        parse_interactions(doc)
    assert KNOWLEDGE.note("not_recommended").equivalent_risk == "X"
    assert KNOWLEDGE.note("usually_not_recommended").equivalent_risk == "D"
    assert KNOWLEDGE.entry("haloperidol").qt_prolonging is True
    assert KNOWLEDGE.entry("tacrolimus_topical").qt_prolonging is False


def test_loader_accepts_the_packaged_file_and_a_minimal_document() -> None:
    """The packaged TOML and a small hand-written document both validate."""
    packaged = Path(__file__).resolve().parents[2] / "src/inocds/protocol/interactions.toml"
    text = packaged.read_text(encoding="utf-8")
    assert parse_interactions(tomllib.loads(text)) == KNOWLEDGE
    small = parse_interactions(doc_with())
    assert isinstance(small, InteractionKnowledge)
    assert small.entry("haloperidol").risk == "C"
