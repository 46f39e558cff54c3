"""The engine's per-process caches give the answers the uncached code gives (issue 13).

Protocol data is immutable, so the count-gate limits are read once per process, and a
frozen course document groups its events by type once.
Each test compares the cached value with the same computation done afresh.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inocds.clinical import assess
from inocds.clinical.assess import Decision
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.dose import dose_mg, rounded_bsa_m2
from inocds.clinical.reasons import cite
from inocds.clinical.rules import heme
from inocds.clinical.rules.ids import HEME_ANC_GATE, HEME_PLATELET_GATE
from inocds.clinical.types import built, replaced
from inocds.protocol.loader import ProtocolError, load_protocol, rule_integer, rule_number
from inocds.protocol.schema import BSA_FORMULAS

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_cached_count_limits_are_the_protocol_numbers() -> None:
    """heme gate limits: (anc, platelets) as the protocol states them."""
    p = load_protocol()
    expected = (
        p[HEME_ANC_GATE].number("anc_per_mm3"),
        p[HEME_PLATELET_GATE].number("platelets_per_mm3"),
    )
    assert heme._limits() == expected


def test_events_by_type_equal_a_fresh_filter() -> None:
    """of_type (grouped once per document) equals filtering the sorted events each time,
    on the benchmark's 6-cycle course (every event type but 'discontinued')."""
    sys.path.insert(0, str(BENCH))
    try:
        from assess_bench import six_cycle_course
    finally:
        sys.path.remove(str(BENCH))
    doc = parse_course(six_cycle_course())
    kinds = {e.type for e in doc.events} | {"discontinued"}
    for kind in kinds:
        assert doc.of_type(kind) == tuple(e for e in doc.events if e.type == kind)
    assert sum(len(doc.of_type(kind)) for kind in kinds) == len(doc.events)
    # parse_course sets the grouping itself: it equals what the cached_property computes
    assert doc.__dict__["_by_type"] == CourseDocument._by_type.func(doc)


def test_cached_regimens_equal_a_fresh_computation() -> None:
    """cycle_regimen is lru-cached (a frozen value): for every cycle the protocol allows
    (1..6), response and level, the cached regimen equals one computed afresh
    (`__wrapped__`), e.g. cycle 2, no CR, full: days 1/8/15 at 0.5 mg/m2 each."""
    from inocds.clinical.rules.regimen import cycle_regimen
    from inocds.clinical.types import DOSE_LEVELS

    for cycle in range(1, 7):
        for cr in (False, True):
            for level in DOSE_LEVELS:
                cached = cycle_regimen(cycle, cr, level)
                assert cached == cycle_regimen.__wrapped__(cycle, cr, level)
                assert cycle_regimen(cycle, cr, level) is cached


def test_cached_reduction_levels_equal_a_fresh_computation() -> None:
    """level_for_interruptions is lru-cached: 0..4 spans of >= 14 days give the same level
    as a fresh computation (0 -> full, 1 -> reduced_25, 2 -> two_doses, 3 -> None)."""
    from inocds.clinical.rules.reduction import level_for_interruptions

    expected = {0: "full", 1: "reduced_25", 2: "two_doses", 3: None}
    for count in range(5):
        assert level_for_interruptions(count) == level_for_interruptions.__wrapped__(count)
    assert {n: level_for_interruptions(n) for n in expected} == expected


def test_numbers_read_once_equal_the_rules_params() -> None:
    """rule_number / rule_integer (read once per process) equal each rule's own accessor,
    for every numeric parameter of every rule; a non-integer refuses as Rule.integer does."""
    checked = 0
    for rule in load_protocol().all():
        for name, value in rule.params.items():
            if isinstance(value, bool) or not isinstance(value, int | float):
                continue
            assert repr(rule_number(rule.id, name)) == repr(rule.number(name))
            if isinstance(value, int):
                assert repr(rule_integer(rule.id, name)) == repr(rule.integer(name))
            else:
                with pytest.raises(ProtocolError):
                    rule_integer(rule.id, name)
            checked += 1
    assert checked > 50


def test_sources_read_once_equal_the_rules_sources() -> None:
    """cite() takes each rule's source from a per-process table: the protocol's own."""
    for rule in load_protocol().all():
        assert cite(rule.id, "m").source == rule.source
    with pytest.raises(ProtocolError):
        cite("no.such_rule", "m")


def test_replaced_equals_dataclasses_replace() -> None:
    """types.replaced (assess's copy with changes) gives what dataclasses.replace gives:
    equal, same repr and hash, same fields in the same order; an unknown field is refused."""
    decision = Decision("give", 1, 8, "full", 21, 1.68, 0.5, 0.84, None, False, (), ())
    for changes in ({}, {"action": "omit", "day": 15}, {"warnings": ({"code": "x"},)}):
        ours, theirs = replaced(decision, **changes), dataclasses.replace(decision, **changes)
        assert ours == theirs and repr(ours) == repr(theirs)
        assert list(vars(ours).items()) == list(vars(theirs).items())
    assert hash(replaced(decision)) == hash(decision)
    with pytest.raises(AssertionError):
        replaced(decision, actoin="omit")
    assert not hasattr(Decision, "__post_init__")


def test_built_equals_the_constructor() -> None:
    """types.built (parse_course's patient, today and document) makes what the dataclass's
    own __init__ makes: equal, same repr, same fields in order; a missing field is refused."""
    doc = parse_course(_six_cycle_course())
    for value in (doc.patient, doc.today, doc):
        fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
        ours, theirs = built(type(value), **fields), type(value)(**fields)
        assert ours == theirs and repr(ours) == repr(theirs)
        assert list(vars(ours).items()) == list(vars(theirs).items())
        assert not hasattr(type(value), "__post_init__")
    with pytest.raises(AssertionError):
        built(type(doc), patient=doc.patient, events=doc.events)


def _six_cycle_course() -> dict[str, object]:
    sys.path.insert(0, str(BENCH))
    try:
        from assess_bench import six_cycle_course
    finally:
        sys.path.remove(str(BENCH))
    course: dict[str, object] = six_cycle_course()
    return course


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.integers(30, 250), st.floats(30, 250)),
    st.one_of(st.integers(1, 350), st.floats(1, 350)),
    st.sampled_from([0.8, 0.5, 0.375, 0.25, 0.6, 1, 0.3333]),
)
def test_memoised_bsa_and_mg_equal_the_arithmetic(
    height: float, weight: float, amount: float
) -> None:
    """assess's per-patient memos (BSA, mg) answer what the decimal arithmetic answers, an
    int and an equal float kept apart (typed keys)."""
    for formula in BSA_FORMULAS:
        bsa = assess._rounded_bsa(height, weight, formula)
        assert repr(bsa) == repr(rounded_bsa_m2(height, weight, formula))
        assert repr(assess.dose_mg_for(amount, bsa)) == repr(float(dose_mg(bsa, amount)))
        assert repr(assess.dose_mg_for(amount, bsa)) == repr(
            assess.dose_mg_for.__wrapped__(amount, bsa)
        )
