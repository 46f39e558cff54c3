"""A whole six-cycle course replayed day by day against a table written by hand from the label.

The course (no transplant planned; pretreatment ANC 1500/mm3 and platelets 70000/mm3, so the
blood-count gates are the plain ANC >= 1000 and platelets >= 50000 ones; BSA 1.68 m2):

- cycle 1 (21 days) with a day 8 dose delayed by a 3-day interruption (< 7 days);
- CR on 2026-01-23, so every later cycle is 0.5 mg/m2 on days 1, 8 and 15 over 28 days;
- cycle 2 held 3 days for a low ANC (hematologic hold), then its day 8 dose omitted after a
  7-day interruption (>= 7 days);
- cycle 4 held 14 days by a toxicity: the first interruption of >= 14 days, so cycle 4 and later
  are reduced by a quarter (0.375 mg/m2 per dose);
- cycle 5 day 15 interrupted 7 days and omitted, the toxicity then holding cycle 6 until a 16-day
  interruption ends: the second one of >= 14 days, so cycle 6 gives days 1 and 8 only;
- after cycle 6's last dose the course is complete (at most 6 cycles without transplant).

Each day D is assessed as the team would on the morning of D: with the doses and cycle starts
recorded before D, the toxicities known on D (a resolution date shown only once it is reached)
and the responses reported up to D. The doses are recorded on their scheduled days (the engine
may say `give` already on the first day of the window).

Dates used below (day n of a cycle starting on S is S + n - 1):
    cycle 1 starts 2026-01-05: day 8 = 2026-01-12, day 15 = 2026-01-19
    cycle 2 due 2026-01-26 = 2026-01-05 + 21, held, starts 2026-01-29:
        day 8 = 2026-02-05, day 15 = 2026-02-12
    cycle 3 due and starts 2026-02-26 = 2026-01-29 + 28: day 8 = 2026-03-05, day 15 = 2026-03-12
    cycle 4 due 2026-03-26 = 2026-02-26 + 28, held, starts 2026-04-09:
        day 8 = 2026-04-16, day 15 = 2026-04-23
    cycle 5 due and starts 2026-05-07 = 2026-04-09 + 28: day 8 = 2026-05-14, day 15 = 2026-05-21
    cycle 6 due 2026-06-04 = 2026-05-07 + 28, held, starts 2026-06-05: day 8 = 2026-06-12
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any, NamedTuple

import pytest
from tests.builders import NORMAL_LABS, course, dose, response, start, toxicity

from inocds.clinical.assess import assess_course
from inocds.clinical.documents import parse_course

# ------------------------------------------------------------------ the course as it happened

# Doses as given (date, cycle, day, mg/m2) and the cycle starts with that day's counts.
DOSES: list[tuple[str, int, int, float]] = [
    ("2026-01-05", 1, 1, 0.8),
    ("2026-01-14", 1, 8, 0.5),  # delayed by toxicity A
    ("2026-01-20", 1, 15, 0.5),  # not before 2026-01-14 + 6
    ("2026-01-29", 2, 1, 0.5),  # after the hematologic hold; CR => 0.5
    # cycle 2 day 8 omitted on 2026-02-11
    ("2026-02-12", 2, 15, 0.5),
    ("2026-02-26", 3, 1, 0.5),
    ("2026-03-05", 3, 8, 0.5),
    ("2026-03-12", 3, 15, 0.5),
    ("2026-04-09", 4, 1, 0.375),  # after the 14-day hold: 0.5 x 0.75
    ("2026-04-16", 4, 8, 0.375),
    ("2026-04-23", 4, 15, 0.375),
    ("2026-05-07", 5, 1, 0.375),
    ("2026-05-14", 5, 8, 0.375),
    # cycle 5 day 15 omitted on 2026-05-27
    ("2026-06-05", 6, 1, 0.375),  # two doses per cycle, at the reduced amount
    ("2026-06-12", 6, 8, 0.375),
]
STARTS: list[tuple[int, str, float]] = [
    (1, "2026-01-05", 1500),
    (2, "2026-01-29", 1100),
    (3, "2026-02-26", 1600),
    (4, "2026-04-09", 1600),
    (5, "2026-05-07", 1600),
    (6, "2026-06-05", 1600),
]
# Non-hematologic grade 2 toxicities (onset, resolved): dosing may resume on the resolved date.
TOXICITIES: list[tuple[str, str]] = [
    ("2026-01-10", "2026-01-14"),  # A: blocks cycle 1 day 8 from 01-11 to 01-14 (3 days)
    ("2026-02-03", "2026-02-12"),  # B: blocks cycle 2 day 8 from 02-04, omitted on 02-11
    ("2026-03-20", "2026-04-09"),  # C: holds cycle 4 from 03-26 to 04-09 (14 days)
    ("2026-05-18", "2026-06-05"),  # D: cycle 5 day 15 from 05-20, then cycle 6, to 06-05 (16 days)
]
RESPONSE_DATE = "2026-01-23"
LOW_ANC_DAYS = {"2026-01-26", "2026-01-27", "2026-01-28"}  # ANC 700/mm3 on these mornings


def _on(date: str) -> dict[str, Any]:
    """The course document the team holds on the morning of `date`."""
    events: list[dict[str, Any]] = []
    for number, first, anc in STARTS:
        if first < date:
            events.append(start(number, first, anc=anc))
    for when, number, day_, amount in DOSES:
        if when < date:
            events.append(dose(number, day_, when, amount))
    for onset, resolved in TOXICITIES:
        if onset <= date:
            events.append(toxicity(onset, resolved if resolved <= date else None))
    if date >= RESPONSE_DATE:
        events.append(response(RESPONSE_DATE, "CR", "positive", cycle=1))
    labs = copy.deepcopy(NORMAL_LABS)
    if date in LOW_ANC_DAYS:
        labs["anc_per_mm3"] = 700
    return course(events, today=date, labs=labs)


# ------------------------------------------------------------------ the expected table


class Row(NamedTuple):
    """Expected answer on every day from `first` to `last` (inclusive)."""

    first: str
    last: str
    action: str
    cycle: int | None
    day: int | None
    dose_mg_per_m2: float | None
    dose_level: str | None
    rules: frozenset[str] = frozenset()  # rule ids that must be among the reasons


def _r(*ids: str) -> frozenset[str]:
    return frozenset(ids)


F, R25, TWO = "full", "reduced_25", "two_doses"

EXPECTED: list[Row] = [
    # ---- cycle 1: 21 days, 0.8 / 0.5 / 0.5 (regimen.cycle1)
    Row("2026-01-05", "2026-01-05", "give", 1, 1, 0.8, F, _r("regimen.cycle1", "premedication")),
    # day 8 (2026-01-12) window opens 01-10 = 01-12 - 2, but 6 days after day 1 = 01-11.
    Row("2026-01-06", "2026-01-10", "none_due", 1, 8, None, F),  # toxicity A starts 01-10
    # A (grade 2) interrupts day 8 from 01-11; resolved 01-14 after 3 days (< 7): delay.
    Row(
        "2026-01-11", "2026-01-13", "delay", 1, 8, None, F, _r("nonheme.grade2", "interruption.lt7")
    ),
    Row("2026-01-14", "2026-01-14", "give", 1, 8, 0.5, F),
    # day 15 (2026-01-19): window 01-17..01-21, but 6 days after 01-14 = 01-20.
    Row("2026-01-15", "2026-01-19", "none_due", 1, 15, None, F, _r("schedule.min_interval")),
    Row("2026-01-20", "2026-01-20", "give", 1, 15, 0.5, F),
    # ---- cycle 2 due 2026-01-26 = 01-05 + 21 (and 01-20 + 6 = 01-26); CR on 01-23 => 0.5 x 3.
    Row("2026-01-21", "2026-01-25", "none_due", 2, 1, None, F),
    # ANC 700 < 1000 with pretreatment ANC 1500 >= 1000: the next cycle waits (hold).
    Row("2026-01-26", "2026-01-28", "hold", 2, 1, None, F, _r("heme.anc_gate")),
    # ANC 1100 on 01-29: cycle 2 starts, CR regimen 0.5 mg/m2 on days 1, 8, 15 over 28 days.
    Row("2026-01-29", "2026-01-29", "give", 2, 1, 0.5, F, _r("regimen.subsequent_cr")),
    # day 8 (2026-02-05): window from 02-03, 6 days after 01-29 = 02-04.
    Row("2026-01-30", "2026-02-03", "none_due", 2, 8, None, F),
    # toxicity B (onset 02-03) interrupts day 8 from 02-04: 0..6 days => delay ...
    Row("2026-02-04", "2026-02-10", "delay", 2, 8, None, F, _r("interruption.lt7")),
    # ... 7 days on 02-11 = 02-04 + 7 => day 8 omitted for good.
    Row("2026-02-11", "2026-02-11", "omit", 2, 8, None, F, _r("interruption.ge7")),
    # B resolved 02-12 = day 15 (window from 02-10, 6 days after 01-29 long passed): give.
    # The interruption ran 02-04..02-12 = 8 days: no reduction.
    Row("2026-02-12", "2026-02-12", "give", 2, 15, 0.5, F),
    # ---- cycle 3 due 2026-02-26 = 01-29 + 28.
    Row("2026-02-13", "2026-02-25", "none_due", 3, 1, None, F),
    Row("2026-02-26", "2026-02-26", "give", 3, 1, 0.5, F),
    # day 8 (03-05): window from 03-03, 6 days after 02-26 = 03-04; given on its day 03-05.
    Row("2026-02-27", "2026-03-03", "none_due", 3, 8, None, F),
    Row("2026-03-04", "2026-03-05", "give", 3, 8, 0.5, F),
    # day 15 (03-12): window from 03-10, 6 days after 03-05 = 03-11; given on its day 03-12.
    Row("2026-03-06", "2026-03-10", "none_due", 3, 15, None, F),
    Row("2026-03-11", "2026-03-12", "give", 3, 15, 0.5, F),
    # ---- cycle 4 due 2026-03-26 = 02-26 + 28; toxicity C from 03-20 (nothing due until 03-26).
    Row("2026-03-13", "2026-03-25", "none_due", 4, 1, None, F),
    # C holds cycle 4 from 03-26; the interruption reaches 14 days only on 04-09 = 03-26 + 14,
    # so until then the cycle would still start at the full level.
    Row("2026-03-26", "2026-04-08", "hold", 4, 1, None, F, _r("nonheme.grade2")),
    # C resolved 04-09 after 14 days (>= 14): first reduction, every dose x 0.75 = 0.375.
    Row("2026-04-09", "2026-04-09", "give", 4, 1, 0.375, R25, _r("reduction.level1")),
    # day 8 (04-16): window from 04-14, 6 days after 04-09 = 04-15; given 04-16.
    Row("2026-04-10", "2026-04-14", "none_due", 4, 8, None, R25),
    Row("2026-04-15", "2026-04-16", "give", 4, 8, 0.375, R25),
    # day 15 (04-23): window from 04-21, 6 days after 04-16 = 04-22; given 04-23.
    Row("2026-04-17", "2026-04-21", "none_due", 4, 15, None, R25),
    Row("2026-04-22", "2026-04-23", "give", 4, 15, 0.375, R25),
    # ---- cycle 5 due 2026-05-07 = 04-09 + 28; never re-escalated.
    Row("2026-04-24", "2026-05-06", "none_due", 5, 1, None, R25),
    Row("2026-05-07", "2026-05-07", "give", 5, 1, 0.375, R25, _r("reduction.no_reescalation")),
    # day 8 (05-14): window from 05-12, 6 days after 05-07 = 05-13; given 05-14.
    Row("2026-05-08", "2026-05-12", "none_due", 5, 8, None, R25),
    Row("2026-05-13", "2026-05-14", "give", 5, 8, 0.375, R25),
    # day 15 (05-21): window from 05-19, 6 days after 05-14 = 05-20; toxicity D from 05-18.
    Row("2026-05-15", "2026-05-19", "none_due", 5, 15, None, R25),
    # D interrupts day 15 from 05-20: 0..6 days => delay ...
    Row("2026-05-20", "2026-05-26", "delay", 5, 15, None, R25, _r("interruption.lt7")),
    # ... 7 days on 05-27 = 05-20 + 7 => day 15 omitted for good.
    Row("2026-05-27", "2026-05-27", "omit", 5, 15, None, R25, _r("interruption.ge7")),
    # cycle 6 due 2026-06-04 = 05-07 + 28. The open interruption (from 05-20) is under 14 days
    # until 06-02 (13 days), so cycle 6 would still be at reduced_25 ...
    Row("2026-05-28", "2026-06-02", "none_due", 6, 1, None, R25),
    # ... and reaches 14 days on 06-03 = 05-20 + 14: the second reduction (two doses).
    Row("2026-06-03", "2026-06-03", "none_due", 6, 1, None, TWO),
    Row("2026-06-04", "2026-06-04", "hold", 6, 1, None, TWO, _r("interruption.ge14")),
    # D resolved 06-05 after 16 days: cycle 6 at two doses (days 1 and 8) x 0.75 = 0.375.
    Row("2026-06-05", "2026-06-05", "give", 6, 1, 0.375, TWO, _r("reduction.level2")),
    # day 8 (06-12): window from 06-10, 6 days after 06-05 = 06-11; given 06-12.
    Row("2026-06-06", "2026-06-10", "none_due", 6, 8, None, TWO),
    Row("2026-06-11", "2026-06-12", "give", 6, 8, 0.375, TWO),
    # ---- cycle 6 was the last allowed without transplant and its last dose (day 8) is given.
    Row("2026-06-13", "2026-06-30", "complete", 6, None, None, None, _r("duration.max_6")),
]


def _days() -> list[tuple[str, Row]]:
    out: list[tuple[str, Row]] = []
    for row in EXPECTED:
        d = dt.date.fromisoformat(row.first)
        while d <= dt.date.fromisoformat(row.last):
            out.append((d.isoformat(), row))
            d += dt.timedelta(days=1)
    return out


DAYS = _days()


def test_table_covers_every_day_once() -> None:
    """The expected table runs from the first dose to the end without gaps or overlaps."""
    dates = [d for d, _ in DAYS]
    first, last = dt.date.fromisoformat(dates[0]), dt.date.fromisoformat(dates[-1])
    assert dates == [
        (first + dt.timedelta(days=i)).isoformat() for i in range((last - first).days + 1)
    ]


def test_history_is_internally_consistent() -> None:
    """Each recorded dose was a `give` in the table on its date, at the tabled amount."""
    table = dict(DAYS)
    for when, number, day_, amount in DOSES:
        row = table[when]
        assert (row.action, row.cycle, row.day, row.dose_mg_per_m2) == (
            "give",
            number,
            day_,
            amount,
        )


@pytest.mark.parametrize(("date", "row"), DAYS, ids=[d for d, _ in DAYS])
def test_replay_day(date: str, row: Row) -> None:
    """The engine's answer on each day of the course matches the hand-written table."""
    decision = assess_course(parse_course(_on(date)))
    amount = decision.dose_mg_per_m2
    got = (
        decision.action,
        decision.cycle,
        decision.day,
        None if amount is None else round(amount, 6),
        decision.dose_level,
    )
    want = (row.action, row.cycle, row.day, row.dose_mg_per_m2, row.dose_level)
    assert got == want, f"{date}: {decision.to_dict()}"
    cited = {r.rule for r in decision.reasons}
    assert row.rules <= cited, f"{date}: missing {sorted(row.rules - cited)} in {sorted(cited)}"
    if row.action == "give":
        assert decision.dose_mg == pytest.approx(round(row.dose_mg_per_m2 * 1.68, 2))


