"""The regimen: doses of a cycle by response and dose level; cycle lengths and limits.

Pure functions over the protocol data (rules.toml): regimen.*, reduction.*, duration.*.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

from inocds.clinical.rules import ids
from inocds.protocol.loader import load_protocol

__all__ = [
    "DOSE_LEVELS",
    "CycleRegimen",
    "cycle_regimen",
    "level_for_interruptions",
]

DOSE_LEVELS = ("full", "reduced_25", "two_doses")
"""Dose levels in the order of the reduction ladder; a level is never left for a lower index."""


@dataclass(frozen=True)
class CycleRegimen:
    """One cycle's doses: `(day, dose_mg_per_m2)` pairs, its length, and the rules behind it."""

    cycle: int
    length_days: int
    doses: tuple[tuple[int, float], ...]
    level: str
    rules: tuple[str, ...]

    @cached_property
    def days(self) -> tuple[int, ...]:
        """The scheduled days of the cycle."""
        return tuple(day for day, _ in self.doses)

    def amount(self, day: int) -> float:
        """The dose in mg/m2 on a scheduled day."""
        for d, amount in self.doses:
            if d == day:
                return amount
        raise KeyError(day)

    @property
    def total_mg_per_m2(self) -> float:
        """The cycle's total dose."""
        return round(sum(amount for _, amount in self.doses), 4)


def level_for_interruptions(count_ge14: int) -> str | None:
    """The dose level after `count_ge14` interruptions of >= 14 days; None: not tolerated."""
    p = load_protocol()
    if count_ge14 >= p[ids.REDUCTION_NOT_TOLERATED].integer("interruptions_ge14"):
        return None
    if count_ge14 >= p[ids.REDUCTION_LEVEL2].integer("interruptions_ge14"):
        return "two_doses"
    if count_ge14 >= p[ids.REDUCTION_LEVEL1].integer("interruptions_ge14"):
        return "reduced_25"
    return "full"


def cycle_regimen(cycle: int, cr_or_cri: bool, level: str) -> CycleRegimen:
    """The doses of `cycle` at `level`, given whether CR/CRi has been reached."""
    p = load_protocol()
    if cycle == 1:
        base_id = ids.REGIMEN_CYCLE1
    elif cr_or_cri:
        base_id = ids.REGIMEN_SUBSEQUENT_CR
    else:
        base_id = ids.REGIMEN_SUBSEQUENT_NO_CR
    base = p[base_id]
    doses = base.day_doses()
    rules: list[str] = [base_id]
    if level in ("reduced_25", "two_doses"):
        factor = p[ids.REDUCTION_LEVEL1].number("dose_factor")
        doses = tuple((day, round(amount * factor, 6)) for day, amount in doses)
        rules.append(ids.REDUCTION_LEVEL1)
    if level == "two_doses":
        kept = set(p[ids.REDUCTION_LEVEL2].integers("days"))
        doses = tuple((day, amount) for day, amount in doses if day in kept)
        rules.append(ids.REDUCTION_LEVEL2)
    return CycleRegimen(
        cycle=cycle,
        length_days=base.integer("cycle_length_days"),
        doses=doses,
        level=level,
        rules=tuple(rules),
    )
