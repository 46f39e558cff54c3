"""The course walk skips days on which nothing can change (issue 13); a walk that looks
at every single day must leave the same state: cycles, pointer, spans, log, warnings.

The reference is the walk itself with the skipping turned off (`skips_quiet_days`
False), run on every rule fixture and the benchmark's 6-cycle course, each as of many
days (today moved from before the first event to months after the last one).
"""

from __future__ import annotations

import copy
import datetime as dt
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.rules.fixture_loader import case_files, load_case

from inocds.clinical.course import CourseState, _Walker
from inocds.clinical.documents import parse_course
from inocds.clinical.validation import InputError

BENCH = Path(__file__).resolve().parents[2] / "bench"


class _EveryDay(_Walker):
    """The walk without skipping: every day from the first event to today is evaluated."""

    skips_quiet_days = False


def _state(state: CourseState) -> tuple[Any, ...]:
    return (
        state.cycles,
        state.pointer,
        state.pointer_since,
        state.slot_interruption_start,
        state.delayed_from,
        state.spans,
        state.open_span,
        state.last_dose,
        state.log,
        state.warnings,
    )


def _walked(walker: type[_Walker], document: dict[str, Any]) -> Any:
    try:
        doc = parse_course(document)
    except InputError:
        return None
    try:
        return _state(walker(doc).run())
    except InputError as error:
        return error.errors


def _documents() -> list[dict[str, Any]]:
    cases = [load_case(p) for p in case_files()]
    found = [c["request"] for c in cases if c["command"] in ("assess", "plan", "screen")]
    sys.path.insert(0, str(BENCH))
    try:
        from assess_bench import six_cycle_course
    finally:
        sys.path.remove(str(BENCH))
    return [*found, six_cycle_course()]


DOCUMENTS = _documents()


@pytest.mark.parametrize("index", range(len(DOCUMENTS)))
def test_skipping_walk_equals_the_day_by_day_walk(index: int) -> None:
    """Every fixture as written: the same state both ways."""
    document = DOCUMENTS[index]
    assert _walked(_Walker, document) == _walked(_EveryDay, document)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(DOCUMENTS), st.integers(-40, 200))
def test_skipping_walk_equals_the_day_by_day_walk_on_any_day(
    document: dict[str, Any], shift: int
) -> None:
    """The same documents asked on another day (today moved by `shift` days)."""
    moved = copy.deepcopy(document)
    today = dt.date.fromisoformat(moved["today"]["date"]) + dt.timedelta(days=shift)
    moved["today"]["date"] = today.isoformat()
    assert _walked(_Walker, moved) == _walked(_EveryDay, moved)
