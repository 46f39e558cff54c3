"""The course document read in one pass (documents.parse_course: the written-out reader
of `clinical.validation_source`, which validates and makes Patient, Labs, Event, Today and
CourseDocument as it reads) against its two references: `made` over `validate`'s cleaned
value (the interpreter the reader falls back on), and the keyword constructors over that
cleaned value as parse_course made them before (issue 13). Every field, with its type."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.keyword_documents import keyword_event, keyword_labs
from tests.unit.test_validation_compiled import _ODD, FIXTURES, _paths

from inocds.clinical.document_spec import course_spec
from inocds.clinical.documents import (
    CourseDocument,
    Event,
    Patient,
    Today,
    _maker,
    parse_course,
)
from inocds.clinical.validation import InputError, validate
from inocds.clinical.validation_compiled import Refused
from inocds.clinical.validation_source import made, written_out
from inocds.protocol.schema import DEFAULT_BSA_FORMULA


def _shape(value: Any) -> Any:
    """The value with its class at every level (1 == 1.0 == True otherwise)."""
    if dataclasses.is_dataclass(value):
        return (type(value).__name__, {k: _shape(v) for k, v in vars(value).items()})
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        return (type(value).__name__, [_shape(v) for v in value])
    if isinstance(value, dict):
        return ("dict", {k: _shape(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return (type(value).__name__, [_shape(v) for v in value])
    return (type(value).__name__, repr(value))


def _keyword_document(cleaned: dict[str, Any]) -> CourseDocument:
    """What parse_course made of validate's cleaned value before the reader (keywords)."""
    p, t = cleaned["patient"], cleaned["today"]
    history = p.get("history") or {}
    pre = p["pretreatment"]
    patient = Patient(
        birth_date=p["birth_date"],
        sex=p["sex"],
        height_cm=p["height_cm"],
        weight_kg=p["weight_kg"],
        hsct_planned=p["hsct_planned"],
        pretreatment=keyword_labs(pre),
        pretreatment_blasts_per_mm3=pre.get("peripheral_blasts_per_mm3"),
        can_become_pregnant=p.get("can_become_pregnant"),
        prior_hsct=bool(history.get("prior_hsct", False)),
        liver_disease=bool(history.get("liver_disease", False)),
        prior_vod=bool(history.get("prior_vod", False)),
        salvage_line=history.get("salvage_line"),
        medications=tuple(p.get("medications") or ()),
        bsa_formula=p.get("bsa_formula") or DEFAULT_BSA_FORMULA,
        diagnosis=dict(p.get("diagnosis") or {}),
    )
    events = [keyword_event(i, e) for i, e in enumerate(cleaned.get("events") or [])]
    today = Today(
        date=t["date"],
        labs=keyword_labs(t.get("labs")),
        vod=bool(t.get("vod", False)),
        liver_abnormality_from_gilbert_or_hemolysis=bool(
            t.get("liver_abnormality_from_gilbert_or_hemolysis", False)
        ),
        cytopenia_from_disease_with_stable_marrow=bool(
            t.get("cytopenia_from_disease_with_stable_marrow", False)
        ),
    )
    ordered = tuple(sorted(events, key=lambda e: e.date))
    doc = CourseDocument(patient=patient, events=ordered, today=today)
    by_type: dict[str, list[Event]] = {}
    for e in ordered:
        by_type.setdefault(e.type, []).append(e)
    doc.__dict__["_by_type"] = {kind: tuple(found) for kind, found in by_type.items()}
    return doc


_READER = written_out(course_spec(), _maker)


def _outcomes(document: Any) -> tuple[Any, Any, Any]:
    """(reader, made over validate, keywords over validate): a shape or a refusal."""
    try:
        cleaned = validate(course_spec(), document)
    except InputError as error:
        refused = ("refused", error.errors)
        try:
            fast: Any = ("value", _shape(_READER(document)))
        except Refused:
            fast = refused
        return fast, refused, refused
    try:
        fast = ("value", _shape(_READER(document)))
    except Refused:
        fast = ("the reader refused a valid document",)
    slow = made(course_spec(), copy.deepcopy(cleaned), _maker)
    return fast, ("value", _shape(slow)), ("value", _shape(_keyword_document(cleaned)))


def _edited(base: dict[str, Any], edits: list[tuple[int, int]]) -> dict[str, Any]:
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
    return document


@pytest.mark.parametrize("document", FIXTURES, ids=range(len(FIXTURES)))
def test_every_fixture_is_read_as_its_references_make_it(document: dict[str, Any]) -> None:
    """The rule fixtures (177 courses of every event type): the three agree exactly."""
    fast, slow, keywords = _outcomes(document)
    assert fast == slow == keywords


@settings(max_examples=600, deadline=None)
@given(
    st.sampled_from(FIXTURES),
    st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(range(len(_ODD) + 2))), max_size=3),
)
def test_edited_fixtures_are_read_as_their_references_make_them(
    base: dict[str, Any], edits: list[tuple[int, int]]
) -> None:
    """Fixtures with up to three fields replaced by odd values (null, 1.0 for 1, true for
    1, dates, lists), removed or joined by an unknown one: the reader makes exactly what
    `made` and the keyword constructors make of validate's value, or refuses what it
    refuses (then parse_course answers validate's InputError)."""
    document = _edited(base, edits)
    fast, slow, keywords = _outcomes(document)
    assert fast == slow == keywords
    if slow[0] == "refused":
        with pytest.raises(InputError) as error:
            parse_course(document)
        assert error.value.errors == slow[1]


