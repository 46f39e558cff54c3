"""Issue 13: rule functions rewritten for speed give what their first form gave.

Each `_old_*` below is the function as it stood at 84068ce (copied verbatim, only renamed);
each test compares the rewritten function with it: the liver predicates on generated lab
values (exact limits, just above and below, missing tests, not-a-number), the document
readings on every rule fixture's course document and on builder courses (toxicities,
responses, liver tests, other days).
"""

from __future__ import annotations

import calendar
import datetime as dt
import math
from types import SimpleNamespace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests import builders as b
from tests.rules.fixture_loader import case_files, load_case

from inocds.clinical.course import build_course
from inocds.clinical.course_state import CourseState
from inocds.clinical.documents import CourseDocument, Event, Labs, LabValue, parse_course
from inocds.clinical.rules import ids, review
from inocds.clinical.rules.episodes import (
    _hepatic_episodes,
    _toxicity_episode,
    hepatic_waived,
    interruption_episodes,
)
from inocds.clinical.rules.hepatic import (
    _describe,
    first_dose_date,
    hepatic_state,
    latest_liver,
    liver_series,
    pretreatment_above_limits,
    severe_tests,
)
from inocds.clinical.rules.stops import Stop, _event_stop, _severe_lab_stops, stops
from inocds.clinical.rules.text import render
from inocds.clinical.types import RESPONDED, HepaticState
from inocds.clinical.validation import InputError
from inocds.protocol.loader import rule_integer, rule_number

# ------------------------------------------------------------------ the first forms


def _old_latest_liver(doc: CourseDocument, since: dt.date | None, until: dt.date) -> Labs:
    found: dict[str, LabValue] = {}
    for date, labs in liver_series(doc):
        if date > until or (since is not None and date <= since):
            continue
        for name in ("bilirubin", "ast", "alt"):
            value = getattr(labs, name)
            if value is not None:
                found[name] = value
    return Labs(bilirubin=found.get("bilirubin"), ast=found.get("ast"), alt=found.get("alt"))


def _old_severe_tests(labs: Labs, bilirubin_waived: bool = False) -> str | None:
    bili_limit = rule_number(ids.HEPATIC_SEVERE_LABS, "bilirubin_x_uln")
    amin_limit = rule_number(ids.HEPATIC_SEVERE_LABS, "transaminase_x_uln")
    names: list[str] = []
    if labs.bilirubin is not None and labs.bilirubin.x_uln > bili_limit and not bilirubin_waived:
        names.append("bilirubin")
    names += [n for n in ("ast", "alt") if (v := getattr(labs, n)) and v.x_uln > amin_limit]
    return _describe(labs, tuple(names)) if names else None


def _old_pretreatment_above_limits(doc: CourseDocument) -> str | None:
    bili_limit = rule_number(ids.HEPATIC_PRETREATMENT_LIMITS, "bilirubin_x_uln")
    amin_limit = rule_number(ids.HEPATIC_PRETREATMENT_LIMITS, "transaminase_x_uln")
    first = first_dose_date(doc)
    sets = [doc.patient.pretreatment]
    if first is None:
        sets.append(_old_latest_liver(doc, None, doc.today.date))
    for labs in sets:
        names = []
        if labs.bilirubin is not None and labs.bilirubin.x_uln > bili_limit:
            names.append("bilirubin")
        names += [n for n in ("ast", "alt") if (v := getattr(labs, n)) and v.x_uln > amin_limit]
        if names:
            return render(ids.HEPATIC_PRETREATMENT_LIMITS, tests=_describe(labs, tuple(names)))
    return None


def _old_hepatic_state(labs: Labs) -> HepaticState | None:
    bili_limit = rule_number(ids.HEPATIC_INTERRUPT, "bilirubin_x_uln")
    amin_limit = rule_number(ids.HEPATIC_INTERRUPT, "transaminase_x_uln")
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
    return None


def _old_interruption_episodes(doc: CourseDocument) -> list[Any]:
    interrupting = rule_integer(ids.NONHEME_GRADE2, "interrupting_grade")
    severe = rule_integer(ids.NONHEME_BLEEDING_INFECTION, "severe_grade")
    severe_liver = rule_integer(ids.HEPATIC_VOD, "severe_grade")
    found = []
    for e in doc.of_type("toxicity"):
        if (e.grade or 0) < interrupting:
            continue
        episode = _toxicity_episode(e, severe, severe_liver)
        if episode is not None:
            found.append(episode)
    if not hepatic_waived(doc):
        found.extend(_hepatic_episodes(doc))
    return sorted(found, key=lambda x: x.start)


