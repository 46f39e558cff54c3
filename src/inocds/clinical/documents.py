"""The contract's course document (input of plan, assess, screen) as typed values.

`parse_course(raw)` validates the JSON document strictly (unknown fields, types,
plausible ranges, dates in order, contradictory histories) and returns a frozen
`CourseDocument`, or raises InputError naming every bad field.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property, lru_cache
from operator import itemgetter
from typing import Any, NamedTuple

from inocds.clinical.document_spec import (
    BSA_FORMULAS,
    MAX_AGE_YEARS,
    SCHEDULED_DAYS,
    TOXICITY_CATEGORIES,
    course_spec,
)
from inocds.clinical.rules.plausibility import bmi_errors
from inocds.clinical.types import built
from inocds.clinical.validation import FieldError, InputError
from inocds.clinical.validation_compiled import Check
from inocds.clinical.validation_source import validator
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


class LabValue(NamedTuple):
    """A liver test in one unit of the caller's choice, with its upper limit of normal."""

    value: float
    uln: float

    @property
    def x_uln(self) -> float:
        """The value as a multiple of the ULN."""
        return self.value / self.uln


class Labs(NamedTuple):
    """Any of the lab fields; None where not measured."""

    anc_per_mm3: float | None = None
    platelets_per_mm3: float | None = None
    bilirubin: LabValue | None = None
    ast: LabValue | None = None
    alt: LabValue | None = None


@dataclass(frozen=True)
class Patient:
    """The patient block of the course document."""

    birth_date: dt.date
    sex: str
    height_cm: float
    weight_kg: float
    hsct_planned: bool
    pretreatment: Labs
    pretreatment_blasts_per_mm3: float | None
    can_become_pregnant: bool | None
    prior_hsct: bool
    liver_disease: bool
    prior_vod: bool
    salvage_line: int | None
    medications: tuple[str, ...]
    bsa_formula: str
    diagnosis: Mapping[str, bool | None]


class Event(NamedTuple):
    """One course event; fields not used by its type are None."""

    position: int
    """Where the event stood in the request's `events` list (for error paths)."""
    type: str
    date: dt.date
    cycle: int | None = None
    day: int | None = None
    dose_mg_per_m2: float | None = None
    labs: Labs | None = None
    category: str | None = None
    name: str | None = None
    grade: int | None = None
    resolved: dt.date | None = None
    status: str | None = None
    mrd: str | None = None
    reason: str | None = None


@dataclass(frozen=True)
class Today:
    """The day of the decision and what is known on it."""

    date: dt.date
    labs: Labs
    vod: bool
    liver_abnormality_from_gilbert_or_hemolysis: bool
    cytopenia_from_disease_with_stable_marrow: bool


@dataclass(frozen=True)
class CourseDocument:
    """The validated course document; events sorted by date (then input order)."""

    patient: Patient
    events: tuple[Event, ...]
    today: Today

    def of_type(self, kind: str) -> tuple[Event, ...]:
        """The events of one type, in date order."""
        return self._by_type.get(kind, ())

    @cached_property
    def _by_type(self) -> dict[str, tuple[Event, ...]]:
        """The events grouped by type once (the document is frozen; the walk asks often).
        parse_course sets it when it makes the document (no cached_property lock then)."""
        return _grouped(self.events)


def _grouped(events: tuple[Event, ...]) -> dict[str, tuple[Event, ...]]:
    """`events` by type, each group in the order of `events`."""
    grouped: dict[str, list[Event]] = {}
    for e in events:
        grouped.setdefault(e.type, []).append(e)
    return {kind: tuple(found) for kind, found in grouped.items()}


_NO_LABS = Labs()
_DATE_OF = itemgetter(2)
"""Event.date (a NamedTuple's third field)."""


_tuple = tuple.__new__
"""Makes a NamedTuple from all of its fields in order, without its generated __new__ (a
Python call with keyword defaults): `_tuple(Labs, (a, b, c, d, e))` == `Labs(a, b, c, d, e)`."""


