"""parse_course makes Event, Labs and LabValue with `tuple.__new__` and the fields in
order (issue 13: the NamedTuples' generated __new__ was a Python call per event), through
the makers of `documents` (one per object of the course document). These tests compare
every field with the keyword constructors on arbitrary cleaned objects of each event type,
so a field written in the wrong place fails."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st
from tests.keyword_documents import keyword_event, keyword_labs

from inocds.clinical.document_spec import course_spec
from inocds.clinical.documents import Event, Labs, LabValue, _maker
from inocds.clinical.validation import Obj
from inocds.clinical.validation_source import made

_VALUE = st.one_of(st.integers(-5, 5), st.text(max_size=3), st.floats(0, 10))
_OPTIONAL = st.one_of(st.none(), _VALUE)
_LAB = st.one_of(st.none(), st.builds(dict, value=_VALUE, uln=_VALUE))
_LIVER = ("bilirubin", "ast", "alt")
_EVENTS = course_spec().optional["events"].item  # the Union of the event types


def _raw() -> st.SearchStrategy[dict[str, Any]]:
    """A cleaned event of any type: its required fields, any of its optional ones."""

    def of(kind: str, spec: Obj) -> st.SearchStrategy[dict[str, Any]]:
        def field(name: str) -> st.SearchStrategy[Any]:
            return _LAB if name in _LIVER else _OPTIONAL

        required = {name: field(name) for name in spec.required}
        optional = {name: field(name) for name in spec.optional}
        return st.fixed_dictionaries({**required, "type": st.just(kind)}, optional=optional)

    return st.one_of(*(of(kind, spec) for kind, spec in _EVENTS.choices.items()))


@given(_raw(), st.integers(0, 40))
def test_events_equal_the_keyword_constructor(raw: dict[str, Any], index: int) -> None:
    event = made(_EVENTS, raw, _maker, ("events", "*"), index)
    expected = keyword_event(index, raw)
    assert type(event) is Event
    assert event._asdict() == expected._asdict()
    if event.labs is not None:
        assert type(event.labs) is Labs
        assert event.labs._asdict() == expected.labs._asdict()  # type: ignore[union-attr]
        for value in (event.labs.bilirubin, event.labs.ast, event.labs.alt):
            assert value is None or type(value) is LabValue


_TODAY_LABS = course_spec().required["today"].optional["labs"]


@given(
    st.fixed_dictionaries(
        {}, optional={n: _LAB if n in _LIVER else _VALUE for n in _TODAY_LABS.known}
    )
)
def test_todays_labs_equal_the_keyword_constructor(raw: dict[str, Any]) -> None:
    labs = made(_TODAY_LABS, raw, _maker, ("today", "labs"))
    assert type(labs) is Labs
    assert labs._asdict() == keyword_labs(raw)._asdict()
    assert made(_TODAY_LABS, {}, _maker, ("today", "labs")) == Labs()
