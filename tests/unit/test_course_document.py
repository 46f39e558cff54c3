"""The course document's validation: every bad field named, contradictions refused."""

from __future__ import annotations

from typing import Any

import pytest
from tests.builders import course, dose, response, start, toxicity

from inocds.clinical.assess import run_assess
from inocds.clinical.documents import parse_course
from inocds.clinical.validation import InputError


def fields_of(document: dict[str, Any]) -> set[str]:
    """The named fields of the InputError the document raises (through assess)."""
    with pytest.raises(InputError) as error:
        run_assess(document)
    return {e.field for e in error.value.errors}


def test_a_valid_document_parses() -> None:
    """The builders' document is valid and its events come back sorted by date."""
    doc = parse_course(
        course([dose(1, 1, "2026-01-05", 0.8), start(1, "2026-01-05")], today="2026-01-06")
    )
    assert [e.type for e in doc.events] == ["dose", "cycle_start"] or [
        e.date.isoformat() for e in doc.events
    ] == ["2026-01-05", "2026-01-05"]


def test_unknown_field_is_named() -> None:
    """A typo such as wieght_kg is an error, never ignored."""
    document = course(today="2026-01-05")
    document["patient"]["wieght_kg"] = 60
    assert "patient.wieght_kg" in fields_of(document)


def test_every_bad_field_is_named_at_once() -> None:
    """Several bad fields give several errors in one answer."""
    document = course(today="2026-01-05", height_cm=400, weight_kg="60")
    document["today"]["labs"]["anc_per_mm3"] = -1
    assert {"patient.height_cm", "patient.weight_kg", "today.labs.anc_per_mm3"} <= fields_of(
        document
    )


def test_missing_required_field_is_named() -> None:
    """A document without today.date names it."""
    document = course(today="2026-01-05")
    del document["today"]["date"]
    assert "today.date" in fields_of(document)


def test_event_after_today_is_refused() -> None:
    """An event dated after today.date is bad input."""
    document = course([start(1, "2026-01-05")], today="2026-01-04")
    assert "events[0].date" in fields_of(document)


def test_event_before_birth_is_refused() -> None:
    """An event before the birth date is bad input."""
    document = course([start(1, "1980-01-05")], today="2026-01-04")
    assert "events[0].date" in fields_of(document)


def test_resolved_before_onset_is_refused() -> None:
    """A toxicity resolved before its onset is bad input."""
    document = course(
        [start(1, "2026-01-05"), toxicity("2026-01-09", "2026-01-08")], today="2026-01-12"
    )
    assert "events[1].resolved" in fields_of(document)


def test_two_starts_of_one_cycle_are_refused() -> None:
    """Cycle 1 cannot start twice."""
    document = course([start(1, "2026-01-05"), start(1, "2026-01-06")], today="2026-01-12")
    assert "events[1].cycle" in fields_of(document)


def test_dose_after_discontinuation_is_refused() -> None:
    """No dose may follow a discontinued event."""
    events = [
        start(1, "2026-01-05"),
        dose(1, 1, "2026-01-05", 0.8),
        {"type": "discontinued", "date": "2026-01-08", "reason": "patient choice"},
        dose(1, 8, "2026-01-12", 0.5),
    ]
    assert "events[3].date" in fields_of(course(events, today="2026-01-13"))


def test_dose_for_a_day_outside_the_plan_is_refused() -> None:
    """Day 9 is not a scheduled day (days 1, 8 and 15 only)."""
    events = [start(1, "2026-01-05"), dose(1, 1, "2026-01-05", 0.8), dose(1, 9, "2026-01-13", 0.5)]
    assert "events[2].day" in fields_of(course(events, today="2026-01-14"))


def test_dose_without_its_cycle_is_refused() -> None:
    """A day 8 dose of a cycle that never started is bad input."""
    events = [dose(2, 8, "2026-01-12", 0.5)]
    assert "events[0].cycle" in fields_of(course(events, today="2026-01-14"))


def test_dose_above_level_is_kept_and_flagged() -> None:
    """A recorded 0.8 mg/m2 on day 8 (level allows 0.5) is history: kept, with a warning."""
    events = [start(1, "2026-01-05"), dose(1, 1, "2026-01-05", 0.8), dose(1, 8, "2026-01-12", 0.8)]
    answer = run_assess(course(events, today="2026-01-13"))
    assert [w["code"] for w in answer["warnings"]] == ["history.dose_above_level"]


def test_bad_response_status_names_the_allowed_values() -> None:
    """A response status outside CR, CRi, none names what is allowed."""
    document = course([start(1, "2026-01-05"), response("2026-01-10", "PR")], today="2026-01-12")
    with pytest.raises(InputError) as error:
        run_assess(document)
    assert "CR, CRi, none" in error.value.errors[0].message


def _refusals(document: dict[str, Any]) -> list[tuple[str, str]]:
    """parse_course's refusals as (field, message), [] when the document is accepted."""
    try:
        parse_course(document)
    except InputError as error:
        return [(e.field, e.message) for e in error.errors]
    return []


def test_a_dosed_cycle_counts_as_started_for_the_next() -> None:
    """Cycle 2 may start after a cycle 1 known only by its doses (documents._event_errors
    collects the dosed cycles); a cycle 3 after no cycle 2 at all is refused."""
    dosed_only = [dose(1, 1, "2026-01-05", 0.8), start(2, "2026-02-02")]
    assert _refusals(course(dosed_only, today="2026-02-03")) == []
    skipped = [start(1, "2026-01-05"), start(3, "2026-02-02")]
    assert _refusals(course(skipped, today="2026-02-03")) == [
        ("events[1].cycle", "cycle 2 never started")
    ]


def test_a_dose_on_the_discontinuation_day_is_not_after_it() -> None:
    """Doses and starts after the first discontinuation are refused; on its day they are not."""
    stop = {"type": "discontinued", "date": "2026-01-12"}
    after = toxicity("2026-01-15", None)  # not a dose or a start: no refusal
    same_day = [start(1, "2026-01-05"), stop, dose(1, 8, "2026-01-12", 0.5), after]
    assert _refusals(course(same_day, today="2026-01-20")) == []
    later = [start(1, "2026-01-05"), stop, dose(1, 15, "2026-01-19", 0.5)]
    assert _refusals(course(later, today="2026-01-20")) == [
        ("events[2].date", "is after the course was discontinued")
    ]
