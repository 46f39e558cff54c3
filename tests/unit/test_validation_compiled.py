"""The compiled validators (clinical.validation_compiled) against the interpreter they
stand in for (clinical.validation.validate): for every document, the same cleaned value
with the same types, or the same refusal, field by field, in the same order."""

from __future__ import annotations

import copy
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.rules.fixture_loader import case_files, load_case

from inocds.clinical.document_spec import course_spec
from inocds.clinical.validation import (
    Bool,
    Choice,
    Date,
    Enum,
    InputError,
    ListOf,
    Num,
    Spec,
    Text,
    Timestamp,
    Union,
    validate,
)
from inocds.clinical.validation_compiled import Refused, compiled
from inocds.clinical.validation_source import validator, written_out

_ODD = [
    None,
    True,
    False,
    0,
    -1,
    1,
    2,
    7,
    8,
    8.0,
    15,
    0.5,
    1.5,
    12.0,
    1e9,
    2**70,
    -0.0,
    math.nan,
    math.inf,
    -math.inf,
    "",
    " ",
    "x",
    "CR",
    "dose",
    "2026-05-04",
    "2026-13-01",
    "2026-W19-1",
    "2026-05-04T10:00:00+00:00",
    "2026-05-04T10:00:00",
    [],
    [1],
    {},
    {"value": 1, "uln": 2},
]


def _typed(value: Any) -> Any:
    """The value with every leaf paired with its type (1 == 1.0 == True otherwise)."""
    if isinstance(value, dict):
        return {k: _typed(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_typed(v) for v in value]
    return (type(value).__name__, repr(value))


def _outcome(run: Any, document: Any) -> Any:
    try:
        return ("value", _typed(run(document)))
    except InputError as error:
        return ("refused", error.errors)


_SCALARS: list[Spec] = [
    Num(0, 10),
    Num(0, 10, lo_open=True),
    Num(1, 12, integer=True),
    Num(-math.inf, 10),
    Text(3),
    Bool(),
    Enum(("CR", "CRi", "none")),
    Choice((1, 8, 15)),
    Date(),
    Timestamp(),
    ListOf(Num(0, 5), max_items=2),
    Union("type", {"a": course_spec().required["today"]}),
    *course_spec().required["patient"].required["pretreatment"].required.values(),  # Count
]


@pytest.mark.parametrize("spec", _SCALARS, ids=lambda s: type(s).__name__)
@pytest.mark.parametrize("value", _ODD, ids=repr)
def test_each_field_twin_accepts_exactly_what_check_accepts(spec: Spec, value: Any) -> None:
    """A twin returns check's cleaned value (same type) or refuses where check names an error."""
    errors: list[Any] = []
    expected = spec.check(value, "x", errors)
    for twin in (compiled(spec), _written(spec)):
        try:
            got = twin(value)
        except Refused:
            assert errors, f"the twin refused {value!r}, which check accepts"
            continue
        assert not errors, f"the twin accepted {value!r}, which check refuses"
        assert _typed(got) == _typed(expected)


_WRITTEN: dict[int, Any] = {}


def _written(spec: Spec) -> Any:
    """The written-out twin of `spec`, compiled once per spec for these tests."""
    if id(spec) not in _WRITTEN:
        _WRITTEN[id(spec)] = written_out(spec)
    return _WRITTEN[id(spec)]


_NUMBERS = [Num(0, 10), Num(0, 10, lo_open=True), Num(1, 12, integer=True), _SCALARS[-1]]


@settings(max_examples=400, deadline=None)
@given(
    st.sampled_from(_NUMBERS),
    st.one_of(
        st.integers(-3, 15),
        st.floats(-3, 15),
        st.sampled_from([0.0, 10.0, 12.0, 1.0, math.nextafter(0, 1), math.nextafter(10, 11)]),
        st.integers(-(10**6), 10**6),
    ),
)
def test_number_twins_agree_at_and_around_their_bounds(spec: Spec, value: Any) -> None:
    """Numbers at, just inside and just outside each bound: same verdict, same value."""
    test_each_field_twin_accepts_exactly_what_check_accepts(spec, value)


def _fixtures() -> list[dict[str, Any]]:
    requests = [load_case(p) for p in case_files()]
    return [c["request"] for c in requests if c["command"] in ("assess", "plan", "screen")]


FIXTURES = _fixtures()


def _paths(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [here]
    if isinstance(node, dict):
        items: Any = node.items()
    else:
        items = enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found += _paths(child, (*here, key))
    return found


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(FIXTURES),
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(range(len(_ODD) + 2))), max_size=3),
)
def test_course_validator_equals_the_interpreter(base: dict[str, Any], edits: list[Any]) -> None:
    """Rule fixtures with up to three fields replaced by odd values, removed or joined by
    an unknown one: parse_course's compiled validator answers as `validate` does."""
    document = copy.deepcopy(base)
    for where, choice in edits:
        paths = [p for p in _paths(document) if p]
        path = paths[where % len(paths)]
        parent = document
        for key in path[:-1]:
            parent = parent[key]
        if choice == len(_ODD):
            if isinstance(parent, dict):
                del parent[path[-1]]
        elif choice == len(_ODD) + 1:
            if isinstance(parent, dict):
                parent["unknown"] = 1
        else:
            parent[path[-1]] = copy.deepcopy(_ODD[choice])
    spec = course_spec()
    expected = _outcome(lambda d: validate(spec, d), document)
    assert _outcome(validator(spec), document) == expected
    assert _outcome(_fallback(compiled(spec), spec), document) == expected


def _fallback(twin: Any, spec: Spec) -> Any:
    def run(document: Any) -> Any:
        try:
            return twin(document)
        except Refused:
            return validate(spec, document)

    return run


def test_every_fixture_is_accepted_by_the_twin_itself() -> None:
    """The fast path is the one taken: no valid fixture falls back to the interpreter."""
    for fast in (compiled(course_spec()), written_out(course_spec())):
        for document in FIXTURES:
            try:
                cleaned = validate(course_spec(), document)
            except InputError:
                continue
            assert _typed(fast(document)) == _typed(cleaned)


def _counts() -> list[Any]:
    """Every Count of the course spec (plausibility.Count, written inline by its `written`)."""
    patient, today = course_spec().required["patient"], course_spec().required["today"]
    pretreatment = patient.required["pretreatment"]
    return [
        *pretreatment.required.values(),
        pretreatment.optional["peripheral_blasts_per_mm3"],
        *list(today.optional["labs"].optional.values())[:2],
    ]


def _around(count: Any) -> list[Any]:
    """Values at, just inside and just outside a count's minimum and maximum."""
    low, high = count.minimum(), count.number.hi
    edges = [0, 0.0, 1, low, high]
    near = [math.nextafter(e, -math.inf) for e in edges] + [
        math.nextafter(e, math.inf) for e in edges
    ]
    whole = [int(low) - 1, int(low), int(low) + 1, int(high), int(high) + 1, low + 0.5, -1]
    return edges + near + whole + [float(v) for v in whole] + [True, None, "1", math.nan]


@pytest.mark.parametrize("count", _counts(), ids=lambda c: c.kind)
def test_written_count_accepts_exactly_what_check_accepts(count: Any) -> None:
    """Count's inline test (Count.written) at its edges: check's verdict and cleaned value."""
    assert count.written("v", "c", str) is not None  # the inline form is the one tested
    for value in _around(count):
        test_each_field_twin_accepts_exactly_what_check_accepts(count, value)
