"""Decision.to_dict, written for speed (reasons' dicts inlined, cached date text), is held
to its plain form: each reason's own `to_dict` and the date's `isoformat`."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inocds.clinical.decision import Decision
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import say
from inocds.clinical.types import replaced


def _plain(d: Decision) -> dict[str, Any]:
    return {
        "action": d.action,
        "cycle": d.cycle,
        "day": d.day,
        "dose_mg_per_m2": d.dose_mg_per_m2,
        "dose_mg": d.dose_mg,
        "dose_level": d.dose_level,
        "cycle_length_days": d.cycle_length_days,
        "next_dose_date": d.next_dose_date.isoformat() if d.next_dose_date else None,
        "needs_clinician_review": d.needs_clinician_review,
        "bsa_m2": d.bsa_m2,
        "reasons": [r.to_dict() for r in d.reasons],
        "warnings": list(d.warnings),
    }


REASONS = (
    Reason("a.rule", "a message", "a source"),
    say(ids.HEME_WITHIN_CYCLE, counts="ANC 400/mm3", day=8),
    replaced(Reason("r", "m", "s"), message="changed"),
)
BASE = Decision("give", 2, 8, "full", 28, 1.83, 0.5, 0.9, dt.date(2026, 3, 9), True, REASONS)
DECISIONS = [
    BASE,
    replaced(BASE, next_dose_date=None, reasons=(), warnings=({"code": "c", "message": "m"},)),
    replaced(BASE, next_dose_date=dt.date(2027, 1, 1)),
    replaced(BASE, next_dose_date=dt.datetime(2026, 3, 9, 8, 0)),  # type: ignore[arg-type]
]


@pytest.mark.parametrize("decision", DECISIONS)
def test_to_dict_is_the_plain_form(decision: Decision) -> None:
    found = decision.to_dict()
    assert found == _plain(decision)
    assert list(found) == list(_plain(decision))
    for shown in found["reasons"]:
        shown["message"] = "edited"  # copies: the frozen reasons are untouched
    assert all(r.message != "edited" for r in decision.reasons)
