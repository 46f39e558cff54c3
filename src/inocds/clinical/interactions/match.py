"""Matching a medication list: one hit per drug and entry, duplicates counted once."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from inocds.clinical.interactions.index import Found, Target, index_for
from inocds.clinical.interactions.names import normalize_drug_name
from inocds.clinical.interactions.results import (
    Duplicate,
    InteractionHit,
    ListedOnlyHit,
    MatchResult,
    Reading,
    UnmatchedName,
)
from inocds.protocol.interactions import RISKS, InteractionKnowledge, ListName

__all__ = ["match_medications"]

_RISK_ORDER: dict[str, int] = {risk: rank for rank, risk in enumerate(RISKS)}


def _hits_for(
    drug: str, found: Found, knowledge: InteractionKnowledge
) -> tuple[list[InteractionHit], list[ListedOnlyHit]]:
    by_entry: dict[str, tuple[bool, Target, ListName | None, str | None]] = {}
    listed_only: dict[str, ListName] = {}
    for target in found.targets:
        for entry_id in target.entry_ids:
            seen = by_entry.get(entry_id)
            direct = (seen[0] if seen else False) or not target.via_member
            first = seen[1] if seen else target
            listed = (seen[2] if seen else None) or target.listed_in
            name = (seen[3] if seen else None) or target.listed_name
            by_entry[entry_id] = (direct, first, listed, name)
        if not target.entry_ids and target.listed_in and target.listed_name:
            listed_only.setdefault(target.listed_name, target.listed_in)

    hits: list[InteractionHit] = []
    for entry_id, (direct, first, listed, listed_name) in by_entry.items():
        entry = knowledge.entry(entry_id)
        hits.append(
            InteractionHit(
                drug=drug,
                matched_entry=entry.name,
                risk=entry.risk,
                effect=entry.effect,
                management=entry.management,
                source=entry.source,
                via_group=entry.name if entry.kind == "group" and not direct else None,
                listed_in=listed,
                entry_id=entry.id,
                matched_as=first.generic,
                matched_name=first.known_name,
                match=found.method,
                confidence=found.confidence,
                canonical=first.canonical,
                listed_name=listed_name if listed else None,
                listed_rating=knowledge.note(listed).equivalent_risk if listed else None,
                qt_prolonging=entry.qt_prolonging,
            )
        )
    others: list[ListedOnlyHit] = []
    if not hits:
        for name, list_name in listed_only.items():
            note = knowledge.note(list_name)
            others.append(
                ListedOnlyHit(
                    drug=drug,
                    listed_name=name,
                    listed_in=list_name,
                    effect=note.effect,
                    management=note.management,
                    source=note.source,
                )
            )
    return hits, others


def _sort_key(hit: InteractionHit) -> tuple[int, str, str, str]:
    return (_RISK_ORDER[hit.risk], hit.matched_entry.casefold(), hit.drug.casefold(), hit.drug)


def _identity(name: str) -> str:
    """The identity of an unmatched name: its identifying words, else the name itself."""
    return normalize_drug_name(name) or name.strip().casefold()


class _Collected:
    """Hits, one per (drug identity, entry), and the names behind each identity."""

    def __init__(self) -> None:
        self.hits: dict[tuple[str, str], InteractionHit] = {}
        self.names: dict[str, list[str]] = {}
        self.unmatched: list[str] = []
        self.details: list[UnmatchedName] = []
        self.listed_only: list[ListedOnlyHit] = []
        self.inexact: list[Reading] = []

    def name(self, identity: str, name: str) -> None:
        self.names.setdefault(identity, []).append(name)

    def hit(self, hit: InteractionHit) -> None:
        key = (hit.canonical, hit.entry_id)
        seen = self.hits.get(key)
        if seen is None:
            self.hits[key] = hit
        elif hit.drug != seen.drug and hit.drug not in seen.also_listed_as:
            self.hits[key] = replace(seen, also_listed_as=(*seen.also_listed_as, hit.drug))

    def duplicates(self) -> tuple[Duplicate, ...]:
        return tuple(
            Duplicate(canonical, tuple(names))
            for canonical, names in self.names.items()
            if len(names) > 1
        )

    def qt_drugs(self) -> tuple[str, ...]:
        firsts = {c: names[0] for c, names in self.names.items()}
        return tuple(
            dict.fromkeys(firsts[h.canonical] for h in self.hits.values() if h.qt_prolonging)
        )


def match_medications(names: Sequence[str], knowledge: InteractionKnowledge) -> MatchResult:
    """Check each medication name against the knowledge base.

    Every distinct seed-000 entry a name reaches, directly or through a group, is one
    hit. A name that reaches none is returned in `unmatched` exactly as entered (and,
    when seed 001 lists it, also in `listed_only`): nothing is dropped silently. Names
    that are one drug (a brand and its generic, two spellings, two routes) are listed
    in `duplicates` and give one hit per entry (the others in `also_listed_as`).
    """
    index = index_for(knowledge)
    out = _Collected()
    for name in names:
        found = index.lookup(name)
        hits, others = _hits_for(name, found, knowledge)
        if hits:
            if found.method != "exact":
                first = hits[0]
                out.inexact.append(Reading(name, first.matched_as, found.method, found.confidence))
            for canonical in dict.fromkeys(h.canonical for h in hits):
                out.name(canonical, name)
            for hit in hits:
                out.hit(hit)
            continue
        out.name(_identity(name), name)
        if name not in out.unmatched:
            out.unmatched.append(name)
            out.details.append(UnmatchedName(name, suggestions=found.suggestions))
            out.listed_only.extend(others)
    return MatchResult(
        interactions=tuple(sorted(out.hits.values(), key=_sort_key)),
        unmatched=tuple(out.unmatched),
        listed_only=tuple(out.listed_only),
        unmatched_details=tuple(out.details),
        duplicates=out.duplicates(),
        qt_drugs=out.qt_drugs(),
        inexact=tuple(out.inexact),
    )
