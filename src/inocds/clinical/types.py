"""The clinical core's closed vocabularies, defined once as `Literal` types.

The values are the contract's JSON strings (CONTRACT.md), so an answer serialises
unchanged; mypy (strict on `clinical/`) refuses a misspelt state, level or action.
"""

from __future__ import annotations

from typing import Final, Literal

__all__ = [
    "DOSE_LEVELS",
    "RESPONDED",
    "Action",
    "CourseEnd",
    "DoseLevel",
    "HepaticState",
    "LogKind",
    "ResponseStatus",
]

Action = Literal["give", "delay", "omit", "hold", "discontinue", "complete", "none_due"]
"""What `assess` answers for today.date."""

CourseEnd = Literal["complete", "discontinue"]
"""How a course ends (duration.*, stops): the `action` of assess and plan with no dose."""

DoseLevel = Literal["full", "reduced_25", "two_doses"]
"""A cycle's dose level on the reduction ladder (reduction.level1, reduction.level2)."""

DOSE_LEVELS: Final[tuple[DoseLevel, ...]] = ("full", "reduced_25", "two_doses")
"""Dose levels in the order of the ladder; a level is never left for a lower index."""

HepaticState = Literal["interrupt", "recovered"]
"""What a set of liver tests does to hepatic.interrupt (None: no change of state)."""

ResponseStatus = Literal["CR", "CRi", "none"]
"""A response assessment's status (the course document's `response` event)."""

RESPONDED: Final[frozenset[str]] = frozenset({"CR", "CRi"})
"""The statuses that count as CR/CRi (regimen.subsequent_cr, duration.*)."""

LogKind = Literal["started", "given", "omitted", "skipped", "resumed"]
"""A step of the course narrative: omitted (a decision of the walk), skipped (history)."""
