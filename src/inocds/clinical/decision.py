"""The answer of `assess` (CONTRACT.md): `Decision` and its JSON form.

Kept apart from `assess` (the decision's logic) so that module stays readable; `assess`
re-exports it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from inocds.clinical.reasons import Reason
from inocds.clinical.types import Action, DoseLevel

__all__ = ["Decision"]


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
        """The contract's JSON answer."""
        return {
            "action": self.action,
            "cycle": self.cycle,
            "day": self.day,
            "dose_mg_per_m2": self.dose_mg_per_m2,
            "dose_mg": self.dose_mg,
            "dose_level": self.dose_level,
            "cycle_length_days": self.cycle_length_days,
            "next_dose_date": self.next_dose_date.isoformat() if self.next_dose_date else None,
            "needs_clinician_review": self.needs_clinician_review,
            "bsa_m2": self.bsa_m2,
            "reasons": [r.to_dict() for r in self.reasons],
            "warnings": list(self.warnings),
        }
