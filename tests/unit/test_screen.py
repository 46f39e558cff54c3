"""The safety screen: reproductive windows, VOD risk factors, cytoreduction,
eligibility, monitoring, premedication and the source-conflict data."""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from inocds.clinical.documents import parse_course
from inocds.clinical.screen import VOD_FACTORS, add_months, age_in_years, run_screen

EXAMPLES = Path("/work/shared/examples")

BASE: dict[str, Any] = {
    "patient": {
        "birth_date": "1980-06-15",
        "sex": "female",
        "height_cm": 165,
        "weight_kg": 62,
        "can_become_pregnant": True,
        "hsct_planned": False,
        "pretreatment": {
            "anc_per_mm3": 1800,
            "platelets_per_mm3": 80000,
            "peripheral_blasts_per_mm3": 3000,
            "bilirubin": {"value": 0.6, "uln": 1.2},
            # liver tests before the first dose (labs.missing would otherwise hold it)
            "ast": {"value": 25, "uln": 40},
            "alt": {"value": 22, "uln": 40},
        },
        "history": {
            "prior_hsct": False,
            "liver_disease": False,
            "prior_vod": False,
            "salvage_line": 1,
        },
        "medications": [],
    },
    "events": [],
    "today": {"date": "2026-01-05"},
}


def course(**changes: Any) -> dict[str, Any]:
    """A copy of BASE with dotted-path changes, e.g. `patient__sex="male"`."""
    doc = copy.deepcopy(BASE)
    for path, value in changes.items():
        *parents, leaf = path.split("__")
        node = doc
        for key in parents:
            node = node[key]
        node[leaf] = value
    return doc


def doses_on(*dates: str) -> list[dict[str, Any]]:
    """Cycle 1 start plus one dose per date (days 1, 8, 15 in order)."""
    events: list[dict[str, Any]] = [{"type": "cycle_start", "date": dates[0], "cycle": 1}]
    for day, date in zip((1, 8, 15), dates, strict=False):
        events.append({"type": "dose", "date": date, "cycle": 1, "day": day, "dose_mg_per_m2": 0.5})
    return events


def screen(doc: dict[str, Any]) -> dict[str, Any]:
    """Runs the screen on a request document."""
    return run_screen(doc)


# ---------------------------------------------------------------- date arithmetic


def test_add_months_clamps_to_month_end() -> None:
    """Adding calendar months keeps the day, or clamps it to the target month's last day."""
    # 2026-06-30 + 8 months -> February 2027, which has 28 days -> 2027-02-28
    assert add_months(dt.date(2026, 6, 30), 8) == dt.date(2027, 2, 28)
    # 2026-01-31 + 1 month -> February 2026 (28 days) -> 2026-02-28
    assert add_months(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    # 2027-08-31 + 6 months -> February 2028, a leap year -> 2028-02-29
    assert add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)
    # 2026-11-15 + 2 months crosses the year -> 2027-01-15
    assert add_months(dt.date(2026, 11, 15), 2) == dt.date(2027, 1, 15)


def test_age_in_years_counts_completed_years() -> None:
    """Age is in completed years: the birthday itself counts, the day before does not."""
    assert age_in_years(dt.date(1971, 1, 5), dt.date(2026, 1, 5)) == 55
    assert age_in_years(dt.date(1971, 1, 6), dt.date(2026, 1, 5)) == 54


# ---------------------------------------------------------------- VOD risk factors


def test_no_vod_risk_factor_in_the_base_patient() -> None:
    """The base patient (45, first salvage, no history, normal bilirubin) has no factor."""
    assert screen(course())["vod_risk_factors"] == []


def test_age_55_exactly_on_today_counts() -> None:
    """A patient who turns 55 on today.date has the age factor."""
    # born 1971-01-05, today 2026-01-05: 2026 - 1971 = 55 completed years
    result = screen(course(patient__birth_date="1971-01-05"))
    assert result["vod_risk_factors"] == ["age_55_or_more"]
    assert "55" in result["vod_risk_details"][0]["message"]


def test_age_54_years_364_days_does_not_count() -> None:
    """A patient whose 55th birthday is tomorrow does not have the age factor."""
    # born 1971-01-06, today 2026-01-05: the birthday is one day away -> 54 years 364 days
    assert screen(course(patient__birth_date="1971-01-06"))["vod_risk_factors"] == []