def _labs(raw: Mapping[str, Any] | None) -> Labs:
    """The lab fields of a cleaned object (other fields are not read)."""
    if not raw:
        return _NO_LABS
    get = raw.get
    bilirubin, ast, alt = get("bilirubin"), get("ast"), get("alt")
    return _tuple(
        Labs,
        (
            get("anc_per_mm3"),
            get("platelets_per_mm3"),
            _tuple(LabValue, (bilirubin["value"], bilirubin["uln"])) if bilirubin else None,
            _tuple(LabValue, (ast["value"], ast["uln"])) if ast else None,
            _tuple(LabValue, (alt["value"], alt["uln"])) if alt else None,
        ),
    )


def _event(index: int, raw: Mapping[str, Any]) -> Event:
    """Event's fields in order: position, type, date, cycle, day, dose_mg_per_m2, labs,
    category, name, grade, resolved, status, mrd, reason."""
    kind = raw["type"]
    get = raw.get
    # fmt: off
    if kind == "toxicity":
        return _tuple(Event, (
            index, kind, raw["onset"], get("cycle"), None, None, None, raw["category"],
            get("name"), raw["grade"], get("resolved"), None, None, None,
        ))
    labs = _labs(raw) if kind == "labs" or kind == "cycle_start" else None
    return _tuple(Event, (
        index, kind, raw["date"], get("cycle"), get("day"), get("dose_mg_per_m2"), labs,
        None, None, None, None, get("status"), get("mrd"), get("reason"),
    ))
    # fmt: on


def _consistency(doc: CourseDocument) -> list[FieldError]:
    """Contradictions that no single field shows."""
    errors: list[FieldError] = bmi_errors(doc.patient.height_cm, doc.patient.weight_kg, "patient.")
    today = doc.today.date
    birth = doc.patient.birth_date
    if birth > today:
        errors.append(FieldError("patient.birth_date", "must not be after today.date"))
    elif (today.year - birth.year) > MAX_AGE_YEARS:
        errors.append(FieldError("patient.birth_date", f"gives an age above {MAX_AGE_YEARS} years"))
    starts, doses = _event_errors(doc, errors)
    _cycle_start_errors(starts, doses, errors)
    _dose_day_errors(starts, doses, errors)
    return errors


def _date_path(e: Event) -> str:
    """Where an event's own date stands in the request (a toxicity's is its onset)."""
    return f"events[{e.position}].{'onset' if e.type == 'toxicity' else 'date'}"


def _event_errors(
    doc: CourseDocument, errors: list[FieldError]
) -> tuple[dict[int, Event], dict[tuple[int, int], Event]]:
    """Each event against today, birth, the discontinuation and the events before it.

    Returns the cycle starts (the first per cycle) and the doses (the last per day).
    """
    today, birth = doc.today.date, doc.patient.birth_date
    starts: dict[int, Event] = {}
    doses: dict[tuple[int, int], Event] = {}
    stopped: Event | None = None
    for e in doc.events:
        if e.date > today:
            errors.append(FieldError(f"{_date_path(e)}", "is after today.date"))
        if e.date < birth:
            errors.append(FieldError(f"{_date_path(e)}", "is before the patient's birth date"))
        if e.type == "toxicity" and e.resolved is not None and e.resolved > today:
            errors.append(FieldError(f"events[{e.position}].resolved", "is after today.date"))
        if e.type == "discontinued":
            if stopped is not None:
                errors.append(
                    FieldError(f"events[{e.position}].type", "the course is already discontinued")
                )
            stopped = stopped or e
        if e.type == "cycle_start" and e.cycle is not None:
            if e.cycle in starts:
                errors.append(
                    FieldError(f"events[{e.position}].cycle", f"cycle {e.cycle} already started")
                )
            else:
                starts[e.cycle] = e
            if stopped is not None and e.date > stopped.date:
                errors.append(
                    FieldError(f"events[{e.position}].date", "is after the course was discontinued")
                )
        if e.type == "dose" and e.cycle is not None and e.day is not None:
            key = (e.cycle, e.day)
            if key in doses:
                errors.append(
                    FieldError(
                        f"events[{e.position}].day",
                        f"cycle {e.cycle} day {e.day} is already recorded",
                    )
                )
            doses[key] = e
            if stopped is not None and e.date > stopped.date:
                errors.append(
                    FieldError(f"events[{e.position}].date", "is after the course was discontinued")
                )
    return starts, doses


