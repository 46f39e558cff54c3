"""`CycleRegimen.amounts` (the dose by day, made once per cached regimen) says what the
regimen's `(day, mg/m2)` pairs say, for every cycle, response and level."""

from __future__ import annotations

import pytest

from inocds.clinical.rules.regimen import cycle_regimen
from inocds.clinical.types import DOSE_LEVELS


@pytest.mark.parametrize("level", DOSE_LEVELS)
@pytest.mark.parametrize("cr", [False, True])
@pytest.mark.parametrize("cycle", [1, 2, 6])
def test_amounts_are_the_doses_by_day(cycle: int, cr: bool, level: str) -> None:
    regimen = cycle_regimen(cycle, cr, level)  # type: ignore[arg-type]
    assert list(regimen.amounts.items()) == list(regimen.doses)
    for day, amount in regimen.doses:
        assert regimen.amount(day) == amount
    unscheduled = next(d for d in range(1, 29) if d not in regimen.days)
    with pytest.raises(KeyError):
        regimen.amount(unscheduled)