def test_salvage_line_1_vs_2() -> None:
    """Salvage line 2 is a later salvage line; line 1 is not."""
    assert screen(course(patient__history__salvage_line=1))["vod_risk_factors"] == []
    result = screen(course(patient__history__salvage_line=2))
    assert result["vod_risk_factors"] == ["later_salvage_line"]


def test_salvage_line_unknown_is_reported_as_unknown() -> None:
    """An unrecorded salvage line is no factor but is listed as not evaluable."""
    result = screen(course(patient__history__salvage_line=None))
    assert result["vod_risk_factors"] == []
    assert [u["id"] for u in result["vod_risk_unknown"]] == ["later_salvage_line"]


def test_bilirubin_exactly_at_uln_counts() -> None:
    """Bilirubin equal to the ULN counts; just below does not."""
    at = course(today__labs={"bilirubin": {"value": 1.2, "uln": 1.2}})
    below = course(today__labs={"bilirubin": {"value": 1.19, "uln": 1.2}})
    # 1.2 >= 1.0 x 1.2 -> factor; 1.19 < 1.2 -> none
    assert screen(at)["vod_risk_factors"] == ["bilirubin_at_or_above_uln"]
    assert screen(below)["vod_risk_factors"] == []


def test_bilirubin_uses_latest_lab_event_over_pretreatment() -> None:
    """Without today's bilirubin, the latest lab event wins over the pretreatment value."""
    events = [
        *doses_on("2026-01-05"),
        {"type": "labs", "date": "2026-01-07", "bilirubin": {"value": 0.5, "uln": 1.2}},
        {"type": "labs", "date": "2026-01-09", "bilirubin": {"value": 1.3, "uln": 1.2}},
    ]
    # pretreatment 0.6 < 1.2, but the 2026-01-09 value 1.3 >= 1.2
    result = screen(course(events=events, today__date="2026-01-10"))
    assert result["vod_risk_factors"] == ["bilirubin_at_or_above_uln"]
    assert "2026-01-09" in result["vod_risk_details"][0]["message"]


def test_pretreatment_bilirubin_used_when_nothing_later() -> None:
    """With no later bilirubin, the pretreatment value decides."""
    doc = course(patient__pretreatment__bilirubin={"value": 1.5, "uln": 1.2})
    assert screen(doc)["vod_risk_factors"] == ["bilirubin_at_or_above_uln"]


def test_cycles_more_than_2() -> None:
    """A third cycle started is a factor; two cycles are not."""
    two = [
        {"type": "cycle_start", "date": "2026-01-05", "cycle": 1},
        {"type": "cycle_start", "date": "2026-01-26", "cycle": 2},
    ]
    three = [*two, {"type": "cycle_start", "date": "2026-02-23", "cycle": 3}]
    assert screen(course(events=two, today__date="2026-03-01"))["vod_risk_factors"] == []
    result = screen(course(events=three, today__date="2026-03-01"))
    assert result["vod_risk_factors"] == ["cycles_more_than_2"]


def test_all_factors_in_contract_order() -> None:
    """Every factor present comes out in the contract's order, each with rule and source."""
    doc = course(
        patient__birth_date="1950-01-01",
        patient__hsct_planned=True,
        patient__history={
            "prior_hsct": True,
            "liver_disease": True,
            "prior_vod": True,
            "salvage_line": 3,
        },
        patient__pretreatment__bilirubin={"value": 2.0, "uln": 1.2},
        events=[
            {"type": "cycle_start", "date": "2026-01-05", "cycle": 1},
            {"type": "cycle_start", "date": "2026-01-26", "cycle": 2},
            {"type": "cycle_start", "date": "2026-02-23", "cycle": 3},
        ],
        today__date="2026-03-01",
    )
    result = screen(doc)
    assert result["vod_risk_factors"] == list(VOD_FACTORS)
    for detail in result["vod_risk_details"]:
        assert detail["rule"] == f"vod.{detail['id']}"
        assert detail["source"]


# ---------------------------------------------------------------- cytoreduction


def test_cytoreduction_threshold_is_strictly_above_10000() -> None:
    """10,000 blasts/mm3 needs no cytoreduction; 10,001 does."""
    at = course(patient__pretreatment__peripheral_blasts_per_mm3=10000)
    above = course(patient__pretreatment__peripheral_blasts_per_mm3=10001)
    assert screen(at)["cytoreduction_required"] is False
    assert screen(above)["cytoreduction_required"] is True


