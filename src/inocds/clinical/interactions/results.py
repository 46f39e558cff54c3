"""What matching a medication list gives: hits, names not found, duplicates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from inocds.protocol.interactions import ListName, Risk

__all__ = [
    "Duplicate",
    "InteractionHit",
    "ListedOnlyHit",
    "MatchMethod",
    "MatchResult",
    "Reading",
    "UnmatchedName",
]

MatchMethod = Literal["exact", "spelling", "fuzzy"]
"""exact: the words of a known name; spelling: the same word in another language's
INN spelling (fluconazol); fuzzy: a small typo within the edit-distance limit."""

UNMATCHED_MESSAGE = (
    "Not found in the interaction table: this is not proof that the combination is safe. "
    "Check the name and a full interaction reference."
)


@dataclass(frozen=True)
class InteractionHit:
    """One seed-000 interaction entry reached by one medication of the list."""

    drug: str
    """The medication as entered (the first spelling when it was listed twice)."""
    matched_entry: str
    """The seed-000 entry's name, e.g. "Haloperidol"."""
    risk: Risk
    effect: str
    management: str
    source: str
    via_group: str | None
    """The group entry's name when the drug was matched as a member of that group."""
    listed_in: ListName | None
    """The seed-001 list that also names this drug, if any."""
    entry_id: str = ""
    matched_as: str = ""
    """The drug the medication was read as (the entry's or the member drug's name)."""
    matched_name: str = ""
    """The known name whose words matched (a brand, an alias, the drug's own name)."""
    match: MatchMethod = "exact"
    confidence: float = 1.0
    canonical: str = ""
    """The drug's identity: the same for a brand, its generic and their spellings."""
    also_listed_as: tuple[str, ...] = ()
    """Other entries of the list that are the same drug (see medications.duplicate)."""
    listed_name: str | None = None
    """Seed 001's own name for the drug, with `listed_in`."""
    listed_rating: Risk | None = None
    """The seed-000 risk seed 001's list reads as (not recommended ~ X)."""
    qt_prolonging: bool = False

    @property
    def sources_disagree(self) -> bool:
        """Seed 001's list is stricter than seed 000's risk for this drug."""
        order = {"X": 0, "D": 1, "C": 2}
        return self.listed_rating is not None and order[self.listed_rating] < order[self.risk]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view: the contract's keys, then this project's."""
        out: dict[str, Any] = {
            "drug": self.drug,
            "matched_entry": self.matched_entry,
            "risk": self.risk,
            "effect": self.effect,
            "management": self.management,
            "source": self.source,
            "via_group": self.via_group,
            "listed_in": self.listed_in,
            "matched_as": self.matched_as,
            "matched_name": self.matched_name,
            "match": self.match,
            "confidence": self.confidence,
            "also_listed_as": list(self.also_listed_as),
            "qt_prolonging": self.qt_prolonging,
            "sources_disagree": self.sources_disagree,
        }
        if self.listed_in is not None:
            out["ratings"] = [
                {"source": self.source, "rating": f"risk {self.risk}"},
                {
                    "source": "001_42e27560ff958eaf.txt: Drug Interactions",
                    "rating": self.listed_in.replace("_", " "),
                    "listed_name": self.listed_name,
                },
            ]
        return out


@dataclass(frozen=True)
class ListedOnlyHit:
    """A medication the patient monograph (seed 001) lists but no seed-000 entry covers.

    It has no risk rating, so it is not an `InteractionHit`; its name is also in
    `MatchResult.unmatched` (it matched no rated entry).
    """

    drug: str
    listed_name: str
    listed_in: ListName
    effect: str
    management: str
    source: str

    def to_dict(self) -> dict[str, str]:
        """JSON-ready view."""
        return {
            "drug": self.drug,
            "listed_name": self.listed_name,
            "listed_in": self.listed_in,
            "effect": self.effect,
            "management": self.management,
            "source": self.source,
        }


@dataclass(frozen=True)
class UnmatchedName:
    """A name that reached no rated entry: never reported as safe."""

    drug: str
    message: str = UNMATCHED_MESSAGE
    suggestions: tuple[str, ...] = ()
    """Known names within the typo limit that could not be told apart."""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "drug": self.drug,
            "message": self.message,
            "suggestions": list(self.suggestions),
        }


@dataclass(frozen=True)
class Reading:
    """How one name of the list was read when not by its exact words."""

    drug: str
    matched_as: str
    match: MatchMethod
    confidence: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready view."""
        return {
            "drug": self.drug,
            "matched_as": self.matched_as,
            "match": self.match,
            "confidence": self.confidence,
        }


@dataclass(frozen=True)
class Duplicate:
    """Two or more entries of the list that are one drug."""

    canonical: str
    names: tuple[str, ...]


@dataclass(frozen=True)
class MatchResult:
    """The outcome of matching a medication list.

    interactions: one hit per drug and entry, ordered by risk (X, D, C), entry, drug.
    unmatched: names that reached no seed-000 entry, exactly as entered, in input order.
    listed_only: those unmatched names that seed 001 nevertheless lists.
    duplicates: entries of the list that are the same drug (counted once elsewhere).
    qt_drugs: the distinct drugs (first name entered) reaching a QTc entry.
    """

    interactions: tuple[InteractionHit, ...]
    unmatched: tuple[str, ...]
    listed_only: tuple[ListedOnlyHit, ...] = ()
    unmatched_details: tuple[UnmatchedName, ...] = ()
    duplicates: tuple[Duplicate, ...] = ()
    qt_drugs: tuple[str, ...] = ()
    inexact: tuple[Reading, ...] = ()
    """Names read through another spelling or a typo, in input order: to be confirmed."""
