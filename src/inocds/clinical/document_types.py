"""The course document's typed values (made by `documents.parse_course`).

Frozen values: NamedTuples for the many small ones (an event, a set of labs), frozen
dataclasses for the patient, the day of the decision and the whole document.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import NamedTuple

__all__ = ["CourseDocument", "Event", "LabValue", "Labs", "Patient", "Today", "grouped"]


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

    def __init__(
        self,
        birth_date: dt.date,
        sex: str,
        height_cm: float,
        weight_kg: float,
        hsct_planned: bool,
        pretreatment: Labs,
        pretreatment_blasts_per_mm3: float | None,
        can_become_pregnant: bool | None,
        prior_hsct: bool,
        liver_disease: bool,
        prior_vod: bool,
        salvage_line: int | None,
        medications: tuple[str, ...],
        bsa_formula: str,
        diagnosis: Mapping[str, bool | None],
    ) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__' (made once per request)
        fields = self.__dict__
        fields["birth_date"] = birth_date
        fields["sex"] = sex
        fields["height_cm"] = height_cm
        fields["weight_kg"] = weight_kg
        fields["hsct_planned"] = hsct_planned
        fields["pretreatment"] = pretreatment
        fields["pretreatment_blasts_per_mm3"] = pretreatment_blasts_per_mm3
        fields["can_become_pregnant"] = can_become_pregnant
        fields["prior_hsct"] = prior_hsct
        fields["liver_disease"] = liver_disease
        fields["prior_vod"] = prior_vod
        fields["salvage_line"] = salvage_line
        fields["medications"] = medications
        fields["bsa_formula"] = bsa_formula
        fields["diagnosis"] = diagnosis


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

    def __init__(
        self,
        date: dt.date,
        labs: Labs,
        vod: bool,
        liver_abnormality_from_gilbert_or_hemolysis: bool,
        cytopenia_from_disease_with_stable_marrow: bool,
    ) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["date"] = date
        fields["labs"] = labs
        fields["vod"] = vod
        fields["liver_abnormality_from_gilbert_or_hemolysis"] = (
            liver_abnormality_from_gilbert_or_hemolysis
        )
        fields["cytopenia_from_disease_with_stable_marrow"] = (
            cytopenia_from_disease_with_stable_marrow
        )


@dataclass(frozen=True)
class CourseDocument:
    """The validated course document; events sorted by date (then input order)."""

    patient: Patient
    events: tuple[Event, ...]
    today: Today

    def __init__(self, patient: Patient, events: tuple[Event, ...], today: Today) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["patient"] = patient
        fields["events"] = events
        fields["today"] = today

    def of_type(self, kind: str) -> tuple[Event, ...]:
        """The events of one type, in date order."""
        return self._by_type.get(kind, ())

    @cached_property
    def _by_type(self) -> dict[str, tuple[Event, ...]]:
        """The events grouped by type once (the document is frozen; the walk asks often).
        parse_course sets it when it makes the document (no cached_property lock then)."""
        return grouped(self.events)


def grouped(events: tuple[Event, ...]) -> dict[str, tuple[Event, ...]]:
    """`events` by type, each group in the order of `events`."""
    groups: dict[str, list[Event]] = {}
    for e in events:
        kind = e.type
        if kind in groups:
            groups[kind].append(e)
        else:
            groups[kind] = [e]
    # each list made a tuple in place (same keys, no second dict)
    found: dict[str, tuple[Event, ...]] = groups  # type: ignore[assignment]
    for kind in groups:
        found[kind] = tuple(groups[kind])
    return found
