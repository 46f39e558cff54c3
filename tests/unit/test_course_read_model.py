"""The course read model parses a course once and walks it once (issue 11, item 2)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from inocds.clinical import assess, course, explain, plan
from inocds.services import course_page

TODAY = dt.date(2026, 5, 25)
DOCUMENT: dict[str, Any] = {
    "patient": {
        "birth_date": "1970-01-01",
        "sex": "female",
        "height_cm": 165,
        "weight_kg": 62,
        "hsct_planned": False,
        "pretreatment": {"anc_per_mm3": 1800, "platelets_per_mm3": 90000},
        "history": {"prior_hsct": False, "liver_disease": False, "prior_vod": False},
        "medications": [],
        "can_become_pregnant": False,
    },
    "events": [
        {"type": "cycle_start", "date": "2026-05-04", "cycle": 1},
        {"type": "dose", "date": "2026-05-04", "cycle": 1, "day": 1, "dose_mg_per_m2": 0.8},
        {"type": "dose", "date": "2026-05-11", "cycle": 1, "day": 8, "dose_mg_per_m2": 0.5},
        {"type": "dose", "date": "2026-05-18", "cycle": 1, "day": 15, "dose_mg_per_m2": 0.5},
        {
            "type": "labs",
            "date": "2026-05-25",
            "anc_per_mm3": 600,
            "platelets_per_mm3": 85000,
            "bilirubin": {"value": 0.6, "uln": 1.2},
            "ast": {"value": 20, "uln": 40},
            "alt": {"value": 20, "uln": 40},
        },
    ],
    "today": {"date": TODAY.isoformat()},
}


@pytest.mark.parametrize("full", [True, False])
def test_read_course_walks_the_course_once(monkeypatch: pytest.MonkeyPatch, full: bool) -> None:
    """One `build_course` call for the decision, the explanation, the plan and the screen."""
    calls: list[int] = []
    real = course.build_course

    def counted(doc: Any) -> Any:
        calls.append(1)
        return real(doc)

    for module in (course_page, assess, explain, plan):
        monkeypatch.setattr(module, "build_course", counted)
    read = course_page.read_course(DOCUMENT, full=full)
    assert read.problem is None and read.decision is not None and read.screen is not None
    assert len(calls) == 1


def test_the_hold_and_its_dose_history_come_from_the_one_walk() -> None:
    """Cycle 2 due 2026-05-25 (day 1 + 21) with ANC 600 < 1,000: hold (heme.anc_gate);
    0.8 + 0.5 + 0.5 = 1.8 mg/m² given; over 28 days held from 2026-05-25 + 29 = 2026-06-23."""
    from inocds.clinical.timeline import dose_history

    read = course_page.read_course(DOCUMENT)
    assert read.decision is not None and read.decision["action"] == "hold"
    assert "heme.anc_gate" in [r["rule"] for r in read.decision["reasons"]]
    assert read.state is not None
    assert dose_history(read.state)["total_mg_per_m2"] == 1.8
    assert read.review_from == dt.date(2026, 6, 23)


def test_the_worklist_line_names_the_rule_that_holds_the_dose() -> None:
    """The hold's line is its heme.anc_gate reason ("ANC 600/mm3 is below 1000 …"), not the
    regimen line, without the slot prefix; a give line names the dose."""
    from inocds.services.worklist import one_line_reason

    read = course_page.read_course(DOCUMENT)
    assert one_line_reason(read.decision).startswith("hold: ANC 600/mm3 is below 1000")
    give = {"action": "give", "cycle": 1, "day": 8, "dose_mg_per_m2": 0.5, "dose_mg": 0.84}
    assert one_line_reason(give) == "give: cycle 1 day 8, 0.5 mg/m² = 0.84 mg"
