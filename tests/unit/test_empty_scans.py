"""The shortcuts of the rule scans that usually find nothing (round 2, session 14) give
what their first forms gave: each test plants the cases a wrong shortcut would miss."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from tests import builders as b

from inocds.clinical.course import build_course
from inocds.clinical.course_state import CourseState
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids, review
from inocds.clinical.rules.hepatic import (
    first_dose_date,
    liver_series,
    pretreatment_above_limits,
    severe_tests,
)
from inocds.clinical.rules.stops import Stop, _severe_lab_stops, stops
from inocds.clinical.rules.text import render, say
from inocds.protocol.loader import rule_integer

SEVERE_AST = {"value": 1000, "uln": 40}  # 25 x ULN: grade 3+
SEVERE_BILI = {"value": 6.0, "uln": 1.2}  # 5 x ULN: grade 3+


def _old_severe_lab_stops(doc: CourseDocument, first: dt.date | None) -> list[Stop]:
    """hepatic.severe_labs as first written: over the built liver_series list."""
    if first is None:
        return []
    waived = doc.today.liver_abnormality_from_gilbert_or_hemolysis
    for date, labs in liver_series(doc):
        if date <= first:
            continue
        tests = severe_tests(labs, waived)
        if tests:
            message = render(ids.HEPATIC_SEVERE_LABS, "during", tests=tests, date=date)
            return [Stop(date, ids.HEPATIC_SEVERE_LABS, message, needs_review=True)]
    return []


def _labs(date: str, **values: Any) -> dict[str, Any]:
    return {"type": "labs", "date": date, **values}


def _today_labs(**values: Any) -> dict[str, Any]:
    return {**b.NORMAL_LABS, **values}


START = "2026-01-05"
C1 = [b.start(1, START), b.dose(1, 1, START, 0.8)]
CASES: dict[str, dict[str, Any]] = {
    "normal": b.course(C1, today="2026-01-12"),
    "no-dose": b.course([b.start(1, START)], today="2026-01-12", labs=_today_labs(ast=SEVERE_AST)),
    "today-severe": b.course(C1, today="2026-01-12", labs=_today_labs(ast=SEVERE_AST)),
    "today-is-first-dose-day": b.course(C1, today=START, labs=_today_labs(ast=SEVERE_AST)),
    "event-severe": b.course([*C1, _labs("2026-01-08", ast=SEVERE_AST)], today="2026-01-12"),
    "event-on-first-dose-day": b.course(
        [b.start(1, START), _labs(START, ast=SEVERE_AST), b.dose(1, 1, START, 0.8)],
        today="2026-01-12",
    ),
    "event-before-today-severe": b.course(
        [*C1, _labs("2026-01-08", bilirubin=SEVERE_BILI)],
        today="2026-01-12",
        labs=_today_labs(ast=SEVERE_AST),
    ),
    "waived-bilirubin": b.course(
        [*C1, _labs("2026-01-08", bilirubin=SEVERE_BILI)],
        today="2026-01-12",
        today_liver_abnormality_from_gilbert_or_hemolysis=True,
    ),
    "event-without-liver": b.course(
        [*C1, _labs("2026-01-08", anc_per_mm3=900)],
        today="2026-01-12",
        labs=_today_labs(ast=SEVERE_AST),
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_hepatic_severe_labs_scan_as_first_written(name: str) -> None:
    """hepatic.severe_labs: the in-place walk finds the first severe date the list walk found
    (a labs event before today's labs; nothing up to the first dose's day)."""
    doc = parse_course(CASES[name])
    first = first_dose_date(doc)
    assert _severe_lab_stops(doc, first) == _old_severe_lab_stops(doc, first)


def test_hepatic_severe_labs_first_severe_date_wins() -> None:
    """hepatic.severe_labs: the earlier severe labs event, not today's, is the stop."""
    doc = parse_course(CASES["event-before-today-severe"])
    found = stops(doc)
    assert [(s.rule, s.date) for s in found] == [(ids.HEPATIC_SEVERE_LABS, dt.date(2026, 1, 8))]


def test_hepatic_severe_labs_not_on_the_first_dose_day() -> None:
    """hepatic.severe_labs: values of the first dose's day are pretreatment, never a stop."""
    assert stops(parse_course(CASES["today-is-first-dose-day"])) == []
    assert stops(parse_course(CASES["event-on-first-dose-day"])) == []
    assert stops(parse_course(CASES["no-dose"])) == []


def _old_answer_triggers(
    state: CourseState, cycle: int | None, day: int | None, dosing: bool = True
) -> list[Reason]:
    """review.answer_triggers as first written: every check called, three lists joined."""
    found = review._age(state.doc) + review._lost(state) + review._waived_severe(state)
    if cycle is None:
        return found
    limit = rule_integer(ids.DURATION_NO_CR_AFTER_3, "cycles_without_response")
    if dosing and cycle >= 2 and day == 1 and not state.responses():
        found.append(say(ids.DATA_RESPONSE_MISSING, "doses", cycle=cycle))
    elif dosing and cycle == limit and not state.responses():
        found.extend(review.response_missing_for_stop(state, cycle + 1))
    if cycle == 1:
        pre = pretreatment_above_limits(state.doc)
        if pre is not None:
            found.append(cite(ids.HEPATIC_PRETREATMENT_LIMITS, pre))
    if day == 1:
        found.extend(review._mrd(state, cycle))
    return found


C2 = [*b.full_cycle(1, "2026-01-05"), b.start(2, "2026-02-02")]
TRIGGER_CASES: dict[str, dict[str, Any]] = {
    "plain": b.course(C1, today="2026-01-12"),
    "young": b.course(C1, today="2026-01-12", birth_date="2010-06-01"),
    "lost": b.course(
        [*C2, b.response("2026-01-30", "CR"), b.response("2026-02-01", "none")],
        today="2026-02-02",
    ),
    "responded": b.course([*C2, b.response("2026-01-30", "CR")], today="2026-02-02"),
    "waived": b.course(
        [*C1, _labs("2026-01-08", bilirubin=SEVERE_BILI)],
        today="2026-01-12",
        labs=_today_labs(bilirubin=SEVERE_BILI),
        today_liver_abnormality_from_gilbert_or_hemolysis=True,
    ),
}
CALLS = [(None, None, True), (1, 8, True), (2, 1, True), (2, 1, False), (3, 8, True), (3, 8, False)]


@pytest.mark.parametrize("name", sorted(TRIGGER_CASES))
def test_data_response_lost_and_missing_triggers_as_first_written(name: str) -> None:
    """data.response_lost / data.response_missing / data.age_below_indicated / the waived
    hepatic.severe_labs: the guarded checks give the reasons every check gave."""
    state = build_course(parse_course(TRIGGER_CASES[name]))
    for cycle, day, dosing in CALLS:
        assert review.answer_triggers(state, cycle, day, dosing) == _old_answer_triggers(
            state, cycle, day, dosing
        )


def test_data_response_lost_still_found() -> None:
    """data.response_lost: a CR then none is still reported (the case the guard must pass)."""
    state = build_course(parse_course(TRIGGER_CASES["lost"]))
    rules = [r.rule for r in review.answer_triggers(state, 2, 1)]
    assert ids.DATA_RESPONSE_LOST in rules
    waived = build_course(parse_course(TRIGGER_CASES["waived"]))
    assert ids.HEPATIC_SEVERE_LABS in [r.rule for r in review.answer_triggers(waived, 1, 8)]
