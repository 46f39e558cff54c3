"""The reduction ladder (reduction.*): dose levels after interruptions of 14 days or more.

interruption.ge14 counts the spans; reduction.level1 cuts every dose by its factor,
reduction.level2 keeps only its days, reduction.not_tolerated ends the course, and
reduction.no_reescalation never lets a cycle go back up the ladder.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from functools import lru_cache
from typing import Protocol

from inocds.clinical.reasons import Reason
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import ge14_days, listed, render, say
from inocds.clinical.types import DOSE_LEVELS, DoseLevel
from inocds.protocol.loader import load_protocol

__all__ = [
    "level_after",
    "level_for_interruptions",
    "not_tolerated_reason",
    "not_tolerated_warning",
    "reduced_doses",
    "reduction_reasons",
]

Doses = tuple[tuple[int, float], ...]


class Interruption(Protocol):
    """An interruption span as the ladder reads it (course_state.Span)."""

    @property
    def start(self) -> dt.date: ...

    @property
    def end(self) -> dt.date | None: ...

    def length_days(self, today: dt.date) -> int: ...


@lru_cache(maxsize=32)
def level_for_interruptions(count_ge14: int) -> DoseLevel | None:
    """The dose level after `count_ge14` interruptions of >= 14 days; None: not tolerated."""
    p = load_protocol()
    if count_ge14 >= p[ids.REDUCTION_NOT_TOLERATED].integer("interruptions_ge14"):
        return None
    if count_ge14 >= p[ids.REDUCTION_LEVEL2].integer("interruptions_ge14"):
        return "two_doses"
    if count_ge14 >= p[ids.REDUCTION_LEVEL1].integer("interruptions_ge14"):
        return "reduced_25"
    return "full"


def level_after(count_ge14: int, previous: DoseLevel | None) -> DoseLevel | None:
    """The level of a cycle after `count_ge14` spans, never above `previous` (no re-escalation)."""
    level = level_for_interruptions(count_ge14)
    if level is None or previous is None:  # reduction.not_tolerated / the first cycle
        return level
    return DOSE_LEVELS[max(DOSE_LEVELS.index(level), DOSE_LEVELS.index(previous))]


def reduced_doses(doses: Doses, level: DoseLevel) -> tuple[Doses, tuple[str, ...]]:
    """A regimen's `(day, mg/m2)` pairs at `level`, and the reduction rules applied."""
    p = load_protocol()
    rules: list[str] = []
    if level in ("reduced_25", "two_doses"):
        factor = p[ids.REDUCTION_LEVEL1].number("dose_factor")
        doses = tuple((day, round(amount * factor, 6)) for day, amount in doses)
        rules.append(ids.REDUCTION_LEVEL1)
    if level == "two_doses":
        kept = set(p[ids.REDUCTION_LEVEL2].integers("days"))
        doses = tuple((day, amount) for day, amount in doses if day in kept)
        rules.append(ids.REDUCTION_LEVEL2)
    return doses, tuple(rules)


def reduction_reasons(
    level: DoseLevel, spans: Sequence[Interruption], today: dt.date
) -> list[Reason]:
    """Why a cycle is at a reduced level: the spans of interruption.ge14 (as of `today`),
    the ladder's steps, no re-escalation."""
    if level == "full":
        return []
    shown = "; ".join(
        render(
            ids.INTERRUPTION_GE14,
            "span",
            start=sp.start,
            end=sp.end or "ongoing",
            length=sp.length_days(today),
        )
        for sp in spans
    )
    factor = load_protocol()[ids.REDUCTION_LEVEL1].number("dose_factor")
    reasons = [
        say(ids.INTERRUPTION_GE14, "spans", spans=shown),
        say(
            ids.REDUCTION_LEVEL1,
            count=len(spans),
            interruption_days=ge14_days(),
            cut_percent=round((1 - factor) * 100, 6),
        ),
    ]
    if level == "two_doses":
        kept = load_protocol()[ids.REDUCTION_LEVEL2].integers("days")
        reasons.append(say(ids.REDUCTION_LEVEL2, kept_days=listed(kept)))
    reasons.append(say(ids.REDUCTION_NO_REESCALATION, level=level))
    return reasons


def not_tolerated_reason(count: int) -> Reason:
    """reduction.not_tolerated: no step is left on the ladder; treatment stops."""
    return say(ids.REDUCTION_NOT_TOLERATED, count=count, interruption_days=ge14_days())


def not_tolerated_warning(cycle: int, date: dt.date) -> dict[str, str]:
    """A cycle recorded as started after the ladder ended the course (kept as history)."""
    return {
        "code": "cycle_after_not_tolerated",
        "message": render(
            ids.REDUCTION_NOT_TOLERATED,
            "started",
            cycle=cycle,
            date=date,
            interruption_days=ge14_days(),
        ),
    }
