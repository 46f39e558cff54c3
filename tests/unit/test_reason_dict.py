"""Reason.to_dict copies the instance dict; regimen.cycle1's reason is made once per regimen.

Both are fast forms of what they replace (issue 13): these tests hold them to the plain
forms, so a field added to Reason, a reordered `__init__` or a stale cached reason fails.
"""

from __future__ import annotations

import datetime as dt
import pickle

import pytest

from inocds.clinical.reasons import Reason, cite
from inocds.clinical.rules import ids
from inocds.clinical.rules.regimen import cycle_regimen, regimen_reasons
from inocds.clinical.rules.text import say
from inocds.clinical.types import DOSE_LEVELS, replaced


def _plain(r: Reason) -> dict[str, str]:
    return {"rule": r.rule, "message": r.message, "source": r.source}


REASONS = [
    Reason("a.rule", "a message", "a source"),
    cite(ids.PREMEDICATION, "m"),
    say(ids.HEME_WITHIN_CYCLE, counts="ANC 400/mm3", day=8),
    replaced(Reason("r", "m", "s"), message="changed"),
    pickle.loads(pickle.dumps(Reason("r", "m", "s"))),
]


@pytest.mark.parametrize("reason", REASONS)
def test_to_dict_is_the_plain_form_in_contract_order(reason: Reason) -> None:
    found = reason.to_dict()
    assert found == _plain(reason)
    assert list(found) == ["rule", "message", "source"]
    found["message"] = "edited"  # a copy: the frozen reason is untouched
    assert reason.message != "edited"


@pytest.mark.parametrize("level", DOSE_LEVELS)
def test_cycle1_reason_is_the_render_of_its_regimen(level: str) -> None:
    regimen = cycle_regimen(1, False, level)  # type: ignore[arg-type]
    expected = say(ids.REGIMEN_CYCLE1, amounts=regimen.amounts_text)
    assert regimen.cycle1_reason == expected
    assert regimen_reasons(regimen, None, [], dt.date(2026, 5, 11))[0] == expected
