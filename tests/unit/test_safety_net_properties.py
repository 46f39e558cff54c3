"""Safety-net properties over the simulated courses of test_course_properties (issue 9, item 7).

The simulated team follows the engine; each property then takes the documents it held
and checks that `plan` agrees with `assess` on the next date, that removing pre-dose
labs, putting an off-table liver value or removing the response never leaves a plain
`give` (a give without clinician review), and that every rule id cited exists.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

from hypothesis import given, seed
from tests.unit.test_course_properties import (
    SESSION_SEED,
    SETTINGS,
    Params,
    course_params,
    simulate,
)

from inocds.clinical.assess import Decision, assess_course
from inocds.clinical.documents import parse_course
from inocds.clinical.plan import plan_course
from inocds.protocol.loader import load_protocol

LIVER = ("bilirubin", "ast", "alt")
GAP_DAYS = 6  # schedule.min_interval, checked against the protocol below


def _assess(raw: dict[str, Any]) -> Decision:
    return assess_course(parse_course(raw))


def _plain_give(decision: Decision) -> bool:
    return decision.action == "give" and not decision.needs_clinician_review


def _given_days(p: Params) -> list[Any]:
    return [d for d in simulate(p).days if d.decision.action == "give"]


def test_gap_matches_the_protocol() -> None:
    """The 6 days used below are schedule.min_interval's."""
    rule = load_protocol()["schedule.min_interval"]
    assert rule.integer("min_days_between_doses") == GAP_DAYS


@seed(SESSION_SEED)
@SETTINGS
@given(course_params())
def test_plan_never_before_the_next_dose_assess_allows(p: Params) -> None:
    """plan's day 1 is on or after the date assess allows (today for give, else next_dose_date)."""
    for day in simulate(p).days[::3]:
        decision = day.decision
        if decision.action in ("discontinue", "complete"):
            continue
        plan = plan_course(parse_course(day.raw))
        if not plan.doses:
            continue
        allowed = day.date if decision.action == "give" else decision.next_dose_date
        if allowed is None:
            continue
        first = plan.doses[0].date
        assert first >= allowed, (p, day.date, decision.action, allowed, first)
        if decision.cycle is not None and plan.cycle is not None and decision.cycle < plan.cycle:
            # a dose of the cycle in progress comes first, then 6 days before the next cycle
            assert first >= allowed + dt.timedelta(days=GAP_DAYS), (p, day.date, first)


def _without_liver_since_last_dose(raw: dict[str, Any]) -> dict[str, Any]:
    doc = copy.deepcopy(raw)
    doses = [
        e["date"] for e in doc["events"] if e["type"] == "dose" and e["date"] < doc["today"]["date"]
    ]
    last = max(doses, default=None)
    for name in LIVER:
        doc["today"]["labs"].pop(name, None)
        if last is None:
            doc["patient"]["pretreatment"].pop(name, None)
    doc["events"] = [
        e for e in doc["events"] if not (e["type"] == "labs" and (last is None or e["date"] > last))
    ]
    return doc


@seed(SESSION_SEED)
@SETTINGS
@given(course_params())
def test_missing_pre_dose_liver_tests_never_give(p: Params) -> None:
    """Without bilirubin/AST/ALT since the last dose, a dose that was given is not given."""
    for day in _given_days(p):
        decision = _assess(_without_liver_since_last_dose(day.raw))
        # mostly hold/delay citing labs.missing; dropping the labs events may also drop the
        # recovery that ended a liver interruption (then the interruption delays the dose),
        # or move what is due (omit, none_due): never a give
        assert decision.action != "give", (p, day.date, decision.action)
        cited = {r.rule for r in decision.reasons}
        other = {r for r in cited if r.split(".")[0] in ("hepatic", "nonheme", "heme")}
        if decision.action in ("hold", "delay") and not other:
            assert "labs.missing" in cited, (p, day.date, cited)


@seed(SESSION_SEED)
@SETTINGS
@given(course_params())
def test_missing_counts_never_start_a_cycle(p: Params) -> None:
    """Without that day's ANC and platelets, no cycle 2+ day 1 is given."""
    for day in _given_days(p):
        if day.decision.day != 1 or (day.decision.cycle or 0) < 2:
            continue
        doc = copy.deepcopy(day.raw)
        doc["today"]["labs"].pop("anc_per_mm3")
        doc["today"]["labs"].pop("platelets_per_mm3")
        decision = _assess(doc)
        # hold; or omit, when a dose of the cycle before was omitted that same morning
        assert decision.action in ("hold", "omit"), (p, day.date, decision.action)


@seed(SESSION_SEED)
@SETTINGS
@given(course_params())
def test_off_table_liver_value_never_plain_give(p: Params) -> None:
    """Bilirubin 4 x ULN (> 3, grade 3) or ALT 6 x ULN (> 5) never leaves a give."""
    for day in _given_days(p)[::2]:
        for name, value in (
            ("bilirubin", {"value": 4.8, "uln": 1.2}),
            ("alt", {"value": 240, "uln": 40}),
        ):
            doc = copy.deepcopy(day.raw)
            doc["today"]["labs"][name] = value
            decision = _assess(doc)
            assert decision.action != "give", (p, day.date, name)
            assert decision.needs_clinician_review, (p, day.date, name)


@seed(SESSION_SEED)
@SETTINGS
@given(course_params())
def test_missing_response_never_plain_give(p: Params) -> None:
    """Without any response on record, a later cycle's day 1 is never a plain give."""
    for day in _given_days(p):
        if day.decision.day != 1 or (day.decision.cycle or 0) < 2:
            continue
        doc = copy.deepcopy(day.raw)
        doc["events"] = [e for e in doc["events"] if e["type"] != "response"]
        assert not _plain_give(_assess(doc)), (p, day.date)


@seed(SESSION_SEED)
@SETTINGS
@given(course_params())
def test_every_cited_rule_id_exists(p: Params) -> None:
    """Every reason of every answer (and every history.* warning) names a protocol rule."""
    protocol = load_protocol()
    course = simulate(p)
    answers: list[dict[str, Any]] = [d.decision.to_dict() for d in course.days]
    answers += [plan.to_dict() for _, plan in course.plans]
    for answer in answers:
        for reason in answer["reasons"]:
            assert reason["rule"] in protocol, reason
        for warning in answer.get("warnings", []):
            if warning["code"].startswith("history."):
                assert warning["code"] in protocol, warning
