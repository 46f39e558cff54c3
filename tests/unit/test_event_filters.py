"""Issue 13: the walk and the rules read a type's events through `CourseDocument.of_type`
and stop scanning once the events (in date order) are before today. Each reading here is
compared with the full scan it replaced, on every rule fixture's course document and on
builder courses (labs, toxicities, cycle starts and doses on today and before it)."""

from __future__ import annotations

from typing import Any

import pytest
from tests import builders as b
from tests.rules.fixture_loader import case_files, load_case

from inocds.clinical.course import _Walker, build_course
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.gates import counts_today
from inocds.clinical.rules.episodes import _toxicity_episode, interruption_episodes
from inocds.clinical.rules.hepatic import liver_series
from inocds.clinical.validation import InputError
from inocds.protocol.loader import rule_integer


def _documents() -> list[CourseDocument]:
    raws: list[Any] = [load_case(p)["request"] for p in case_files()]
    labs = {"anc_per_mm3": 800, "platelets_per_mm3": 60000}
    for today in ("2026-05-04", "2026-05-11", "2026-06-01"):
        raws.append(b.course(b.full_cycle(1, "2026-05-04"), today=today))
        held = [*b.full_cycle(1, "2026-04-06"), b.toxicity("2026-04-10", "2026-04-20")]
        raws.append(b.course(held, today=today))
        today_labs = [*b.full_cycle(1, "2026-04-06"), {"type": "labs", "date": today, **labs}]
        raws.append(b.course(today_labs, today=today, labs={}))  # the counts from the event
    docs = []
    for raw in raws:
        try:
            docs.append(parse_course(raw))
        except (InputError, KeyError, TypeError):
            continue
    return docs


DOCS = _documents()


def test_the_corpus_holds_what_the_filters_read() -> None:
    assert len(DOCS) > 100
    assert any(d.of_type("toxicity") for d in DOCS)
    assert any(
        e.date == d.today.date and e.labs and d.today.labs.anc_per_mm3 is None
        for d in DOCS
        for e in d.events
    )


@pytest.mark.parametrize("doc", DOCS)
def test_filtered_reads_equal_the_full_scans(doc: CourseDocument) -> None:
    labs = [(e.date, e.labs) for e in doc.events if e.type == "labs" and e.labs is not None]
    assert liver_series(doc) == [*labs, (doc.today.date, doc.today.labs)]

    walker = _Walker(doc)
    kinds = ("cycle_start", "dose")
    first = min([e.date for e in doc.events if e.type in kinds], default=None)
    assert walker.start == (first or doc.today.date)
    by_day: dict[Any, list[Any]] = {}
    for e in doc.events:
        if e.type in kinds:
            by_day.setdefault(e.date, []).append(e)
    assert walker.events_by_day == by_day and walker.event_days == sorted(by_day)

    today = doc.today
    anc, plt = today.labs.anc_per_mm3, today.labs.platelets_per_mm3
    for e in reversed(doc.events):
        if e.date == today.date and e.labs is not None and e.type in ("labs", "cycle_start"):
            anc = anc if anc is not None else e.labs.anc_per_mm3
            plt = plt if plt is not None else e.labs.platelets_per_mm3
    assert counts_today(build_course(doc)) == (anc, plt)

    interrupting = rule_integer("nonheme.grade2", "interrupting_grade")
    severe = rule_integer("nonheme.bleeding_infection", "severe_grade")
    severe_liver = rule_integer("hepatic.vod", "severe_grade")
    toxic = [
        _toxicity_episode(e, severe, severe_liver)
        for e in doc.events
        if e.type == "toxicity" and (e.grade or 0) >= interrupting
    ]
    expected = [x for x in toxic if x is not None]
    found = interruption_episodes(doc)
    assert [x for x in found if x in expected] == sorted(expected, key=lambda x: x.start)