def _cycle_start_errors(
    starts: dict[int, Event], doses: dict[tuple[int, int], Event], errors: list[FieldError]
) -> None:
    """Cycles start in order: the one before was started (or dosed) and started earlier."""
    dosed = {c for c, _ in doses}
    for number, e in starts.items():
        if number > 1 and number - 1 not in starts and number - 1 not in dosed:
            errors.append(
                FieldError(f"events[{e.position}].cycle", f"cycle {number - 1} never started")
            )
        previous = starts.get(number - 1)
        if previous is not None and e.date <= previous.date:
            errors.append(
                FieldError(
                    f"events[{e.position}].date", f"must be after cycle {number - 1}'s start"
                )
            )


def _dose_day_errors(
    starts: dict[int, Event], doses: dict[tuple[int, int], Event], errors: list[FieldError]
) -> None:
    """Each dose in a started cycle, not before its start; a day 1 dose on the start date."""
    dosed = {c for c, _ in doses}
    for (number, day), e in doses.items():
        start = starts.get(number)
        if number > 1 and number - 1 not in starts and number - 1 not in dosed:
            errors.append(
                FieldError(f"events[{e.position}].cycle", f"cycle {number - 1} never started")
            )
        first = start.date if start else doses[(number, 1)].date if (number, 1) in doses else None
        if first is not None and e.date < first:
            errors.append(
                FieldError(f"events[{e.position}].date", f"is before cycle {number}'s start")
            )
        if day == 1 and start is not None and e.date != start.date:
            errors.append(
                FieldError(
                    f"events[{e.position}].date",
                    f"a day 1 dose is given on its cycle's start date ({start.date})",
                )
            )


@lru_cache(maxsize=1)
def _course_validator() -> Check:
    """`validate(course_spec(), raw)`, written out once (clinical.validation_source)."""
    return validator(course_spec())


def parse_course(raw: Any) -> CourseDocument:
    """Validates the contract's course document; raises InputError on any bad field."""
    cleaned = _course_validator()(raw)
    p = cleaned["patient"]
    history = p.get("history") or {}
    pre = p["pretreatment"]
    patient = built(
        Patient,
        birth_date=p["birth_date"],
        sex=p["sex"],
        height_cm=p["height_cm"],
        weight_kg=p["weight_kg"],
        hsct_planned=p["hsct_planned"],
        pretreatment=_labs(pre),
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
    raw_events = cleaned.get("events") or []
    # by date, then position: the sort is stable and the events are made in position order
    events = sorted([_event(i, e) for i, e in enumerate(raw_events)], key=_DATE_OF)
    t = cleaned["today"]
    today = built(
        Today,
        date=t["date"],
        labs=_labs(t.get("labs")),
        vod=bool(t.get("vod", False)),
        liver_abnormality_from_gilbert_or_hemolysis=bool(
            t.get("liver_abnormality_from_gilbert_or_hemolysis", False)
        ),
        cytopenia_from_disease_with_stable_marrow=bool(
            t.get("cytopenia_from_disease_with_stable_marrow", False)
        ),
    )
    doc = built(CourseDocument, patient=patient, events=tuple(events), today=today)
    doc.__dict__["_by_type"] = _grouped(doc.events)  # what the cached_property would hold
    problems = _consistency(doc)
    if problems:
        raise InputError(problems)
    return doc
