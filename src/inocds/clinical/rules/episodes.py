"""Toxicity episodes: the periods in which dosing is interrupted (nonheme.grade2,
nonheme.bleeding_infection, hepatic.interrupt).

Folds `toxicity` events and the liver tests (labs events, today's labs) into
`Episode`s. The course walk measures each interruption from them; the events that
end the course for good are `rules.stops`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inocds.clinical.documents import CourseDocument, Event
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.hepatic import (
    describe_liver,
    gilbert_hemolysis_note,
    hepatic_state,
    liver_series,
)
from inocds.clinical.rules.stops import grade_label
from inocds.clinical.rules.text import render, say
from inocds.protocol.loader import rule_integer

__all__ = [
    "Episode",
    "episode_reason",
    "gilbert_hemolysis_notes",
    "hepatic_waived",
    "interruption_episodes",
    "raw_hepatic_episodes",
]


@dataclass(frozen=True)
class Episode:
    """A period in which doses may not be given: [start, end) with end None while ongoing."""

    start: dt.date
    end: dt.date | None
    rule: str
    label: str
    needs_review: bool = False

    def __init__(
        self, start: dt.date, end: dt.date | None, rule: str, label: str, needs_review: bool = False
    ) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["start"] = start
        fields["end"] = end
        fields["rule"] = rule
        fields["label"] = label
        fields["needs_review"] = needs_review

    def active(self, day: dt.date) -> bool:
        """True when the episode interrupts dosing on `day`."""
        return self.start <= day and (self.end is None or day < self.end)


def episode_reason(episode: Episode) -> Reason:
    """The reason an active episode gives: dosing waits for recovery."""
    return say(episode.rule, "interrupted", label=episode.label)


def _hepatic_episodes(doc: CourseDocument) -> list[Episode]:
    """hepatic.interrupt from the liver tests: from meeting the criteria to recovery."""
    episodes: list[Episode] = []
    start: dt.date | None = None
    label = ""
    for date, labs in liver_series(doc):
        state = hepatic_state(labs)
        if state == "interrupt" and start is None:
            start = date
            label = render(ids.HEPATIC_INTERRUPT, "episode", date=date, tests=describe_liver(labs))
        elif state == "recovered" and start is not None:
            episodes.append(Episode(start, date, ids.HEPATIC_INTERRUPT, label))
            start = None
    if start is not None:
        episodes.append(Episode(start, None, ids.HEPATIC_INTERRUPT, label))
    return episodes


def hepatic_waived(doc: CourseDocument) -> bool:
    """True when the liver-test interruption is set aside (Gilbert syndrome or hemolysis)."""
    return doc.today.liver_abnormality_from_gilbert_or_hemolysis


def raw_hepatic_episodes(doc: CourseDocument) -> list[Episode]:
    """Liver-test episodes before the Gilbert/hemolysis waiver is applied."""
    return _hepatic_episodes(doc)


def _toxicity_episode(e: Event, severe: int, severe_liver: int) -> Episode | None:
    """The interruption a toxicity event of an interrupting grade makes, if any."""
    grade = e.grade or 0
    if e.category == "nonhematologic":
        return Episode(e.date, e.resolved, ids.NONHEME_GRADE2, grade_label(e))
    if e.category in ("bleeding", "infection"):
        # bleeding: "may require" interruption, reduction or discontinuation at any grade;
        # infection: the same only when severe (000, non-hematologic table)
        review = e.category == "bleeding" or grade >= severe
        rule = ids.NONHEME_BLEEDING_INFECTION if review else ids.NONHEME_GRADE2
        return Episode(e.date, e.resolved, rule, grade_label(e), needs_review=review)
    if e.category == "hepatic" and grade < severe_liver:
        return Episode(e.date, e.resolved, ids.HEPATIC_INTERRUPT, grade_label(e))
    return None


def interruption_episodes(doc: CourseDocument) -> list[Episode]:
    """Every episode that interrupts dosing, in start order."""
    found: list[Episode] = []
    toxicities = doc.of_type("toxicity")
    if toxicities:
        interrupting = rule_integer(ids.NONHEME_GRADE2, "interrupting_grade")
        severe = rule_integer(ids.NONHEME_BLEEDING_INFECTION, "severe_grade")
        severe_liver = rule_integer(ids.HEPATIC_VOD, "severe_grade")
        for e in toxicities:
            if (e.grade or 0) < interrupting:
                continue
            episode = _toxicity_episode(e, severe, severe_liver)
            if episode is not None:
                found.append(episode)
    if not hepatic_waived(doc):
        found.extend(_hepatic_episodes(doc))
    if len(found) > 1:
        found.sort(key=_start)  # stable, as sorted() was: ties keep this order
    return found


def _start(episode: Episode) -> dt.date:
    return episode.start


def gilbert_hemolysis_notes(doc: CourseDocument) -> list[Reason]:
    """hepatic.gilbert_hemolysis: liver tests that meet hepatic.interrupt are set aside."""
    if hepatic_waived(doc) and raw_hepatic_episodes(doc):
        return [gilbert_hemolysis_note()]
    return []
