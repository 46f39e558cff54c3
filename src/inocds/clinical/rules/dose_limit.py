"""regimen.max_single_dose: the largest single dose of the protocol (mg/m2).

Kept apart from `rules.regimen` so the `dose` command (and its cold start) reads this one
number without loading the course engine's regimen machinery; `rules.regimen` re-exports it.
"""

from __future__ import annotations

from functools import lru_cache

from inocds.clinical.rules import ids
from inocds.protocol.loader import load_protocol

__all__ = ["max_single_dose"]


@lru_cache(maxsize=1)
def max_single_dose() -> float:
    """regimen.max_single_dose: the largest single dose, mg/m2 (a larger amount needs an
    override with its reason)."""
    return load_protocol()[ids.REGIMEN_MAX_SINGLE_DOSE].number("max_dose_mg_per_m2")