def test_a_maker_whose_parameters_do_not_name_the_fields_in_order_is_refused() -> None:
    """The reader binds fields by position: a maker naming them otherwise cannot be used."""

    def swapped(position: int, type: str, date: dt.date, day: int, cycle: int, dose: float):
        raise AssertionError("never called")

    def maker(path: tuple[str, ...]) -> Any:
        return swapped if path == ("events", "*", "dose") else _maker(path)

    with pytest.raises(TypeError, match=r"events\.\*\.dose"):
        written_out(course_spec(), maker)
    with pytest.raises(TypeError, match=r"events\.\*\.dose"):
        made(course_spec(), validate(course_spec(), FIXTURES[0]), maker)


_FLAGS = [
    ("patient", "history", "prior_hsct"),
    ("patient", "history", "liver_disease"),
    ("patient", "history", "prior_vod"),
    ("patient", "can_become_pregnant"),
    ("patient", "hsct_planned"),
    ("patient", "diagnosis", "cd22_positive"),
    ("patient", "diagnosis", "b_cell_precursor_all"),
    ("patient", "diagnosis", "relapsed_or_refractory"),
    ("today", "vod"),
    ("today", "liver_abnormality_from_gilbert_or_hemolysis"),
    ("today", "cytopenia_from_disease_with_stable_marrow"),
]


@pytest.mark.parametrize("flag", _FLAGS, ids=".".join)
def test_each_flag_lands_in_its_own_field(flag: tuple[str, ...]) -> None:
    """Every flag false but one: the one true flag is read where its references put it."""
    document = copy.deepcopy(_FULL)
    for path in _FLAGS:
        parent = document
        for key in path[:-1]:
            parent = parent.setdefault(key, {})
        parent[path[-1]] = path == flag
    fast, slow, keywords = _outcomes(document)
    assert fast[0] == "value"
    assert fast == slow == keywords


_FULL: dict[str, Any] = {
    "patient": {
        "birth_date": "1981-09-14",
        "sex": "female",
        "height_cm": 170,
        "weight_kg": 60.5,
        "hsct_planned": True,
        "pretreatment": {
            "anc_per_mm3": 1500,
            "platelets_per_mm3": 70000,
            "peripheral_blasts_per_mm3": 500,
            "bilirubin": {"value": 0.6, "uln": 1.2},
            "ast": {"value": 25, "uln": 40},
            "alt": {"value": 22, "uln": 41},
        },
        "history": {"salvage_line": 2},
        "medications": ["haloperidol", "fluconazole"],
        "bsa_formula": "mosteller",
        "diagnosis": {},
    },
    "events": [
        {"type": "cycle_start", "date": "2026-05-04", "cycle": 1, "anc_per_mm3": 1600},
        {"type": "dose", "date": "2026-05-04", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8},
        {"type": "labs", "date": "2026-05-06", "platelets_per_mm3": 50000,
         "ast": {"value": 30, "uln": 40}},
        {"type": "toxicity", "category": "hepatic", "grade": 1, "onset": "2026-05-05",
         "resolved": "2026-05-06", "name": "ALT up", "cycle": 1},
        {"type": "response", "date": "2026-05-07", "status": "CRi", "mrd": "negative",
         "cycle": 1},
        {"type": "labs", "date": "2026-05-03", "bilirubin": {"value": 1, "uln": 1.2},
         "alt": {"value": 50, "uln": 40}},
    ],
    "today": {
        "date": "2026-05-11",
        "labs": {"anc_per_mm3": 400, "alt": {"value": 30, "uln": 40}},
    },
}  # fmt: skip


def _objects(node: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """The path of every object of a document."""
    if isinstance(node, dict):
        children: Any = node.items()
    elif isinstance(node, list):
        children = enumerate(node)
    else:
        return []
    found = [here] if isinstance(node, dict) else []
    for key, child in children:
        found += _objects(child, (*here, key))
    return found


def _at(document: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        document = document[key]
    return document


@pytest.mark.parametrize("path", _objects(_FULL), ids=lambda p: ".".join(map(str, p)) or "root")
def test_an_unknown_or_missing_field_of_any_object_is_refused_as_validate_does(
    path: tuple[Any, ...],
) -> None:
    """Every object once with an unknown field, once without each of its fields: the
    reader refuses (size or a read by name), parse_course answers validate's refusal."""
    documents = []
    unknown = copy.deepcopy(_FULL)
    _at(unknown, path)["unknown"] = 1
    documents.append(unknown)
    for name in _at(_FULL, path):
        missing = copy.deepcopy(_FULL)
        del _at(missing, path)[name]
        documents.append(missing)
    for document in documents:
        fast, slow, keywords = _outcomes(document)
        assert fast == slow == keywords
    assert _outcomes(unknown)[0][0] == "refused"