# ---------------------------------------------------------------- eligibility


def test_eligibility_unknown_without_diagnosis() -> None:
    """Without a diagnosis block every disease criterion is unknown; the age views still apply."""
    elig = screen(course())["eligibility"]
    assert elig["cd22_positive"] == "unknown"
    assert elig["b_cell_precursor_all"] == "unknown"
    assert elig["relapsed_or_refractory"] == "unknown"
    assert (elig["age_us"], elig["age_eu"]) == ("met", "met")
    assert elig["overall_us"] == "unknown"


def test_eligibility_met() -> None:
    """An adult with all three disease criteria true meets both the US and EU views."""
    diagnosis = {
        "cd22_positive": True,
        "b_cell_precursor_all": True,
        "relapsed_or_refractory": True,
    }
    elig = screen(course(patient__diagnosis=diagnosis))["eligibility"]
    assert (elig["overall_us"], elig["overall_eu"]) == ("met", "met")


def test_eligibility_not_met_on_cd22_negative() -> None:
    """A CD22-negative leukaemia does not meet the indication."""
    diagnosis = {
        "cd22_positive": False,
        "b_cell_precursor_all": True,
        "relapsed_or_refractory": None,
    }
    elig = screen(course(patient__diagnosis=diagnosis))["eligibility"]
    assert elig["cd22_positive"] == "not_met"
    assert elig["relapsed_or_refractory"] == "unknown"
    assert elig["overall_us"] == "not_met"


def test_child_meets_us_age_but_not_eu() -> None:
    """A 10-year-old meets the US age criterion (from 1 year) but not the EU one (adults)."""
    diagnosis = {
        "cd22_positive": True,
        "b_cell_precursor_all": True,
        "relapsed_or_refractory": True,
    }
    doc = course(
        patient__birth_date="2015-06-01",
        patient__height_cm=140,
        patient__weight_kg=32,
        patient__can_become_pregnant=False,
        patient__diagnosis=diagnosis,
    )
    result = screen(doc)
    elig = result["eligibility"]
    assert elig["age_years"] == 10
    assert (elig["age_us"], elig["age_eu"]) == ("met", "not_met")
    assert (elig["overall_us"], elig["overall_eu"]) == ("met", "not_met")
    # pediatric premedication: 1 mg/kg x 32 kg = 32 mg, below the 50 mg cap
    assert result["premedication_details"]["pediatric"]["dose_mg"] == 32


def test_infant_under_1_year_fails_both_age_views() -> None:
    """A 6-month-old is below the US minimum age of 1 year."""
    doc = course(
        patient__birth_date="2025-07-05",
        patient__height_cm=65,
        patient__weight_kg=7,
        patient__can_become_pregnant=False,
    )
    elig = screen(doc)["eligibility"]
    assert elig["age_years"] == 0
    assert (elig["age_us"], elig["age_eu"]) == ("not_met", "not_met")


# ---------------------------------------------------------------- premedication and monitoring


def test_premedication_list_and_adult_has_no_pediatric_dose() -> None:
    """The premedication list is the three agents; adults get no weight-based steroid dose."""
    result = screen(course())
    assert result["premedication"] == ["corticosteroid", "antipyretic", "antihistamine"]
    assert result["premedication_details"]["pediatric"] is None


def test_pediatric_methylprednisolone_is_capped_at_50_mg() -> None:
    """A heavy adolescent's methylprednisolone dose stops at 50 mg."""
    doc = course(patient__birth_date="2010-01-01", patient__weight_kg=70)
    # 1 mg/kg x 70 kg = 70 mg -> capped at 50 mg
    assert screen(doc)["premedication_details"]["pediatric"]["dose_mg"] == 50


def test_monitoring_without_doses_starts_today() -> None:
    """With no event, dose-tied checks fall on today.date, the first dose's day."""
    checks = {m["check"]: m for m in screen(course())["monitoring"]}
    # the first dose is due on today.date; later ones come from the course engine's plan
    # when it is installed (cycle 1: days 1, 8, 15 -> 2026-01-05, 01-12, 01-19)
    assert checks["cbc"]["due"][0] == "2026-01-05"
    assert set(checks["cbc"]["due"]) <= {"2026-01-05", "2026-01-12", "2026-01-19"}
    assert checks["ecg_electrolytes"]["due"] == ["2026-01-05"]
    assert checks["pregnancy_test"]["due"] == ["2026-01-05"]
    assert checks["hbv_screening"]["due"] == ["2026-01-05"]
    assert "lfts_post_hsct" not in checks
    # VOD watch runs to the last dose + 56 days (2026-01-19 + 56 days = 2026-03-16)
    last = dt.date.fromisoformat(checks["cbc"]["due"][-1])
    until = (last + dt.timedelta(days=56)).isoformat()
    assert checks["vod_signs"]["window"] == {"from": "2026-01-05", "until": until}


