"""Toxicity episodes: the periods in which dosing is interrupted, and the terminal events.

Folds `toxicity` events and the liver tests (labs events, today's labs) into
`Episode`s (non-hematologic interruptions: nonheme.grade2, hepatic.interrupt,
nonheme.bleeding_infection) and `Stop`s (events that end the course for good:
hepatic.vod, infusion.severe, course.discontinued).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inocds.clinical.documents import CourseDocument, Event, Labs
from inocds.clinical.rules import ids
from inocds.clinical.rules.hepatic import first_dose_date, liver_series, severe_tests
from inocds.clinical.rules.text import render
from inocds.protocol.loader import load_protocol

__all__ = ["Episode", "Stop", "hepatic_state", "interruption_episodes", "stops"]


@dataclass(frozen=True)
class Episode:
    """A period in which doses may not be given: [start, end) with end None while ongoing."""

    start: dt.date
    end: dt.date | None
    rule: str
    label: str
    needs_review: bool = False

    def active(self, day: dt.date) -> bool:
        """True when the episode interrupts dosing on `day`."""
        return self.start <= day and (self.end is None or day < self.end)


@dataclass(frozen=True)
class Stop:
    """An event that ends the course for good."""

    date: dt.date
    rule: str
    label: str
    needs_review: bool = False


def _severe_lab_stops(doc: CourseDocument) -> list[Stop]:
    """hepatic.severe_labs: the first liver tests of grade 3+ measured after the first dose."""
    first = first_dose_date(doc)
    if first is None:
        return []
    waived = doc.today.liver_abnormality_from_gilbert_or_hemolysis
    for date, labs in liver_series(doc):
        tests = severe_tests(labs, bilirubin_waived=waived)
        if date > first and tests:
            message = render(ids.HEPATIC_SEVERE_LABS, "during", tests=tests, date=date)
            return [Stop(date, ids.HEPATIC_SEVERE_LABS, message, needs_review=True)]
    return []


def _grade_label(e: Event) -> str:
    name = e.name or (e.category or "toxicity").replace("_", " ")
    return f"{name} grade {e.grade} (onset {e.date}" + (
        f", resolved {e.resolved})" if e.resolved else ", unresolved)"
    )


def stops(doc: CourseDocument) -> list[Stop]:
    """Every course-ending event, in date order."""
    p = load_protocol()
    severe_liver = p[ids.HEPATIC_VOD].integer("severe_grade")
    severe_infusion = p[ids.INFUSION_SEVERE].integer("severe_grade")
    found: list[Stop] = []
    first = first_dose_date(doc)
    for e in doc.events:
        grade = e.grade or 0
        if e.type == "toxicity" and e.category != "vod" and (first is None or e.date < first):
            continue  # before the first dose: data.toxicity_before_first_dose (the dose waits)
        if e.type == "discontinued":
            why = f": {e.reason}" if e.reason else ""
            found.append(
                Stop(e.date, ids.COURSE_DISCONTINUED, f"course discontinued on {e.date}{why}")
            )
        elif e.type == "toxicity" and e.category == "vod":
            found.append(Stop(e.date, ids.HEPATIC_VOD, f"VOD/SOS: {_grade_label(e)}"))
        elif e.type == "toxicity" and e.category == "hepatic" and grade >= severe_liver:
            found.append(Stop(e.date, ids.HEPATIC_VOD, f"severe liver toxicity: {_grade_label(e)}"))
        elif (
            e.type == "toxicity" and e.category == "infusion_reaction" and grade >= severe_infusion
        ):
            found.append(
                Stop(e.date, ids.INFUSION_SEVERE, f"severe infusion reaction: {_grade_label(e)}")
            )
    if doc.today.vod:
        found.append(Stop(doc.today.date, ids.HEPATIC_VOD, f"VOD/SOS reported on {doc.today.date}"))
    found.extend(_severe_lab_stops(doc))
    return sorted(found, key=lambda s: s.date)


def hepatic_state(labs: Labs) -> str | None:
    """'interrupt' when the labs meet hepatic.interrupt, 'recovered' when within limits, else None.

    Interrupt: bilirubin > 1.5 x ULN together with AST or ALT > 2.5 x ULN.
    Recovered: bilirubin <= 1.5 x ULN and AST and ALT <= 2.5 x ULN (the values present).
    """
    rule = load_protocol()[ids.HEPATIC_INTERRUPT]
    bili_limit = rule.number("bilirubin_x_uln")
    amin_limit = rule.number("transaminase_x_uln")
    amins = [v.x_uln for v in (labs.ast, labs.alt) if v is not None]
    if labs.bilirubin is None and not amins:
        return None
    if (
        labs.bilirubin is not None
        and labs.bilirubin.x_uln > bili_limit
        and any(x > amin_limit for x in amins)
    ):
        return "interrupt"
    bili_ok = labs.bilirubin is None or labs.bilirubin.x_uln <= bili_limit
    if bili_ok and all(x <= amin_limit for x in amins):
        return "recovered"
    return None  # abnormal but not meeting the interruption criteria: no change of state


def describe_liver(labs: Labs) -> str:
    """'bilirubin 2.0 x ULN, AST 3.1 x ULN, ALT 1.0 x ULN' from the values present."""
    parts = []
    for name, value in (("bilirubin", labs.bilirubin), ("AST", labs.ast), ("ALT", labs.alt)):
        if value is not None:
            parts.append(f"{name} {value.x_uln:.2f} x ULN")
    return ", ".join(parts)


def _liver_series(doc: CourseDocument) -> list[tuple[dt.date, Labs]]:
    series = [(e.date, e.labs) for e in doc.events if e.type == "labs" and e.labs is not None]
    series.append((doc.today.date, doc.today.labs))
    return series


def _hepatic_episodes(doc: CourseDocument) -> list[Episode]:
    episodes: list[Episode] = []
    start: dt.date | None = None
    label = ""
    for date, labs in _liver_series(doc):
        state = hepatic_state(labs)
        if state == "interrupt" and start is None:
            start, label = date, f"liver tests on {date}: {describe_liver(labs)}"
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


def interruption_episodes(doc: CourseDocument) -> list[Episode]:
    """Every episode that interrupts dosing, in start order."""
    p = load_protocol()
    interrupting = p[ids.NONHEME_GRADE2].integer("interrupting_grade")
    severe = p[ids.NONHEME_BLEEDING_INFECTION].integer("severe_grade")
    severe_liver = p[ids.HEPATIC_VOD].integer("severe_grade")
    found: list[Episode] = []
    for e in doc.events:
        if e.type != "toxicity" or (e.grade or 0) < interrupting:
            continue
        grade = e.grade or 0
        if e.category == "nonhematologic":
            found.append(Episode(e.date, e.resolved, ids.NONHEME_GRADE2, _grade_label(e)))
        elif e.category in ("bleeding", "infection"):
            # bleeding: "may require" interruption, reduction or discontinuation at any grade;
            # infection: the same only when severe (000, non-hematologic table)
            review = e.category == "bleeding" or grade >= severe
            found.append(
                Episode(
                    e.date,
                    e.resolved,
                    ids.NONHEME_BLEEDING_INFECTION if review else ids.NONHEME_GRADE2,
                    _grade_label(e),
                    needs_review=review,
                )
            )
        elif e.category == "hepatic" and grade < severe_liver:
            found.append(Episode(e.date, e.resolved, ids.HEPATIC_INTERRUPT, _grade_label(e)))
    if not hepatic_waived(doc):
        found.extend(_hepatic_episodes(doc))
    return sorted(found, key=lambda x: x.start)
