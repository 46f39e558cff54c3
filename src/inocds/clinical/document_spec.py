"""The JSON shape of the course document: field specs, ranges and plausibility.

`documents.parse_course` validates against `course_spec()`; the limits below only reject
typos (they are not protocol numbers); counts and BMI follow clinical.rules.plausibility.
Every value and limit is read from the protocol data (`inocds.protocol.schema`).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from inocds.clinical.rules.plausibility import Count
from inocds.clinical.validation import (
    Bool,
    Choice,
    Date,
    Enum,
    FieldError,
    ListOf,
    Num,
    Obj,
    Spec,
    Text,
    Union,
)
from inocds.protocol import schema
from inocds.protocol.loader import load_protocol

__all__ = [
    "BSA_FORMULAS",
    "MAX_AGE_YEARS",
    "SCHEDULED_DAYS",
    "TOXICITY_CATEGORIES",
    "course_spec",
]

BSA_FORMULAS = schema.BSA_FORMULAS
SCHEDULED_DAYS = schema.dose_days()
TOXICITY_CATEGORIES = schema.TOXICITY_CATEGORIES

# Plausibility limits of input values (not protocol numbers: they only reject typos).
MAX_ANC_PER_MM3 = schema.TYPO_GUARD.max_anc_per_mm3
MAX_PLATELETS_PER_MM3 = schema.TYPO_GUARD.max_platelets_per_mm3
MAX_BLASTS_PER_MM3 = schema.TYPO_GUARD.max_blasts_per_mm3
MAX_LAB_VALUE = schema.TYPO_GUARD.max_lab_value
MAX_AGE_YEARS = schema.TYPO_GUARD.max_age_years
MAX_CYCLE = schema.TYPO_GUARD.max_cycle
MAX_SALVAGE_LINE = schema.TYPO_GUARD.max_salvage_line


def _lab_value() -> Obj:
    return Obj(
        required={"value": Num(0, MAX_LAB_VALUE), "uln": Num(0, MAX_LAB_VALUE, lo_open=True)}
    )


def _lab_fields() -> dict[str, Any]:
    return {
        "anc_per_mm3": Count("anc", MAX_ANC_PER_MM3),
        "platelets_per_mm3": Count("platelets", MAX_PLATELETS_PER_MM3),
        "bilirubin": _lab_value(),
        "ast": _lab_value(),
        "alt": _lab_value(),
    }


def _resolved_after_onset(obj: dict[str, Any], path: str, errors: list[FieldError]) -> None:
    if obj.get("resolved") is not None and obj["resolved"] < obj["onset"]:
        errors.append(FieldError(f"{path}.resolved", "must not be before onset"))


def _counts() -> dict[str, Spec]:
    """The two blood counts every cycle start and the pretreatment carry."""
    return {
        "anc_per_mm3": Count("anc", MAX_ANC_PER_MM3),
        "platelets_per_mm3": Count("platelets", MAX_PLATELETS_PER_MM3),
    }


def _event_spec() -> Union:
    """One event of the course, chosen by its `type`."""
    cycle = Num(1, MAX_CYCLE, integer=True)
    return Union(
        "type",
        {
            "cycle_start": Obj(
                required={"type": Enum(("cycle_start",)), "date": Date(), "cycle": cycle},
                optional=_counts(),
            ),
            "dose": Obj(
                required={
                    "type": Enum(("dose",)),
                    "date": Date(),
                    "cycle": cycle,
                    "day": Choice(SCHEDULED_DAYS),
                    "dose_mg_per_m2": Num(0, schema.dose_ceiling_mg_per_m2(), lo_open=True),
                }
            ),
            "toxicity": Obj(
                required={
                    "type": Enum(("toxicity",)),
                    "category": Enum(TOXICITY_CATEGORIES),
                    "grade": Num(schema.MIN_GRADE, schema.MAX_GRADE, integer=True),
                    "onset": Date(),
                },
                optional={"name": Text(200), "resolved": Date(), "cycle": cycle},
                nullable=frozenset({"resolved", "name", "cycle"}),
                checks=(_resolved_after_onset,),
            ),
            "response": Obj(
                required={
                    "type": Enum(("response",)),
                    "date": Date(),
                    "status": Enum(schema.RESPONSE_STATUSES),
                },
                optional={"cycle": cycle, "mrd": Enum(schema.MRD_RESULTS)},
                nullable=frozenset({"mrd", "cycle"}),
            ),
            "labs": Obj(
                required={"type": Enum(("labs",)), "date": Date()},
                optional=_lab_fields(),
            ),
            "discontinued": Obj(
                required={"type": Enum(("discontinued",)), "date": Date()},
                optional={"reason": Text(500)},
                nullable=frozenset({"reason"}),
            ),
        },
    )


def _patient_spec() -> Obj:
    """The patient: body, pretreatment counts and the optional history and diagnosis."""
    bsa = load_protocol()["dose.bsa"]
    return Obj(
        required={
            "birth_date": Date(),
            "sex": Enum(schema.SEXES),
            "height_cm": Num(bsa.number("min_height_cm"), bsa.number("max_height_cm")),
            "weight_kg": Num(bsa.number("min_weight_kg"), bsa.number("max_weight_kg")),
            "hsct_planned": Bool(),
            "pretreatment": Obj(
                required=_counts(),
                optional={
                    "peripheral_blasts_per_mm3": Count("blasts", MAX_BLASTS_PER_MM3),
                    "bilirubin": _lab_value(),
                    "ast": _lab_value(),
                    "alt": _lab_value(),
                },
            ),
        },
        optional={
            "can_become_pregnant": Bool(),
            "history": _history_spec(),
            "medications": ListOf(Text(200), max_items=200),
            "bsa_formula": Enum(BSA_FORMULAS),
            "diagnosis": _diagnosis_spec(),
        },
        nullable=frozenset({"can_become_pregnant"}),
    )


def _history_spec() -> Obj:
    """Earlier transplant, liver disease, VOD and the salvage line."""
    flag = Bool()
    return Obj(
        required={},
        optional={
            "prior_hsct": flag,
            "liver_disease": flag,
            "prior_vod": flag,
            "salvage_line": Num(1, MAX_SALVAGE_LINE, integer=True),
        },
        nullable=frozenset({"salvage_line"}),
    )


def _diagnosis_spec() -> Obj:
    """The three facts of the indication (CD22, B-cell precursor ALL, relapsed/refractory)."""
    flag = Bool()
    return Obj(
        required={},
        optional={
            "cd22_positive": flag,
            "b_cell_precursor_all": flag,
            "relapsed_or_refractory": flag,
        },
        nullable=frozenset({"cd22_positive", "b_cell_precursor_all", "relapsed_or_refractory"}),
    )


def _today_spec() -> Obj:
    """The day of the question: its date, labs and the findings a clinician adds."""
    return Obj(
        required={"date": Date()},
        optional={
            "labs": Obj(required={}, optional=_lab_fields()),
            "vod": Bool(),
            "liver_abnormality_from_gilbert_or_hemolysis": Bool(),
            "cytopenia_from_disease_with_stable_marrow": Bool(),
        },
    )


@lru_cache(maxsize=1)
def course_spec() -> Obj:
    """The whole course document: patient, today and the events."""
    return Obj(
        required={"patient": _patient_spec(), "today": _today_spec()},
        optional={"events": ListOf(_event_spec(), max_items=500)},
    )
