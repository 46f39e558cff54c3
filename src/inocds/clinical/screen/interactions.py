"""The interaction section of the screen: the medication list matched against the
interaction table (clinical.interactions), the source disagreements it meets,
and the alerts it raises (screen.alerts)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inocds.clinical.documents import CourseDocument
from inocds.clinical.interactions import MatchResult, match_medications
from inocds.clinical.screen.alerts import Alert, medication_alerts
from inocds.clinical.screen.common import Collector
from inocds.protocol.conflicts import Conflict, SourceStatement
from inocds.protocol.interactions import InteractionKnowledge, load_interactions

__all__ = ["InteractionSection", "interaction_section"]


@dataclass(frozen=True)
class InteractionSection:
    """What the medication list gave: hits, names not found, alerts and disagreements."""

    interactions: tuple[dict[str, Any], ...] = ()
    unmatched: tuple[str, ...] = ()
    unmatched_details: tuple[dict[str, Any], ...] = ()
    listed_only: tuple[dict[str, Any], ...] = ()
    alerts: tuple[Alert, ...] = ()
    qt_drugs: tuple[str, ...] = ()
    conflicts: tuple[Conflict, ...] = ()


def _rating_conflicts(result: MatchResult, knowledge: InteractionKnowledge) -> list[Conflict]:
    """One source conflict per entry where seed 001's list is stricter than seed 000's risk."""
    found: dict[str, Conflict] = {}
    for hit in result.interactions:
        if not hit.sources_disagree or hit.listed_in is None:
            continue
        note = knowledge.note(hit.listed_in)
        key = f"interactions.rating.{hit.entry_id}.{hit.listed_name or hit.drug}".casefold()
        key = "".join(ch if ch.isalnum() or ch in "._" else "_" for ch in key)
        if key in found:
            continue
        found[key] = Conflict(
            id=key,
            topic=f"How strongly to advise against {hit.listed_name or hit.drug} with inotuzumab",
            statements=(
                SourceStatement(hit.source, f"{hit.matched_entry}: risk {hit.risk}."),
                SourceStatement(note.source, f"{hit.listed_name}: {note.label}."),
            ),
            resolution=(
                f"Both are shown on the interaction entry; the screen keeps seed 000's risk "
                f"{hit.risk} as `risk` and raises the alert of the stricter rating "
                f"({note.equivalent_risk})."
            ),
            affects=("screen.interactions", "interactions.source_disagreement"),
        )
    return list(found.values())


def _reasons(result: MatchResult, c: Collector) -> None:
    hits = result.interactions
    if hits:
        found = ", ".join(sorted({f"{h.drug} (risk {h.risk})" for h in hits}))
        c.add("screen.interactions", f"Interacting medication(s): {found}.")
    if result.unmatched:
        c.add(
            "screen.interactions",
            f"Not in the interaction table (not proof of safety): {', '.join(result.unmatched)}.",
        )
    if result.listed_only:
        shown = ", ".join(f"{h.drug} ({h.listed_in})" for h in result.listed_only)
        c.add(
            "screen.interactions",
            f"Named only in the patient monograph's lists, without a risk rating: {shown}.",
        )


def interaction_section(doc: CourseDocument, c: Collector) -> InteractionSection:
    """Match the patient's medications and derive the alerts and disagreements."""
    names = list(doc.patient.medications)
    if not names:
        return InteractionSection()
    knowledge = load_interactions()
    result = match_medications(names, knowledge)
    _reasons(result, c)
    alerts = medication_alerts(result, knowledge, c)
    return InteractionSection(
        interactions=tuple(dict(hit.to_dict()) for hit in result.interactions),
        unmatched=tuple(result.unmatched),
        unmatched_details=tuple(u.to_dict() for u in result.unmatched_details),
        listed_only=tuple(dict(hit.to_dict()) for hit in result.listed_only),
        alerts=tuple(alerts),
        qt_drugs=result.qt_drugs,
        conflicts=tuple(_rating_conflicts(result, knowledge)),
    )
