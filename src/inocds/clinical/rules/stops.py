"""Events that end the course for good: hepatic.vod, hepatic.severe_labs, infusion.severe,
course.discontinued (`Stop`s), and the reasons an answer gives for them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from inocds.clinical.documents import CourseDocument, Event, Labs
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids
from inocds.clinical.rules.hepatic import severe_tests
from inocds.clinical.rules.text import render, say
from inocds.protocol.loader import rule_integer

__all__ = ["Stop", "grade_label", "stop_reasons", "stops"]


@dataclass(frozen=True)
class Stop:
    """An event that ends the course for good."""

    date: dt.date
    rule: str
    label: str
    needs_review: bool = False

    def __init__(self, date: dt.date, rule: str, label: str, needs_review: bool = False) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["date"] = date
        fields["rule"] = rule
        fields["label"] = label
        fields["needs_review"] = needs_review


def grade_label(e: Event) -> str:
    """'nausea grade 2 (onset 2026-01-05, resolved 2026-01-09)' for a toxicity event."""
    name = e.name or (e.category or "toxicity").replace("_", " ")
    return f"{name} grade {e.grade} (onset {e.date}" + (
        f", resolved {e.resolved})" if e.resolved else ", unresolved)"
    )


def _severe_lab_stops(doc: CourseDocument, first: dt.date | None) -> list[Stop]:
    """hepatic.severe_labs: the first liver tests of grade 3+ measured after the first dose
    (`first`, the first dose's date)."""
    if first is None:
        return []
    waived = doc.today.liver_abnormality_from_gilbert_or_hemolysis
    # liver_series(doc) walked in place (labs events, then today's labs) without building
    # its list: this runs on every answer and nearly always finds nothing (with the first
    # dose read inline in stops, ~17.5 K -> ~15.0 K per stops call)
    for e in doc.of_type("labs"):
        if e.labs is not None and e.date > first:  # up to the first dose: pretreatment
            stop = _severe_lab_stop(e.date, e.labs, waived)
            if stop is not None:
                return [stop]
    today = doc.today
    if today.date > first:
        stop = _severe_lab_stop(today.date, today.labs, waived)
        if stop is not None:
            return [stop]
    return []


def _severe_lab_stop(date: dt.date, labs: Labs, waived: bool) -> Stop | None:
    """hepatic.severe_labs for the liver tests of one date (None: none of grade 3+)."""
    tests = severe_tests(labs, waived)
    if not tests:
        return None
    message = render(ids.HEPATIC_SEVERE_LABS, "during", tests=tests, date=date)
    return Stop(date, ids.HEPATIC_SEVERE_LABS, message, needs_review=True)


def _event_stop(e: Event, severe_liver: int, severe_infusion: int) -> Stop | None:
    """The stop a recorded event makes, if any (hepatic.vod, infusion.severe, discontinued)."""
    grade = e.grade or 0
    if e.type == "discontinued":
        why = f": {e.reason}" if e.reason else ""
        return Stop(
            e.date, ids.COURSE_DISCONTINUED, render(ids.COURSE_DISCONTINUED, date=e.date, why=why)
        )
    if e.type != "toxicity":
        return None
    if e.category == "vod":
        return Stop(e.date, ids.HEPATIC_VOD, render(ids.HEPATIC_VOD, "event", label=grade_label(e)))
    if e.category == "hepatic" and grade >= severe_liver:
        return Stop(
            e.date, ids.HEPATIC_VOD, render(ids.HEPATIC_VOD, "severe", label=grade_label(e))
        )
    if e.category == "infusion_reaction" and grade >= severe_infusion:
        return Stop(e.date, ids.INFUSION_SEVERE, render(ids.INFUSION_SEVERE, label=grade_label(e)))
    return None


def stops(doc: CourseDocument) -> list[Stop]:
    """Every course-ending event, in date order."""
    found: list[Stop] = []
    doses = doc.of_type("dose")
    first = doses[0].date if doses else None  # hepatic.first_dose_date, written out
    # only toxicity and discontinued events can stop the course: without either, no loop
    if doc.of_type("toxicity") or doc.of_type("discontinued"):
        severe_liver = rule_integer(ids.HEPATIC_VOD, "severe_grade")
        severe_infusion = rule_integer(ids.INFUSION_SEVERE, "severe_grade")
        for e in doc.events:
            if e.type == "toxicity" and e.category != "vod" and (first is None or e.date < first):
                continue  # before the first dose: data.toxicity_before_first_dose (dose waits)
            if e.type not in ("discontinued", "toxicity"):
                continue
            stop = _event_stop(e, severe_liver, severe_infusion)
            if stop is not None:
                found.append(stop)
    if doc.today.vod:
        found.append(
            Stop(
                doc.today.date,
                ids.HEPATIC_VOD,
                render(ids.HEPATIC_VOD, "reported", date=doc.today.date),
            )
        )
    found.extend(_severe_lab_stops(doc, first))
    if len(found) > 1:
        found.sort(key=_date)  # stable, as sorted() was: ties keep this order
    return found


def _date(stop: Stop) -> dt.date:
    return stop.date


def stop_reasons(found: list[Stop]) -> tuple[Reason, ...]:
    """The reasons of course-ending events (severe liver tests also cite hepatic.vod)."""
    reasons = tuple(cite(s.rule, s.label) for s in found)
    if any(s.rule == ids.HEPATIC_SEVERE_LABS for s in found):
        reasons += (say(ids.HEPATIC_VOD, "severe_labs"),)
    if found[0].rule != ids.COURSE_DISCONTINUED:
        reasons += (say(ids.COURSE_DISCONTINUED, "ended"),)
    return reasons
