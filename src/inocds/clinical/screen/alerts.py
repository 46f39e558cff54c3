"""The screen's alerts (`alerts`): ids, severities and message templates come from
screen.toml; each alert also cites its rule in `reasons`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from inocds.clinical.interactions import MatchResult
from inocds.clinical.screen.common import Collector
from inocds.protocol.interactions import InteractionKnowledge

__all__ = ["Alert", "medication_alerts"]

QT_COMBINATION = "interactions.qt_combination"
DUPLICATE = "medications.duplicate"
UNMATCHED = "interactions.unmatched"
INEXACT = "interactions.inexact_match"
DISAGREEMENT = "interactions.source_disagreement"


@dataclass(frozen=True)
class Alert:
    """One alert: `{"id", "severity", "message", "drugs"}` with its source."""

    id: str
    severity: str
    message: str
    drugs: tuple[str, ...]
    source: str

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        return {
            "id": self.id,
            "severity": self.severity,
            "message": self.message,
            "drugs": list(self.drugs),
            "source": self.source,
        }


def _raise(c: Collector, rule_id: str, about: tuple[str, ...], **values: Any) -> Alert:
    """The alert `rule_id` about the drugs `about`, its template filled with `values`."""
    rule = c.rule(rule_id)
    message = rule.text("message").format(**values)
    c.add(rule_id, message)
    return Alert(rule_id, rule.text("severity"), message, about, rule.source)


def _qt(result: MatchResult, c: Collector) -> list[Alert]:
    drugs = result.qt_drugs
    if len(drugs) < c.rule(QT_COMBINATION).integer("min_distinct_drugs"):
        return []
    return [_raise(c, QT_COMBINATION, drugs, count=len(drugs), drugs=", ".join(drugs))]


def _duplicates(result: MatchResult, c: Collector) -> list[Alert]:
    return [
        _raise(
            c,
            DUPLICATE,
            dup.names,
            names=", ".join(dup.names),
            count=len(dup.names),
            drug=dup.canonical,
        )
        for dup in result.duplicates
    ]


def _disagreements(
    result: MatchResult, knowledge: InteractionKnowledge, c: Collector
) -> list[Alert]:
    alerts: list[Alert] = []
    for hit in result.interactions:
        if not hit.sources_disagree or hit.listed_in is None:
            continue
        alerts.append(
            _raise(
                c,
                DISAGREEMENT,
                (hit.drug, *hit.also_listed_as),
                drug=hit.drug,
                entry=hit.matched_entry,
                risk=hit.risk,
                listed_name=hit.listed_name,
                listed=knowledge.note(hit.listed_in).label,
                stricter=hit.listed_rating,
            )
        )
    return alerts


def medication_alerts(
    result: MatchResult, knowledge: InteractionKnowledge, c: Collector
) -> list[Alert]:
    """QT combination, duplicates, source disagreements, unmatched and inexact names."""
    alerts = [*_qt(result, c), *_duplicates(result, c), *_disagreements(result, knowledge, c)]
    if result.unmatched:
        names = result.unmatched
        alerts.append(_raise(c, UNMATCHED, names, names=", ".join(names)))
    for reading in result.inexact:
        alerts.append(
            _raise(
                c,
                INEXACT,
                (reading.drug,),
                drug=reading.drug,
                matched_as=reading.matched_as,
                method=reading.match,
                confidence=f"{reading.confidence:g}",
            )
        )
    return alerts