def test_monitoring_covers_recorded_doses_and_hsct() -> None:
    """Recorded doses carry CBC and LFT checks; a planned transplant adds post-HSCT liver tests."""
    doc = course(
        patient__hsct_planned=True,
        patient__sex="male",
        patient__can_become_pregnant=False,
        events=doses_on("2026-01-05", "2026-01-12"),
        today__date="2026-01-13",
    )
    checks = {m["check"]: m for m in screen(doc)["monitoring"]}
    assert {"2026-01-05", "2026-01-12"} <= set(checks["cbc"]["due"])
    lft_bases = [d["basis"] for d in checks["lfts"]["due_details"] if d["date"] == "2026-01-05"]
    assert lft_bases == [
        "before the recorded dose, cycle 1 day 1",
        "after the recorded dose, cycle 1 day 1",
    ]
    assert "pregnancy_test" not in checks
    assert checks["lfts_post_hsct"]["due"] == []
    assert checks["hbv_screening"]["due"] == ["2026-01-05"]


# ---------------------------------------------------------------- the contract's example


def test_example_request_gives_the_example_answer() -> None:
    """The shared example request reproduces the example answer's values."""
    request = json.loads((EXAMPLES / "screen-request.json").read_text())
    expected = json.loads((EXAMPLES / "screen-response.json").read_text())
    answer = run_screen(request)
    assert answer["vod_risk_factors"] == expected["vod_risk_factors"] == ["hsct_planned"]
    assert answer["cytoreduction_required"] is expected["cytoreduction_required"] is False
    assert answer["premedication"] == expected["premedication"]
    # male, cycle 1 day 1 given 2026-05-04, days 8 and 15 still planned; `plan` gives
    # cycle 2 from 05-04 + 21 = 05-25 on days 1, 8, 15 = 05-25, 06-01, 06-08.
    # Last planned dose 2026-06-08 + 5 months = 2026-11-08 (CONTRACT.md v1.1; the shared
    # example's 2026-10-04 counts from the recorded 05-04, the v1 reading).
    assert answer["reproductive"]["contraception_until"] == "2026-11-08"
    assert answer["reproductive"]["basis"] == "last_planned_dose"
    assert answer["reproductive"]["no_breastfeeding_until"] is None
    [hit] = answer["interactions"]
    want = expected["interactions"][0]
    assert (hit["drug"], hit["matched_entry"], hit["risk"]) == (
        want["drug"],
        want["matched_entry"],
        want["risk"],
    )
    assert hit["source"].startswith("000_c5f9e82afaac5f57.txt")
    assert answer["unmatched"] == []
    assert answer["monitoring"] and answer["source_conflicts"]
    assert all({"rule", "message", "source"} == set(r) for r in answer["reasons"])


def test_bad_input_is_refused() -> None:
    """A typo in a field name is an input error, not a silent default."""
    from inocds.clinical.validation import InputError

    doc = course()
    doc["patient"]["wieght_kg"] = 60
    with pytest.raises(InputError):
        run_screen(doc)


def test_parse_course_accepts_the_base_document() -> None:
    """The test's base document is itself valid input."""
    assert parse_course(course()).patient.sex == "female"


def test_dose_tied_checks_fall_on_recorded_and_planned_dates() -> None:
    """Dose-tied checks fall on the recorded dose, the rest of the cycle and the planned cycle."""
    doc = course(events=doses_on("2026-01-05"), today__date="2026-01-06")
    checks = {m["check"]: m for m in screen(doc)["monitoring"]}
    # day 1 recorded on 2026-01-05; days 8 and 15 nominal: 2026-01-12 and 2026-01-19;
    # cycle 2 from `plan`: 2026-01-26, 2026-02-02, 2026-02-09
    assert checks["cbc"]["due"] == [
        "2026-01-05",
        "2026-01-12",
        "2026-01-19",
        "2026-01-26",
        "2026-02-02",
        "2026-02-09",
    ]
