"""Reproductive windows of the screen: contraception and breastfeeding, counted from
the last planned dose while doses are planned (CONTRACT.md v1.1), else from the last
dose given; calendar months, the day clamped to the month's end."""

from __future__ import annotations

from typing import Any

from tests.builders import course, dose, start

from inocds.clinical.screen import run_screen


def female(events: list[dict[str, Any]], today: str, **patient: Any) -> dict[str, Any]:
    """A female patient who can become pregnant (unless overridden)."""
    fields: dict[str, Any] = {"sex": "female", "can_become_pregnant": True, **patient}
    return course(events, today=today, **fields)


def given(*dates: str) -> list[dict[str, Any]]:
    """Cycle 1 started on the first date, with days 1, 8, 15 given on the dates in order."""
    events = [start(1, dates[0])]
    for day_, date in zip((1, 8, 15), dates, strict=False):
        events.append(dose(1, day_, date, 0.8 if day_ == 1 else 0.5))
    return events


def stopped(events: list[dict[str, Any]], date: str) -> list[dict[str, Any]]:
    """`events` plus a discontinuation on `date`: no dose is planned any more."""
    return [*events, {"type": "discontinued", "date": date, "reason": "test"}]


def reproductive(document: dict[str, Any]) -> dict[str, Any]:
    """The screen's reproductive section."""
    return dict(run_screen(document)["reproductive"])


def test_windows_count_from_the_last_planned_dose_while_doses_are_planned() -> None:
    """Mid-course, contraception and breastfeeding count from the last planned dose."""
    repro = reproductive(female(given("2026-01-05"), "2026-01-06"))
    # cycle 1 day 1 given 2026-01-05; still planned: cycle 1 days 8 and 15 (01-12, 01-19)
    # and, from `plan`, cycle 2 (cycle 1 lasts 21 days: 01-05 + 21 = 01-26) on days
    # 1, 8, 15 = 01-26, 02-02, 02-09. Last planned dose 2026-02-09:
    # + 8 months = 2026-10-09; + 2 months = 2026-04-09 (not 09-05 / 03-05 from 01-05).
    assert repro["basis"] == "last_planned_dose"
    assert repro["counted_from"] == "2026-02-09"
    assert repro["counted_from_dose"] == "planned dose, cycle 2 day 15"
    assert repro["contraception_until"] == "2026-10-09"
    assert repro["no_breastfeeding_until"] == "2026-04-09"
    assert repro["last_dose_date"] == "2026-01-05"
    assert "last planned dose" in repro["note"]


def test_a_stopped_course_counts_from_the_last_recorded_dose() -> None:
    """Once the course is discontinued, the windows count from the last dose given."""
    repro = reproductive(female(stopped(given("2026-01-05"), "2026-01-06"), "2026-01-06"))
    # last dose 2026-01-05: + 8 months = 2026-09-05; + 2 months = 2026-03-05
    assert repro["basis"] == "last_recorded_dose"
    assert repro["contraception_until"] == "2026-09-05"
    assert repro["no_breastfeeding_until"] == "2026-03-05"


def test_female_window_clamps_at_month_end() -> None:
    """The 8-month window from a 30 June last dose ends on 28 February."""
    events = stopped(given("2026-06-16", "2026-06-23", "2026-06-30"), "2026-07-01")
    repro = reproductive(female(events, "2026-07-01"))
    # last dose 2026-06-30 (day 15): + 8 months -> 2027-02-30 does not exist -> 2027-02-28
    assert repro["contraception_until"] == "2027-02-28"
    # + 2 months -> 2026-08-30 (August has 31 days, no clamping)
    assert repro["no_breastfeeding_until"] == "2026-08-30"


def test_male_patient_gets_5_months_and_no_breastfeeding_window() -> None:
    """A male patient: contraception 5 months after the last dose, no breastfeeding window."""
    events = stopped(given("2026-01-05", "2026-01-12"), "2026-01-13")
    repro = reproductive(course(events, today="2026-01-13"))
    # last dose 2026-01-12 + 5 months = 2026-06-12
    assert repro["contraception_until"] == "2026-06-12"
    assert repro["no_breastfeeding_until"] is None
    assert repro["contraception_rule"] == "reproductive.contraception_male"


def test_female_who_cannot_become_pregnant_has_no_contraception_window() -> None:
    """A female patient who cannot become pregnant keeps only the breastfeeding window."""
    events = stopped(given("2026-01-05"), "2026-01-06")
    repro = reproductive(female(events, "2026-01-06", can_become_pregnant=False))
    assert repro["contraception_until"] is None
    # 2026-01-05 + 2 months = 2026-03-05
    assert repro["no_breastfeeding_until"] == "2026-03-05"


def test_female_with_unrecorded_pregnancy_potential_gets_the_8_month_window() -> None:
    """Unknown pregnancy potential in a female patient: the 8-month window is shown, with a note."""
    events = stopped(given("2026-01-05"), "2026-01-06")
    repro = reproductive(female(events, "2026-01-06", can_become_pregnant=None))
    # 2026-01-05 + 8 months = 2026-09-05
    assert repro["contraception_until"] == "2026-09-05"
    assert repro["note"] and "not recorded" in repro["note"]


def test_no_dose_yet_counts_from_the_planned_first_cycle() -> None:
    """Before the first dose the windows count from cycle 1's last planned dose."""
    repro = reproductive(female([], "2026-01-05"))
    # no events: cycle 1 starts on today 2026-01-05; days 1, 8, 15 = 01-05, 01-12, 01-19.
    # Last planned dose 2026-01-19: + 8 months = 2026-09-19; + 2 months = 2026-03-19.
    assert repro["basis"] == "last_planned_dose"
    assert repro["contraception_until"] == "2026-09-19"
    assert repro["no_breastfeeding_until"] == "2026-03-19"
    assert repro["last_dose_date"] is None


def test_no_dose_given_or_planned_gives_nulls() -> None:
    """A course stopped before any dose has no window end dates."""
    repro = reproductive(female(stopped([], "2026-01-05"), "2026-01-05"))
    assert repro["contraception_until"] is None
    assert repro["no_breastfeeding_until"] is None
    assert repro["basis"] is None
