"""Histories a ward could not have lived are refused (workflow.plausibility, regimen.cycle1)."""

from __future__ import annotations

import datetime as dt

from inocds.clinical.plausibility import history_problems

BIRTH = dt.date(1970, 1, 1)
OPENED = dt.date(2026, 5, 4)
STARTED = [
    {"type": "cycle_start", "date": "2026-05-04", "cycle": 1},
    {"type": "dose", "date": "2026-05-04", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8},
]


def fields(new: dict[str, object], events: list[dict[str, object]] = STARTED) -> list[str]:
    return [p.field for p in history_problems(events, new, BIRTH, OPENED)]


def test_workflow_plausibility_labs_before_the_course_started_are_refused() -> None:
    """Labs of 2026-05-01 for a course started 2026-05-04 belong to the pretreatment values."""
    assert fields({"type": "labs", "date": "2026-05-01", "anc_per_mm3": 900}) == ["event.date"]


def test_workflow_plausibility_a_response_years_before_the_course_is_refused() -> None:
    """A response in 2001 for a course opened 2026-05-04: > 365 days back, "check the year"."""
    problems = history_problems([], {"type": "response", "date": "2001-05-04"}, BIRTH, OPENED)
    assert problems and "check the year" in problems[0].message


def test_workflow_plausibility_an_event_before_birth_is_refused() -> None:
    """A toxicity with onset 1969 for a patient born 1970-01-01 is refused."""
    problems = history_problems(STARTED, {"type": "toxicity", "onset": "1969-12-31"}, BIRTH, OPENED)
    assert problems and "birth" in problems[0].message


def test_regimen_cycle1_cycle_5_on_the_day_of_cycle_1_is_refused() -> None:
    """Cycle 5 day 1 on 2026-05-04, the day cycle 1 started: cycles 2-4 are missing."""
    new = {"type": "dose", "date": "2026-05-04", "cycle": 5, "day": 1, "dose_mg_per_m2": 0.5}
    assert fields(new) == ["event.cycle"]


def test_regimen_cycle1_cycle_2_sooner_than_21_days_is_refused() -> None:
    """Cycle 1 started 2026-05-04; cycle 2 on 2026-05-20 is 16 days later (< 21): refused;
    2026-05-25 (21 days) is accepted."""
    early = {"type": "cycle_start", "date": "2026-05-20", "cycle": 2}
    assert fields(early) == ["event.date"]
    assert fields({**early, "date": "2026-05-25"}) == []


def test_workflow_plausibility_a_pretreatment_toxicity_is_accepted() -> None:
    """A toxicity whose onset precedes the first dose is the pretreatment grade: accepted."""
    assert fields({"type": "toxicity", "onset": "2026-04-20", "grade": 1}) == []
