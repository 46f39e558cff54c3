"""The walk's log, word for word (issue 13: its messages are written when first read).

`LogEntry.message` is `text(*args)`, formatted on demand; these are the messages the
walk wrote eagerly before (recorded on main at bf0f0bd): every kind of entry - a cycle's
start, a dose given, a dose skipped by a later one, omitted by its window or by an
interruption, resumed after a shorter one.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
from tests.rules.fixture_loader import load_case

from inocds.clinical.course import build_course
from inocds.clinical.documents import parse_course

ROOT = Path(__file__).resolve().parents[2]

DOSE_WITHOUT_START = [
    ("2026-01-05", "started", 1, 1, "regimen.cycle1", "cycle 1 starts (full)"),
    ("2026-01-12", "skipped", 1, 1, "schedule.missed", "cycle 1 day 1 was not given before day 8"),
    ("2026-01-12", "given", 1, 8, "regimen.cycle1", "cycle 1 day 8: 0.5 mg/m2 given"),
]
INTERRUPTED_DAY_8 = [
    ("2026-01-05", "started", 1, 1, "regimen.cycle1", "cycle 1 starts (full)"),
    ("2026-01-05", "given", 1, 1, "regimen.cycle1", "cycle 1 day 1: 0.8 mg/m2 given"),
    (
        "2026-01-18",
        "omitted",
        1,
        8,
        "interruption.ge7",
        "cycle 1 day 8 omitted: interrupted 7 days (since 2026-01-11) by diarrhea grade 2 "
        "(onset 2026-01-10, resolved 2026-01-19)",
    ),
    (
        "2026-01-19",
        "resumed",
        1,
        15,
        "interruption.lt7",
        "cycle 1 day 15 may be given again after a 2-day interruption (from 2026-01-17)",
    ),
]
INTERRUPTED_DAY_15 = [
    ("2026-01-05", "started", 1, 1, "regimen.cycle1", "cycle 1 starts (full)"),
    ("2026-01-05", "given", 1, 1, "regimen.cycle1", "cycle 1 day 1: 0.8 mg/m2 given"),
    ("2026-01-12", "given", 1, 8, "regimen.cycle1", "cycle 1 day 8: 0.5 mg/m2 given"),
    (
        "2026-01-25",
        "omitted",
        1,
        15,
        "interruption.ge7",
        "cycle 1 day 15 omitted: interrupted 7 days (since 2026-01-18) by diarrhea grade 2 "
        "(onset 2026-01-16, resolved 2026-02-01)",
    ),
    (
        "2026-02-01",
        "resumed",
        2,
        1,
        "nonheme.grade2",
        "cycle 2 day 1 may be given again after a 6-day interruption (from 2026-01-26)",
    ),
]
FIXTURES = {
    "history.dose_without_cycle_start/fires-dose-with-no-cycle-start.json": DOSE_WITHOUT_START,
    "interruption.ge7/fires-8-day-interruption-day-8-omitted-day-15-given.json": (
        INTERRUPTED_DAY_8
    ),
    "interruption.ge14/fires-14-day-interruption-reduces-cycle-2.json": INTERRUPTED_DAY_15,
}


def _log(document: dict[str, Any]) -> list[tuple[Any, ...]]:
    state = build_course(parse_course(document))
    return [(e.date.isoformat(), e.kind, e.cycle, e.day, e.rule, e.message) for e in state.log]


@pytest.mark.parametrize("name", sorted(FIXTURES))
def test_the_log_of_a_rule_fixture(name: str) -> None:
    request = load_case(ROOT / "tests" / "rules" / name)["request"]
    assert _log(request) == FIXTURES[name]


def test_the_log_of_the_six_cycle_course_with_missed_doses() -> None:
    """The benchmark's course without cycle 2's day 8 and cycle 3's day 15 doses."""
    sys.path.insert(0, str(ROOT / "bench"))
    try:
        from assess_bench import six_cycle_course
    finally:
        sys.path.remove(str(ROOT / "bench"))
    document = six_cycle_course()
    dropped = {(2, 8), (3, 15)}
    document["events"] = [
        e
        for e in document["events"]
        if not (e["type"] == "dose" and (e["cycle"], e["day"]) in dropped)
    ]
    log = _log(document)
    assert len(log) == 22
    assert log[4:8] == [
        ("2026-01-26", "started", 2, 1, "regimen.subsequent_cr", "cycle 2 starts (full)"),
        ("2026-01-26", "given", 2, 1, "regimen.subsequent_cr", "cycle 2 day 1: 0.5 mg/m2 given"),
        (
            "2026-02-05",
            "omitted",
            2,
            8,
            "schedule.missed",
            "cycle 2 day 8 not given by 2026-02-04, the end of its window",
        ),
        ("2026-02-09", "given", 2, 15, "regimen.subsequent_cr", "cycle 2 day 15: 0.5 mg/m2 given"),
    ]
    assert log[11:14] == [
        (
            "2026-03-12",
            "omitted",
            3,
            15,
            "schedule.missed",
            "cycle 3 day 15 not given by 2026-03-11, the end of its window",
        ),
        ("2026-04-06", "started", 4, 1, "regimen.subsequent_cr", "cycle 4 starts (reduced_25)"),
        (
            "2026-04-06",
            "given",
            4,
            1,
            "regimen.subsequent_cr",
            "cycle 4 day 1: 0.375 mg/m2 given",
        ),
    ]