def _old_stops(doc: CourseDocument) -> list[Stop]:
    severe_liver = rule_integer(ids.HEPATIC_VOD, "severe_grade")
    severe_infusion = rule_integer(ids.INFUSION_SEVERE, "severe_grade")
    found: list[Stop] = []
    first = first_dose_date(doc)
    for e in doc.events:
        if e.type == "toxicity" and e.category != "vod" and (first is None or e.date < first):
            continue
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
    found.extend(_severe_lab_stops(doc, first_dose_date(doc)))
    return sorted(found, key=lambda s: s.date)


def _old_responses(state: CourseState, until: dt.date | None = None) -> list[Event]:
    return [e for e in state.doc.of_type("response") if until is None or e.date <= until]


def _old_active_episodes(state: CourseState, day: dt.date) -> list[Any]:
    first = state.first_dose_date
    return [e for e in state.episodes if e.active(day) and (first is not None and e.start >= first)]


# ------------------------------------------------------------------ lab values


def _lab_value(limits: tuple[float, ...]) -> st.SearchStrategy[LabValue | None]:
    """None, or a value at, just above or just below a limit (x ULN), or anywhere, or NaN."""
    uln = st.sampled_from([1.0, 1.2, 40.0, 0.3])
    near = st.sampled_from(limits).flatmap(
        lambda x: st.sampled_from([x, math.nextafter(x, 0), math.nextafter(x, math.inf)])
    )
    x_uln = st.one_of(near, st.floats(0, 20), st.just(math.nan))
    value = st.builds(lambda u, x: LabValue(u * x, u), uln, x_uln)
    exact = st.builds(lambda u, x: LabValue(x, u), uln, st.floats(0, 500))
    return st.one_of(st.none(), value, exact)


def _limits() -> tuple[float, ...]:
    found = set()
    for rule in (ids.HEPATIC_INTERRUPT, ids.HEPATIC_SEVERE_LABS, ids.HEPATIC_PRETREATMENT_LIMITS):
        found |= {rule_number(rule, "bilirubin_x_uln"), rule_number(rule, "transaminase_x_uln")}
    return tuple(sorted(found))


_VALUES = _lab_value(_limits())
LABS = st.builds(lambda bili, ast, alt: Labs(None, None, bili, ast, alt), _VALUES, _VALUES, _VALUES)


@settings(max_examples=600, deadline=None)
@given(LABS, st.booleans())
def test_liver_predicates_equal_their_first_form(labs: Labs, waived: bool) -> None:
    assert hepatic_state(labs) == _old_hepatic_state(labs)
    assert severe_tests(labs, waived) == _old_severe_tests(labs, waived)
    assert severe_tests(labs) == _old_severe_tests(labs)


def test_liver_predicates_on_the_limits() -> None:
    """The worked boundaries: hepatic.interrupt's limits themselves are not above them."""
    bili, amin = (
        rule_number(ids.HEPATIC_INTERRUPT, n) for n in ("bilirubin_x_uln", "transaminase_x_uln")
    )
    at = Labs(None, None, LabValue(bili, 1.0), LabValue(amin, 1.0), None)
    above = Labs(None, None, LabValue(math.nextafter(bili, 9), 1.0), LabValue(amin * 2, 1.0), None)
    assert hepatic_state(at) == "recovered" == _old_hepatic_state(at)
    assert hepatic_state(above) == "interrupt" == _old_hepatic_state(above)
    nan = Labs(None, None, LabValue(math.nan, 1.0), None, None)
    assert hepatic_state(nan) is None is _old_hepatic_state(nan)  # neither high nor within


# ------------------------------------------------------------------ documents