# ------------------------------------------------------------------ focused cases
# Two shorter courses, found by the property tests, where only the interruption rules are at
# stake. Same conventions: each day is assessed before that day's dose is recorded.


def _known_on(events: list[dict[str, Any]], date: str) -> list[dict[str, Any]]:
    """Events recorded before `date` (toxicities from their onset, resolution once reached)."""
    out = []
    for e in events:
        if e["type"] == "toxicity":
            if e["onset"] <= date:
                out.append({**e, "resolved": e["resolved"] if e["resolved"] <= date else None})
        elif e["date"] < date or (e["type"] == "response" and e["date"] == date):
            out.append(e)
    return out


def _answer(events: list[dict[str, Any]], date: str) -> tuple[Any, ...]:
    d = assess_course(parse_course(course(_known_on(events, date), today=date)))
    amount = None if d.dose_mg_per_m2 is None else round(d.dose_mg_per_m2, 6)
    return (d.action, d.cycle, d.day, amount, d.dose_level)


# Cycle 1 from 2026-01-05 on its days, CR on 2026-01-23; cycle 2 due 2026-01-26 = 01-05 + 21.
_CYCLE1 = [
    start(1, "2026-01-05"),
    dose(1, 1, "2026-01-05", 0.8),
    dose(1, 8, "2026-01-12", 0.5),
    dose(1, 15, "2026-01-19", 0.5),
    response("2026-01-23", "CR", "positive", cycle=1),
]


