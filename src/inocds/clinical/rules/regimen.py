"""The regimen (regimen.*): a cycle's doses by response and dose level, its length, and why.

Pure functions over the protocol data: regimen.cycle1 / subsequent_cr / subsequent_no_cr
give the days, amounts and cycle length; the level's reductions come from
`rules.reduction`; regimen.response_latest picks the response the doses follow;
regimen.cycle1_extension explains a cycle 1 that runs longer than planned.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

from inocds.clinical.documents import Event
from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.dose_limit import max_single_dose
from inocds.clinical.rules.reduction import Interruption, reduced_doses, reduction_reasons
from inocds.clinical.rules.text import render, say
from inocds.clinical.types import DoseLevel
from inocds.protocol.loader import load_protocol, rule_integer

__all__ = [
    "CycleRegimen",
    "cycle_regimen",
    "extension_planned",
    "extension_ran",
    "extension_while_waiting",
    "max_single_dose",
    "regimen_reasons",
    "response_shown",
]


@dataclass(frozen=True)
class CycleRegimen:
    """One cycle's doses: `(day, dose_mg_per_m2)` pairs, its length, and the rules behind it."""

    cycle: int
    length_days: int
    doses: tuple[tuple[int, float], ...]
    level: DoseLevel
    rules: tuple[str, ...]

    @cached_property
    def days(self) -> tuple[int, ...]:
        """The scheduled days of the cycle."""
        return tuple(day for day, _ in self.doses)

    @cached_property
    def amounts(self) -> dict[int, float]:
        """The dose in mg/m2 by scheduled day (made once: the regimen is cached, the walk
        reads it for every dose recorded)."""
        return dict(self.doses)

    def amount(self, day: int) -> float:
        """The dose in mg/m2 on a scheduled day (KeyError for another day)."""
        return self.amounts[day]

    @cached_property
    def amounts_text(self) -> str:
        """'day 1: 0.8, day 8: 0.5, day 15: 0.5' (the regimen's reasons say it)."""
        return ", ".join(f"day {d}: {a:g}" for d, a in self.doses)

    @cached_property
    def cycle1_reason(self) -> Reason:
        """regimen.cycle1's reason: a constant render of protocol data (the regimen is
        itself cached per cycle, response and level), made once instead of per answer."""
        return say(ids.REGIMEN_CYCLE1, amounts=self.amounts_text)

    @property
    def total_mg_per_m2(self) -> float:
        """The cycle's total dose."""
        return round(sum(amount for _, amount in self.doses), 4)


@lru_cache(maxsize=128)
def cycle_regimen(cycle: int, cr_or_cri: bool, level: DoseLevel) -> CycleRegimen:
    """The doses of `cycle` at `level`, given whether CR/CRi has been reached."""
    if cycle == 1:
        base_id = ids.REGIMEN_CYCLE1
    elif cr_or_cri:
        base_id = ids.REGIMEN_SUBSEQUENT_CR
    else:
        base_id = ids.REGIMEN_SUBSEQUENT_NO_CR
    base = load_protocol()[base_id]
    doses, reductions = reduced_doses(base.day_doses(), level)
    return CycleRegimen(
        cycle=cycle,
        length_days=base.integer("cycle_length_days"),
        doses=doses,
        level=level,
        rules=(base_id, *reductions),
    )


def response_shown(latest: Event | None) -> str:
    """The response the doses follow, as text (regimen.response_latest)."""
    if latest is None:
        return render(ids.REGIMEN_RESPONSE_LATEST, "none")
    return render(ids.REGIMEN_RESPONSE_LATEST, "latest", status=latest.status, date=latest.date)


def regimen_reasons(
    regimen: CycleRegimen,
    latest: Event | None,
    spans: Sequence[Interruption],
    today: dt.date,
    cite_latest: bool = False,
) -> list[Reason]:
    """The cycle's schedule and the response it follows (`latest`), then the reduction
    ladder's steps (`spans`: the interruptions of interruption.ge14).

    `cite_latest` adds regimen.response_latest for a later cycle (the plan states it).
    """
    base = regimen.rules[0]
    reasons: list[Reason] = []
    if base == ids.REGIMEN_CYCLE1:
        reasons.append(regimen.cycle1_reason)
    else:
        amounts = regimen.amounts_text
        shown = response_shown(latest)
        reasons.append(say(base, cycle=regimen.cycle, response=shown, amounts=amounts))
        if cite_latest:
            reasons.append(say(ids.REGIMEN_RESPONSE_LATEST, response=shown))
    return reasons + reduction_reasons(regimen.level, spans, today)


def extension_while_waiting(cycle1_start: dt.date | None, today: dt.date) -> tuple[Reason, ...]:
    """Cycle 2 held: cycle 1 may still run to its extended length to allow recovery."""
    extended = rule_integer(ids.REGIMEN_CYCLE1_EXTENSION, "extended_cycle_length_days")
    if cycle1_start and (today - cycle1_start).days < extended:
        return (say(ids.REGIMEN_CYCLE1_EXTENSION, "may_run", start=cycle1_start),)
    return ()


def extension_ran(start: dt.date, today: dt.date) -> Reason:
    """Cycle 2 given after cycle 1's planned length: how long cycle 1 ran."""
    return say(ids.REGIMEN_CYCLE1_EXTENSION, "ran", start=start, days=(today - start).days)


def extension_planned(start: dt.date, cycle2_start: dt.date) -> Reason:
    """Cycle 2 planned after cycle 1's planned length: how long cycle 1 runs."""
    return say(
        ids.REGIMEN_CYCLE1_EXTENSION, "planned", start=start, days=(cycle2_start - start).days
    )
