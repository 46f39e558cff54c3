"""parse_course makes Event, Labs and LabValue with `tuple.__new__` and the fields in
order (issue 13: the NamedTuples' generated __new__ was a Python call per event). These
tests compare every field with the keyword constructors on arbitrary cleaned objects, so a
field written in the wrong place fails."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from inocds.clinical.documents import Event, Labs, LabValue, _event, _labs

_VALUE = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=3), st.floats(0, 10))
_LAB = st.one_of(st.none(), st.builds(dict, value=_VALUE, uln=_VALUE))
_KEYS = ("cycle", "day", "dose_mg_per_m2", "status", "mrd", "reason", "name", "resolved")
_LAB_KEYS = ("anc_per_mm3", "platelets_per_mm3")


def _raw() -> st.SearchStrategy[dict[str, Any]]:
    optional = {key: _VALUE for key in _KEYS + _LAB_KEYS}
    optional |= {key: _LAB for key in ("bilirubin", "ast", "alt")}
    kinds = st.sampled_from(["toxicity", "labs", "cycle_start", "dose", "response", "other"])
    required = {"type": kinds, "date": _VALUE, "onset": _VALUE, "category": _VALUE}
    return st.fixed_dictionaries({**required, "grade": _VALUE}, optional=optional)


def _lab_value(raw: dict[str, Any] | None) -> LabValue | None:
    return LabValue(value=raw["value"], uln=raw["uln"]) if raw else None


def _keyword_labs(raw: dict[str, Any]) -> Labs:
    return Labs(
        anc_per_mm3=raw.get("anc_per_mm3"),
        platelets_per_mm3=raw.get("platelets_per_mm3"),
        bilirubin=_lab_value(raw.get("bilirubin")),
        ast=_lab_value(raw.get("ast")),
        alt=_lab_value(raw.get("alt")),
    )


def _keyword_event(index: int, raw: dict[str, Any]) -> Event:
    get = raw.get
    if raw["type"] == "toxicity":
        return Event(
            position=index,
            type="toxicity",
            date=raw["onset"],
            cycle=get("cycle"),
            category=raw["category"],
            name=get("name"),
            grade=raw["grade"],
            resolved=get("resolved"),
        )
    has_labs = raw["type"] in ("labs", "cycle_start")
    return Event(
        position=index,
        type=raw["type"],
        date=raw["date"],
        cycle=get("cycle"),
        day=get("day"),
        dose_mg_per_m2=get("dose_mg_per_m2"),
        labs=_keyword_labs(raw) if has_labs and raw else None,
        status=get("status"),
        mrd=get("mrd"),
        reason=get("reason"),
    )


@given(_raw(), st.integers(0, 40))
def test_events_equal_the_keyword_constructor(raw: dict[str, Any], index: int) -> None:
    made = _event(index, raw)
    expected = _keyword_event(index, raw)
    assert type(made) is Event
    assert made._asdict() == expected._asdict()
    if made.labs is not None:
        assert type(made.labs) is Labs
        assert made.labs._asdict() == expected.labs._asdict()  # type: ignore[union-attr]


@given(_raw())
def test_labs_equal_the_keyword_constructor(raw: dict[str, Any]) -> None:
    made = _labs(raw)
    assert type(made) is Labs
    assert made._asdict() == _keyword_labs(raw)._asdict()
    for value in (made.bilirubin, made.ast, made.alt):
        assert value is None or type(value) is LabValue


def test_no_labs_is_the_empty_labs() -> None:
    assert _labs(None) == Labs() and _labs({}) == Labs()
