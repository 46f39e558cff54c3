"""The answer of `assess` (CONTRACT.md): `Decision`, its JSON form, and `Frame`, what the
answers about one slot share (it makes the Decision).

Kept apart from `assess` (the decision's logic) so that module stays readable; `assess`
re-exports `Decision`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from inocds.clinical.reasons import Reason
from inocds.clinical.rules.templates import date_text as _date_text
from inocds.clinical.types import Action, DoseLevel

__all__ = ["Decision", "Frame"]


@dataclass(frozen=True)
class Decision:
    """The answer of `assess` (CONTRACT.md)."""

    action: Action
    cycle: int | None
    day: int | None
    dose_level: DoseLevel | None
    cycle_length_days: int | None
    bsa_m2: float
    dose_mg_per_m2: float | None = None
    dose_mg: float | None = None
    next_dose_date: dt.date | None = None
    needs_clinician_review: bool = False
    reasons: tuple[Reason, ...] = ()
    warnings: tuple[dict[str, str], ...] = field(default_factory=tuple)

    def __init__(
        self,
        action: Action,
        cycle: int | None,
        day: int | None,
        dose_level: DoseLevel | None,
        cycle_length_days: int | None,
        bsa_m2: float,
        dose_mg_per_m2: float | None = None,
        dose_mg: float | None = None,
        next_dose_date: dt.date | None = None,
        needs_clinician_review: bool = False,
        reasons: tuple[Reason, ...] = (),
        warnings: tuple[dict[str, str], ...] = (),  # the field's default_factory, tuple()
    ) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["action"] = action
        fields["cycle"] = cycle
        fields["day"] = day
        fields["dose_level"] = dose_level
        fields["cycle_length_days"] = cycle_length_days
        fields["bsa_m2"] = bsa_m2
        fields["dose_mg_per_m2"] = dose_mg_per_m2
        fields["dose_mg"] = dose_mg
        fields["next_dose_date"] = next_dose_date
        fields["needs_clinician_review"] = needs_clinician_review
        fields["reasons"] = reasons
        fields["warnings"] = warnings

    def to_dict(self) -> dict[str, Any]:
        """The contract's JSON answer.

        Written for speed (session 14, ~21 K -> ~17.5 K instructions on the contract
        example): each reason's dict is `Reason.to_dict` inlined (the copy of its
        `__dict__`, no Python call per reason) and the date's text comes from the cached
        isoformat of rules.templates (test_decision_dict.py)."""
        next_dose_date = self.next_dose_date
        return {
            "action": self.action,
            "cycle": self.cycle,
            "day": self.day,
            "dose_mg_per_m2": self.dose_mg_per_m2,
            "dose_mg": self.dose_mg,
            "dose_level": self.dose_level,
            "cycle_length_days": self.cycle_length_days,
            "next_dose_date": (
                None
                if next_dose_date is None
                else _date_text(next_dose_date)
                if type(next_dose_date) is dt.date
                else next_dose_date.isoformat()
            ),
            "needs_clinician_review": self.needs_clinician_review,
            "bsa_m2": self.bsa_m2,
            "reasons": [r.__dict__.copy() for r in self.reasons],  # Reason.to_dict
            "warnings": list(self.warnings),
        }


@dataclass(frozen=True)
class Frame:
    """What every answer of `assess` about one slot shares: the slot, its level and cycle
    length, the BSA and the walk's warnings (`decide` makes the Decision)."""

    cycle: int
    day: int
    dose_level: DoseLevel | None
    cycle_length_days: int | None
    bsa_m2: float
    warnings: tuple[dict[str, str], ...]

    def __init__(
        self,
        cycle: int,
        day: int,
        dose_level: DoseLevel | None,
        cycle_length_days: int | None,
        bsa_m2: float,
        warnings: tuple[dict[str, str], ...],
    ) -> None:
        # fields set in __dict__ at once: types.py, 'Fast __init__'
        fields = self.__dict__
        fields["cycle"] = cycle
        fields["day"] = day
        fields["dose_level"] = dose_level
        fields["cycle_length_days"] = cycle_length_days
        fields["bsa_m2"] = bsa_m2
        fields["warnings"] = warnings

    def at(self, level: DoseLevel, length_days: int) -> Frame:
        """This frame at a dose level and cycle length."""
        return Frame(self.cycle, self.day, level, length_days, self.bsa_m2, self.warnings)

    def decide(self, action: Action, reasons: tuple[Reason, ...], **fields: Any) -> Decision:
        """A Decision about this slot (fields override cycle/day and add the rest).

        Made with positional arguments, then `fields` written over its `__dict__` (as the
        fast `__init__`s do, types.py): one `Decision(**values)` with 12 keywords from a
        merged dict cost ~3 x the answer's own making. Updating keys already present
        keeps the fields' order; a name that is no field is refused as before."""
        decision = Decision(
            action,
            self.cycle,
            self.day,
            self.dose_level,
            self.cycle_length_days,
            self.bsa_m2,
            None,
            None,
            None,
            False,
            reasons,
            self.warnings,
        )
        if fields:
            values = decision.__dict__
            if not fields.keys() <= values.keys():
                raise TypeError(f"Decision has no field {sorted(fields.keys() - values.keys())}")
            values.update(fields)
        return decision
