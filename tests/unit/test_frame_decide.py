"""`Frame.decide` (clinical/decision.py) makes the Decision positionally and writes the
overrides over it: held here to the keyword form it replaced, field for field and in field order."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest

from inocds.clinical.decision import Decision, Frame
from inocds.clinical.reasons import Reason

FRAME = Frame(2, 8, "reduced_25", 28, 1.68, ({"code": "w", "message": "m"},))
REASONS = (Reason("r", "m", "s"),)
OVERRIDES: list[dict[str, Any]] = [
    {},
    {"next_dose_date": dt.date(2026, 5, 12)},
    {"cycle": 1, "day": None, "dose_level": None, "cycle_length_days": None},
    {
        "dose_mg_per_m2": 0.5,
        "dose_mg": 0.84,
        "next_dose_date": dt.date(2026, 5, 17),
        "needs_clinician_review": True,
    },
]


def _keyword_form(frame: Frame, action: Any, reasons: Any, **fields: Any) -> Decision:
    values: dict[str, Any] = {
        "cycle": frame.cycle,
        "day": frame.day,
        "dose_level": frame.dose_level,
        "cycle_length_days": frame.cycle_length_days,
    }
    values.update(fields)
    return Decision(
        action=action, bsa_m2=frame.bsa_m2, reasons=reasons, warnings=frame.warnings, **values
    )


@pytest.mark.parametrize("fields", OVERRIDES)
def test_decide_equals_the_keyword_form(fields: dict[str, Any]) -> None:
    made = FRAME.decide("give", REASONS, **fields)
    expected = _keyword_form(FRAME, "give", REASONS, **fields)
    assert made == expected
    assert made.to_dict() == expected.to_dict()
    names = [f.name for f in dataclasses.fields(Decision)]
    assert list(made.__dict__) == names
    with pytest.raises(dataclasses.FrozenInstanceError):
        made.cycle = 3  # type: ignore[misc]


def test_decide_refuses_a_name_that_is_no_field() -> None:
    with pytest.raises(TypeError):
        FRAME.decide("give", REASONS, dose=1.0)