def test_short_hold_does_not_reduce_the_dose() -> None:
    """A 4-day hold of cycle 2 by a toxicity is no interruption of >= 14 days: no reduction."""
    events = [
        *_CYCLE1,
        # grade 2 toxicity 01-24..01-30: cycle 2 held 01-26..01-29, 4 days (01-30 - 01-26)
        toxicity("2026-01-24", "2026-01-30"),
        start(2, "2026-01-30"),
        dose(2, 1, "2026-01-30", 0.5),
        dose(2, 8, "2026-02-06", 0.5),  # 01-30 + 7
        dose(2, 15, "2026-02-13", 0.5),  # 01-30 + 14
    ]
    assert _answer(events, "2026-01-29") == ("hold", 2, 1, None, "full")
    assert _answer(events, "2026-01-30") == ("give", 2, 1, 0.5, "full")
    # 4 days < 14: the whole of cycle 2 and the next cycles stay at the full CR dose.
    assert _answer(events, "2026-02-13") == ("give", 2, 15, 0.5, "full")
    # cycle 3 due 2026-02-27 = 01-30 + 28
    assert _answer(events, "2026-02-27") == ("give", 3, 1, 0.5, "full")


def test_interruption_ends_when_the_toxicity_resolves() -> None:
    """An 8-day interruption that omits day 15 does not reduce the next cycle."""
    events = [
        *_CYCLE1,
        start(2, "2026-01-26"),
        dose(2, 1, "2026-01-26", 0.5),
        dose(2, 8, "2026-02-02", 0.5),  # 01-26 + 7
        # day 15 (02-09) due from 02-08 (02-02 + 6; 02-09 - 2 = 02-07 is too soon);
        # grade 2 toxicity 02-06..02-16 blocks it from 02-08: omitted on 02-15 = 02-08 + 7.
        toxicity("2026-02-06", "2026-02-16"),
    ]
    assert _answer(events, "2026-02-14") == ("delay", 2, 15, None, "full")
    # recovered on 02-16: the interruption ran 02-08..02-16 = 8 days (< 14).
    # cycle 3 due 2026-02-23 = 01-26 + 28: full CR dose.
    assert _answer(events, "2026-02-23") == ("give", 3, 1, 0.5, "full")


