"""The contract's course document (input of plan, assess, screen) as typed values.

`parse_course(raw)` validates the JSON document strictly (unknown fields, types,
plausible ranges, dates in order, contradictory histories) and returns a frozen
`CourseDocument`, or raises InputError naming every bad field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import lru_cache
from operator import itemgetter
from typing import Any, Final

from inocds.clinical.document_spec import (
    BSA_FORMULAS,
    MAX_AGE_YEARS,
    SCHEDULED_DAYS,
    TOXICITY_CATEGORIES,
    course_spec,
)
from inocds.clinical.document_types import (
    CourseDocument,
    Event,
    Labs,
    LabValue,
    Patient,
    Today,
    grouped,
)
from inocds.clinical.rules.plausibility import bmi_errors
from inocds.clinical.validation import FieldError, InputError
from inocds.clinical.validation_compiled import Check
from inocds.clinical.validation_source import reader
from inocds.protocol.schema import DEFAULT_BSA_FORMULA

__all__ = [
    "BSA_FORMULAS",
    "SCHEDULED_DAYS",
    "TOXICITY_CATEGORIES",
    "CourseDocument",
    "Event",
    "LabValue",
    "Labs",
    "Patient",
    "Today",
    "course_spec",
    "parse_course",
]


_NO_LABS = Labs()
_DATE_OF = itemgetter(2)
"""Event.date (a NamedTuple's third field)."""


_tuple = tuple.__new__
"""Makes a NamedTuple from all of its fields in order, without its generated __new__ (a
Python call with keyword defaults): `_tuple(Labs, (a, b, c, d, e))` == `Labs(a, b, c, d, e)`."""

# What each object of the course document becomes (clinical.validation_source.reader: the
# written-out reader calls these with the cleaned fields, None for an absent one). Each
# maker's parameters are the object's field names in course_spec's order (checked when the
# reader is written), `position` first for an event: where it stood in `events`.
# fmt: off


def _today_labs(
    anc_per_mm3: float | None, platelets_per_mm3: float | None,
    bilirubin: LabValue | None, ast: LabValue | None, alt: LabValue | None,
) -> Labs:
    if anc_per_mm3 is None and platelets_per_mm3 is None and bilirubin is ast is alt is None:
        return _NO_LABS
    return _tuple(Labs, (anc_per_mm3, platelets_per_mm3, bilirubin, ast, alt))


def _pretreatment(
    anc_per_mm3: float, platelets_per_mm3: float, peripheral_blasts_per_mm3: float | None,
    bilirubin: LabValue | None, ast: LabValue | None, alt: LabValue | None,
) -> tuple[Labs, float | None]:
    """The pretreatment labs and the peripheral blasts."""
    labs = _tuple(Labs, (anc_per_mm3, platelets_per_mm3, bilirubin, ast, alt))
    return labs, peripheral_blasts_per_mm3


def _history(
    prior_hsct: bool | None, liver_disease: bool | None, prior_vod: bool | None,
    salvage_line: int | None,
) -> tuple[bool, bool, bool, int | None]:
    # `x is True` is bool(x) for a flag that is true, false or None (absent), without a call
    return prior_hsct is True, liver_disease is True, prior_vod is True, salvage_line


_NO_HISTORY = _history(None, None, None, None)


def _patient(
    birth_date: dt.date, sex: str, height_cm: float, weight_kg: float, hsct_planned: bool,
    pretreatment: tuple[Labs, float | None], can_become_pregnant: bool | None,
    history: tuple[bool, bool, bool, int | None] | None, medications: list[str] | None,
    bsa_formula: str | None, diagnosis: dict[str, bool | None] | None,
) -> Patient:
    prior_hsct, liver_disease, prior_vod, salvage_line = history or _NO_HISTORY
    # by position, in Patient's field order (its fast __init__; by keyword ~+2,000 instr.)
    return Patient(
        birth_date, sex, height_cm, weight_kg, hsct_planned,
        pretreatment[0], pretreatment[1], can_become_pregnant,
        prior_hsct, liver_disease, prior_vod, salvage_line,
        tuple(medications) if medications else (),
        bsa_formula or DEFAULT_BSA_FORMULA,
        dict(diagnosis) if diagnosis else {},
    )


# Event's fields in order: position, type, date, cycle, day, dose_mg_per_m2, labs,
# category, name, grade, resolved, status, mrd, reason.
def _cycle_start(
    position: int, type: str, date: dt.date, cycle: int,
    anc_per_mm3: float | None, platelets_per_mm3: float | None,
) -> Event:
    labs = _tuple(Labs, (anc_per_mm3, platelets_per_mm3, None, None, None))
    return _tuple(Event, (
        position, type, date, cycle, None, None, labs, None, None, None, None, None, None, None,
    ))


def _dose(
    position: int, type: str, date: dt.date, cycle: int, day: int, dose_mg_per_m2: float,
) -> Event:
    return _tuple(Event, (
        position, type, date, cycle, day, dose_mg_per_m2, None,
        None, None, None, None, None, None, None,
    ))


def _toxicity(
    position: int, type: str, category: str, grade: int, onset: dt.date,
    name: str | None, resolved: dt.date | None, cycle: int | None,
) -> Event:
    return _tuple(Event, (
        position, type, onset, cycle, None, None, None,
        category, name, grade, resolved, None, None, None,
    ))


def _response(
    position: int, type: str, date: dt.date, status: str, cycle: int | None, mrd: str | None,
) -> Event:
    return _tuple(Event, (
        position, type, date, cycle, None, None, None, None, None, None, None, status, mrd, None,
    ))


def _labs_event(
    position: int, type: str, date: dt.date, anc_per_mm3: float | None,
    platelets_per_mm3: float | None, bilirubin: LabValue | None, ast: LabValue | None,
    alt: LabValue | None,
) -> Event:
    labs = _tuple(Labs, (anc_per_mm3, platelets_per_mm3, bilirubin, ast, alt))
    return _tuple(Event, (
        position, type, date, None, None, None, labs, None, None, None, None, None, None, None,
    ))


def _discontinued(position: int, type: str, date: dt.date, reason: str | None) -> Event:
    return _tuple(Event, (
        position, type, date, None, None, None, None, None, None, None, None, None, None, reason,
    ))


# fmt: on


def _today(
    date: dt.date,
    labs: Labs | None,
    vod: bool | None,
    liver_abnormality_from_gilbert_or_hemolysis: bool | None,
    cytopenia_from_disease_with_stable_marrow: bool | None,
) -> Today:
    # by position; `x is True` is bool(x) for true, false or None (absent), without a call
    return Today(
        date,
        _NO_LABS if labs is None else labs,
        vod is True,
        liver_abnormality_from_gilbert_or_hemolysis is True,
        cytopenia_from_disease_with_stable_marrow is True,
    )


def _course(patient: Patient, today: Today, events: list[Event] | None) -> CourseDocument:
    """The document before its consistency checks; events sorted by date, then position
    (the sort is stable and the events are made in position order)."""
    ordered = tuple(sorted(events, key=_DATE_OF)) if events else ()
    doc = CourseDocument(patient, ordered, today)
    doc.__dict__["_by_type"] = grouped(ordered)  # what the cached_property would hold
    return doc


_MAKERS: dict[tuple[str, ...], Callable[..., Any]] = {
    (): _course,
    ("patient",): _patient,
    ("patient", "pretreatment"): _pretreatment,
    ("patient", "history"): _history,
    ("today",): _today,
    ("today", "labs"): _today_labs,
    ("events", "*", "cycle_start"): _cycle_start,
    ("events", "*", "dose"): _dose,
    ("events", "*", "toxicity"): _toxicity,
    ("events", "*", "response"): _response,
    ("events", "*", "labs"): _labs_event,
    ("events", "*", "discontinued"): _discontinued,
}
_LIVER_TESTS = frozenset({"bilirubin", "ast", "alt"})


def _maker(path: tuple[str, ...]) -> Callable[..., Any] | None:
    """The maker of the object at `path` (None: the object stays a dict, as `diagnosis`)."""
    if path and path[-1] in _LIVER_TESTS:
        return LabValue  # a NamedTuple: made with its fields in order (value, uln)
    return _MAKERS.get(path)


def _consistency(doc: CourseDocument) -> list[FieldError]:
    """Contradictions that no single field shows."""
    patient = doc.patient
    errors: list[FieldError] = bmi_errors(patient.height_cm, patient.weight_kg, "patient.")
    today = doc.today.date
    birth = patient.birth_date
    if birth > today:
        errors.append(FieldError("patient.birth_date", "must not be after today.date"))
    elif (today.year - birth.year) > MAX_AGE_YEARS:
        errors.append(FieldError("patient.birth_date", f"gives an age above {MAX_AGE_YEARS} years"))
    if doc.events:
        starts, doses, dosed = _event_errors(doc.events, today, birth, errors)
        _cycle_start_errors(starts, dosed, errors)
        _dose_day_errors(starts, doses, dosed, errors)
    return errors


def _date_path(e: Event) -> str:
    """Where an event's own date stands in the request (a toxicity's is its onset)."""
    return f"events[{e.position}].{'onset' if e.type == 'toxicity' else 'date'}"


# The loops below read an Event's fields by index (_POSITION, _TYPE, ...: a NamedTuple's
# attribute is a descriptor call, an index is not; ~40 % of these checks' instructions).
_POSITION: Final = 0
_TYPE: Final = 1
_DATE: Final = 2
_CYCLE: Final = 3
_DAY: Final = 4
_RESOLVED: Final = 10


def _event_errors(
    events: tuple[Event, ...], today: dt.date, birth: dt.date, errors: list[FieldError]
) -> tuple[dict[int, Event], dict[tuple[int, int], Event], set[int]]:
    """Each event against today, birth, the discontinuation and the events before it.

    Returns the cycle starts (the first per cycle), the doses (the last per day) and the
    cycles dosed.
    """
    starts: dict[int, Event] = {}
    doses: dict[tuple[int, int], Event] = {}
    dosed: set[int] = set()
    stopped: dt.date | None = None  # the date of the first discontinuation
    for e in events:
        kind, date = e[_TYPE], e[_DATE]
        if date > today:
            errors.append(FieldError(f"{_date_path(e)}", "is after today.date"))
        if date < birth:
            errors.append(FieldError(f"{_date_path(e)}", "is before the patient's birth date"))
        # one type per event: the checks below are exclusive (the most frequent first)
        if kind == "dose":
            cycle, day = e[_CYCLE], e[_DAY]
            if cycle is None or day is None:
                continue
            key = (cycle, day)
            if key in doses:
                errors.append(
                    FieldError(
                        f"events[{e[_POSITION]}].day",
                        f"cycle {cycle} day {day} is already recorded",
                    )
                )
            doses[key] = e
            dosed.add(cycle)
        elif kind == "cycle_start":
            cycle = e[_CYCLE]
            if cycle is None:
                continue
            if cycle in starts:
                errors.append(
                    FieldError(f"events[{e[_POSITION]}].cycle", f"cycle {cycle} already started")
                )
            else:
                starts[cycle] = e
        elif kind == "toxicity":
            resolved = e[_RESOLVED]
            if resolved is not None and resolved > today:
                errors.append(FieldError(f"events[{e[_POSITION]}].resolved", "is after today.date"))
        elif kind == "discontinued":
            if stopped is not None:
                errors.append(
                    FieldError(f"events[{e[_POSITION]}].type", "the course is already discontinued")
                )
            else:
                stopped = date
        # a dose or a cycle start (with its cycle, and day) after the discontinuation
        if stopped is not None and date > stopped and (kind == "dose" or kind == "cycle_start"):
            errors.append(
                FieldError(f"events[{e[_POSITION]}].date", "is after the course was discontinued")
            )
    return starts, doses, dosed


def _cycle_start_errors(
    starts: dict[int, Event], dosed: set[int], errors: list[FieldError]
) -> None:
    """Cycles start in order: the one before was started (or dosed) and started earlier."""
    for number, e in starts.items():
        before = number - 1
        if number > 1 and before not in starts and before not in dosed:
            errors.append(
                FieldError(f"events[{e[_POSITION]}].cycle", f"cycle {before} never started")
            )
        previous = starts.get(before)
        if previous is not None and e[_DATE] <= previous[_DATE]:
            errors.append(
                FieldError(f"events[{e[_POSITION]}].date", f"must be after cycle {before}'s start")
            )


def _dose_day_errors(
    starts: dict[int, Event],
    doses: dict[tuple[int, int], Event],
    dosed: set[int],
    errors: list[FieldError],
) -> None:
    """Each dose in a started cycle, not before its start; a day 1 dose on the start date."""
    for (number, day), e in doses.items():
        start = starts.get(number)
        date = e[_DATE]
        if number > 1 and number - 1 not in starts and number - 1 not in dosed:
            errors.append(
                FieldError(f"events[{e[_POSITION]}].cycle", f"cycle {number - 1} never started")
            )
        if start is not None:
            first: dt.date | None = start[_DATE]
        else:
            day_one = doses.get((number, 1))
            first = None if day_one is None else day_one[_DATE]
        if first is not None and date < first:
            errors.append(
                FieldError(f"events[{e[_POSITION]}].date", f"is before cycle {number}'s start")
            )
        if day == 1 and start is not None and date != start[_DATE]:
            errors.append(
                FieldError(
                    f"events[{e[_POSITION]}].date",
                    f"a day 1 dose is given on its cycle's start date ({start[_DATE]})",
                )
            )


@lru_cache(maxsize=1)
def _course_reader() -> Check:
    """`made(course_spec(), validate(course_spec(), raw), _maker)`, written out once as
    one function that reads and makes in a single pass (clinical.validation_source)."""
    return reader(course_spec(), _maker)


def parse_course(raw: Any) -> CourseDocument:
    """Validates the contract's course document; raises InputError on any bad field."""
    doc: CourseDocument = _course_reader()(raw)
    problems = _consistency(doc)
    if problems:
        raise InputError(problems)
    return doc