def _documents() -> list[CourseDocument]:
    raws: list[Any] = [load_case(p)["request"] for p in case_files()]
    high = {"bilirubin": {"value": 3.0, "uln": 1.2}, "ast": {"value": 150, "uln": 40}}
    normal = {"bilirubin": {"value": 0.6, "uln": 1.2}, "ast": {"value": 30, "uln": 40}}
    for today in ("2026-05-04", "2026-05-11", "2026-05-20", "2026-06-01"):
        c1 = b.full_cycle(1, "2026-05-04")
        raws.append(b.course(c1, today=today))
        raws.append(b.course([*c1, b.toxicity("2026-05-06", "2026-05-15")], today=today))
        liver_first = [
            {"type": "labs", "date": "2026-05-05", **high},
            b.toxicity("2026-05-06", None),
        ]
        raws.append(b.course([*c1, *liver_first], today=today))  # episodes out of start order
        raws.append(b.course([*c1, b.toxicity("2026-05-06", None, grade=4)], today=today))
        raws.append(b.course([b.toxicity("2026-05-01", None, grade=3), *c1], today=today))
        for first, second in ((high, normal), (high, high), (normal, high)):
            labs = [
                {"type": "labs", "date": "2026-05-07", **first},
                {"type": "labs", "date": "2026-05-09", **second},
            ]
            raws.append(b.course([*c1, *labs], today=today))
            raws.append(
                b.course(
                    [*c1, *labs],
                    today=today,
                    today_liver_abnormality_from_gilbert_or_hemolysis=True,
                )
            )
        ended = [
            b.toxicity("2026-05-06", None, grade=4, category="hepatic"),
            {"type": "discontinued", "date": "2026-05-06", "reason": "patient's wish"},
            b.toxicity("2026-05-06", "2026-05-07", grade=4, category="infusion_reaction"),
        ]
        day1 = c1[:2]  # no event may follow the discontinuation
        raws.append(b.course([*day1, ended[0], ended[2], ended[1]], today=today))
        raws.append(b.course([*day1, ended[0], ended[1]], today=today, today_vod=True))
        responses = [b.response("2026-05-20", "CR"), b.response("2026-05-27", "none")]
        raws.append(b.course([*c1, *responses], today=today))
        raws.append(b.course(c1, today=today, birth_date="2008-" + today[5:]))
    docs = []
    for raw in raws:
        try:
            docs.append(parse_course(raw))
        except (InputError, KeyError, TypeError):
            continue
    return docs


DOCS = _documents()


def test_the_documents_hold_what_the_rewrites_read() -> None:
    assert len(DOCS) > 200
    assert sum(1 for d in DOCS if len(_old_interruption_episodes(d)) > 1) > 5
    assert sum(1 for d in DOCS if len(_old_stops(d)) > 1) > 0
    assert any(hepatic_waived(d) and _hepatic_episodes(d) for d in DOCS)
    assert sum(1 for d in DOCS if d.of_type("response")) > 10


def _states(doc: CourseDocument) -> list[CourseState]:
    try:
        return [build_course(doc)]
    except InputError:
        return []


@pytest.mark.parametrize("doc", DOCS)
def test_document_readings_equal_their_first_form(doc: CourseDocument) -> None:
    today = doc.today.date
    days = sorted({e.date for e in doc.events} | {today})
    for since in [None, *days]:
        for until in days:
            assert latest_liver(doc, since, until) == _old_latest_liver(doc, since, until)
    assert pretreatment_above_limits(doc) == _old_pretreatment_above_limits(doc)
    assert interruption_episodes(doc) == _old_interruption_episodes(doc)
    assert stops(doc) == _old_stops(doc)
    for state in _states(doc):
        assert state.today == today
        assert list(state.responses()) == _old_responses(state)
        for day in [None, *days]:
            old = _old_responses(state, day)
            assert list(state.responses(day)) == old
            assert state.latest_response(day) == (old[-1] if old else None)
            assert state.active_episodes(day or today) == _old_active_episodes(state, day or today)
        assert state.ever_cr() == any(e.status in RESPONDED for e in _old_responses(state))


def _age_cases() -> list[tuple[dt.date, dt.date]]:
    """(birth, today) around the birthday of the protocol's age: the day before, of and
    after, on several days of the year, and born on 29 February (birthday 28 February
    in a year that is not a leap year)."""
    years = rule_integer(ids.DATA_AGE_BELOW_INDICATED, "min_age_years")
    cases = []
    for today in ("2026-05-11", "2026-03-01", "2025-12-31", "2028-02-29", "2026-01-01"):
        day = dt.date.fromisoformat(today)
        for delta in (-1, 0, 1):
            birth = review._birthday(day, -years) + dt.timedelta(days=delta)
            cases += [(birth, day), (birth.replace(year=birth.year - 1), day)]
            cases += [(birth.replace(year=birth.year + 1), day)]
    leap = next(
        y for y in range(2000, 2100) if calendar.isleap(y) and not calendar.isleap(y + years)
    )
    for month, dom in ((2, 27), (2, 28), (3, 1)):
        cases.append((dt.date(leap, 2, 29), dt.date(leap + years, month, dom)))
    return cases


@pytest.mark.parametrize(("birth", "today"), _age_cases())
def test_age_check_by_year_first(birth: dt.date, today: dt.date) -> None:
    """data.age_below_indicated: the year-difference shortcut answers as the birthday does."""
    years = rule_integer(ids.DATA_AGE_BELOW_INDICATED, "min_age_years")
    doc: Any = SimpleNamespace(
        patient=SimpleNamespace(birth_date=birth), today=SimpleNamespace(date=today)
    )
    assert bool(review._age(doc)) == (today < review._birthday(birth, years))