def test_one_day_hold_keeps_the_level_and_the_history_valid() -> None:
    """After one reduction, a 1-day hold neither reduces again nor voids the doses given."""
    events = [
        *_CYCLE1,
        # cycle 2 due 01-26, held by a grade 2 toxicity until 02-09: 14 days (02-09 - 01-26),
        # the first reduction: 0.5 x 0.75 = 0.375 from cycle 2 on.
        toxicity("2026-01-25", "2026-02-09"),
        start(2, "2026-02-09"),
        dose(2, 1, "2026-02-09", 0.375),
        dose(2, 8, "2026-02-16", 0.375),
        dose(2, 15, "2026-02-23", 0.375),
        # cycle 3 due 03-09 = 02-09 + 28, held 1 day (toxicity 03-08..03-10): no new reduction.
        toxicity("2026-03-08", "2026-03-10"),
        start(3, "2026-03-10"),
        dose(3, 1, "2026-03-10", 0.375),
        # day 8 (03-17): window from 03-15, 6 days after 03-10 = 03-16
        dose(3, 8, "2026-03-16", 0.375),
        # day 15 (03-24): window from 03-22, 6 days after 03-16 = 03-22
        dose(3, 15, "2026-03-22", 0.375),
    ]
    assert _answer(events, "2026-03-09") == ("hold", 3, 1, None, "reduced_25")
    assert _answer(events, "2026-03-10") == ("give", 3, 1, 0.375, "reduced_25")
    assert _answer(events, "2026-03-22") == ("give", 3, 15, 0.375, "reduced_25")
    # cycle 4 due 04-07 = 03-10 + 28; the day 15 dose given as told stays valid history.
    assert _answer(events, "2026-03-23") == ("none_due", 4, 1, None, "reduced_25")
    assert _answer(events, "2026-04-07") == ("give", 4, 1, 0.375, "reduced_25")
