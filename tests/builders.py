"""Builders of contract documents for tests: a patient, events, today."""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

BASE_PATIENT: dict[str, Any] = {
    "birth_date": "1981-09-14",
    "sex": "male",
    "height_cm": 170,
    "weight_kg": 60,  # Mosteller sqrt(170*60/3600) = 1.6833 -> 1.68 m2
    "can_become_pregnant": False,
    "hsct_planned": False,
    "pretreatment": {
        "anc_per_mm3": 1500,
        "platelets_per_mm3": 70000,
        "peripheral_blasts_per_mm3": 500,
        "bilirubin": {"value": 0.6, "uln": 1.2},
        "ast": {"value": 25, "uln": 40},
        "alt": {"value": 22, "uln": 40},
    },
    "history": {"prior_hsct": False, "liver_disease": False, "prior_vod": False, "salvage_line": 1},
    "medications": [],
}

NORMAL_LABS: dict[str, Any] = {
    "anc_per_mm3": 1600,
    "platelets_per_mm3": 80000,
    "bilirubin": {"value": 0.7, "uln": 1.2},
    "ast": {"value": 28, "uln": 40},
    "alt": {"value": 30, "uln": 40},
}


def day(start: str, n: int) -> str:
    """The date of day `n` of a cycle starting on `start` (day 1 = start)."""
    return (dt.date.fromisoformat(start) + dt.timedelta(days=n - 1)).isoformat()


def start(cycle: int, date: str, anc: float = 1600, platelets: float = 80000) -> dict[str, Any]:
    """A cycle_start event."""
    return {
        "type": "cycle_start",
        "date": date,
        "cycle": cycle,
        "anc_per_mm3": anc,
        "platelets_per_mm3": platelets,
    }


def dose(cycle: int, day_: int, date: str, amount: float) -> dict[str, Any]:
    """A dose event."""
    return {"type": "dose", "date": date, "cycle": cycle, "day": day_, "dose_mg_per_m2": amount}


def toxicity(
    onset: str, resolved: str | None, grade: int = 2, category: str = "nonhematologic"
) -> dict[str, Any]:
    """A toxicity event."""
    return {
        "type": "toxicity",
        "category": category,
        "name": "diarrhea" if category == "nonhematologic" else category,
        "grade": grade,
        "onset": onset,
        "resolved": resolved,
    }


def response(
    date: str, status: str, mrd: str | None = None, cycle: int | None = None
) -> dict[str, Any]:
    """A response event."""
    event: dict[str, Any] = {"type": "response", "date": date, "status": status, "mrd": mrd}
    if cycle is not None:
        event["cycle"] = cycle
    return event


def full_cycle(
    cycle: int, first: str, amounts: tuple[float, ...] = (0.8, 0.5, 0.5)
) -> list[dict[str, Any]]:
    """A cycle started on `first` with every dose given on its day."""
    events = [start(cycle, first)]
    for d, amount in zip((1, 8, 15), amounts, strict=False):
        events.append(dose(cycle, d, day(first, d), amount))
    return events


def course(
    events: list[dict[str, Any]] | None = None,
    today: str = "2026-05-04",
    labs: dict[str, Any] | None = None,
    **patient: Any,
) -> dict[str, Any]:
    """A course document; keyword arguments override patient fields; `today_*` flags go to today."""
    flags = {k[len("today_") :]: patient.pop(k) for k in list(patient) if k.startswith("today_")}
    p = copy.deepcopy(BASE_PATIENT)
    p.update(patient)
    return {
        "patient": p,
        "events": events or [],
        "today": {
            "date": today,
            "labs": copy.deepcopy(NORMAL_LABS if labs is None else labs),
            **flags,
        },
    }
