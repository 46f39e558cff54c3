"""The pharmacy day's vial plan (`clinical/vials.py`): counts, draws, limits and bad input.

Numbers: a vial delivers 0.9 mg at 0.25 mg/mL (prep.vial, prep.reconstitution) and a
reconstituted vial serves dilutions within 4 h (prep.reconstituted_storage).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.vial_oracle import exhaustive_min_vials

from inocds.clinical.validation import InputError
from inocds.clinical.vials import PlanDose, plan_vials, run_vial_plan

DAY = dt.datetime(2026, 12, 1, tzinfo=dt.timezone(dt.timedelta(hours=1)))
VIAL_UG = 900
WINDOW = dt.timedelta(hours=4)


def at(hour: float) -> str:
    """An ISO timestamp `hour` hours after midnight on the test day (UTC+1)."""
    return (DAY + dt.timedelta(hours=hour)).isoformat()


def request(policy: str, *doses: tuple[str, str, float, float], **extra: Any) -> dict[str, Any]:
    """A vial-plan request from (id, patient, mg, hour) tuples."""
    return {
        "policy": policy,
        "doses": [
            {"id": i, "patient": p, "dose_mg": mg, "dilute_at": at(h)} for i, p, mg, h in doses
        ],
        **extra,
    }


THREE = (("a", "P1", 1.34, 9), ("b", "P2", 0.84, 10), ("c", "P3", 0.46, 11))


def test_three_doses_need_three_vials_shared() -> None:
    """1.34 + 0.84 + 0.46 = 2.64 mg within 2 h: ceil(2.64 / 0.9) = 3 vials when shared."""
    answer = run_vial_plan(request("across_patients", *THREE))
    assert (answer["vials_opened"], answer["lower_bound"]) == (3, 3)
    # 3 x 0.9 - 2.64 = 0.06 mg wasted; 0.06 / 0.9 x 27,489.60 = 1,832.64 USD
    assert (answer["waste_mg"], answer["waste_usd"]) == (0.06, 1832.64)
    assert answer["saved_usd"] == 27489.6


def test_three_doses_need_four_vials_without_sharing() -> None:
    """Alone: 1.34 mg takes 2 vials, 0.84 and 0.46 mg one each: 4 vials."""
    answer = run_vial_plan(request("none", *THREE))
    assert answer["vials_opened"] == answer["vials_without_sharing"] == 4
    # 4 x 0.9 - 2.64 = 0.96 mg wasted
    assert answer["waste_mg"] == 0.96
    assert answer["saved_usd"] == 0


def test_doses_six_hours_apart_cannot_share() -> None:
    """0.4 mg at 08:00 and 0.4 mg at 14:00: 6 h > 4 h, so two vials though 0.8 mg fits one."""
    answer = run_vial_plan(request("across_patients", ("a", "P1", 0.4, 8), ("b", "P2", 0.4, 14)))
    assert answer["vials_opened"] == 2
    assert answer["lower_bound"] == 1


def test_doses_exactly_four_hours_apart_share() -> None:
    """0.4 mg at 08:00 and 0.4 mg at 12:00: within 4 h (inclusive), one vial."""
    answer = run_vial_plan(request("across_patients", ("a", "P1", 0.4, 8), ("b", "P2", 0.4, 12)))
    assert answer["vials_opened"] == 1
    assert answer["vials"][0]["dilute_by"] == at(12)


def test_same_patient_shares_only_within_a_patient() -> None:
    """Two patients' 0.4 mg doses at 09:00 get a vial each under same_patient."""
    doses = (("a", "P1", 0.4, 9), ("b", "P2", 0.4, 9), ("c", "P1", 0.4, 10))
    answer = run_vial_plan(request("same_patient", *doses))
    assert answer["vials_opened"] == 2
    assert all(len(v["patients"]) == 1 for v in answer["vials"])


def test_draws_give_each_dose_its_mg_and_ml() -> None:
    """1.34 mg draws 0.9 + 0.44 mg; at 0.25 mg/mL, 3.6 mL + 1.76 mL."""
    answer = run_vial_plan(request("none", ("a", "P1", 1.34, 9)))
    draws = [d for v in answer["vials"] for d in v["draws"]]
    assert [(d["mg"], d["ml"]) for d in draws] == [(0.9, 3.6), (0.44, 1.76)]


def test_price_per_vial_is_overridable() -> None:
    """At 20,000 USD a vial, 0.06 mg wasted costs 0.06 / 0.9 x 20,000 = 1,333.33 USD."""
    answer = run_vial_plan(request("across_patients", *THREE, price_per_vial_usd=20000))
    assert answer["waste_usd"] == 1333.33
    assert answer["price_per_vial_usd"] == 20000


def test_default_policy_is_none() -> None:
    """Without a policy nothing is shared (the vial is labelled single-dose)."""
    raw = request("none", *THREE)
    del raw["policy"]
    assert run_vial_plan(raw)["policy"] == "none"
    assert run_vial_plan(raw)["vials_opened"] == 4


def test_reasons_cite_vial_storage_and_policy() -> None:
    """The reasons cite the vial, the 4 h storage, the policy and the method, with sources."""
    rules = {r["rule"]: r for r in run_vial_plan(request("none", *THREE))["reasons"]}
    assert {"prep.vial", "prep.reconstituted_storage", "pharmacy.vial_sharing"} <= set(rules)
    assert all(r["source"] for r in rules.values())


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"policy": "sometimes"}, "policy"),
        (
            {"doses": [{"id": "a", "patient": "P", "dose_mg": -1, "dilute_at": at(9)}]},
            "doses[0].dose_mg",
        ),
        (
            {"doses": [{"id": "a", "patient": "P", "dose_mg": 0.5, "dilute_at": "9am"}]},
            "doses[0].dilute_at",
        ),
        (
            {"doses": [{"id": "a", "patient": "P", "dose_mg": 0.5, "dilute_at": at(9), "x": 1}]},
            "doses[0].x",
        ),
        (
            {"doses": [{"id": "a", "patient": "P", "dose_mg": 0.5, "dilute_at": at(9)}] * 2},
            "doses[1].id",
        ),
        (
            {
                "doses": [
                    {"id": "a", "patient": "P", "dose_mg": 0.5, "dilute_at": at(9)},
                    {"id": "b", "patient": "P", "dose_mg": 0.5, "dilute_at": at(8)},
                ]
            },
            "doses[1].dilute_at",
        ),
        (
            {"doses": [{"id": "a", "patient": "P", "dose_mg": 0.12345, "dilute_at": at(9)}]},
            "doses[0].dose_mg",
        ),
        ({"price_per_vial_usd": 0}, "price_per_vial_usd"),
        ({"colour": "blue"}, "colour"),
    ],
    ids=[
        "policy",
        "negative",
        "time",
        "unknown",
        "duplicate",
        "order",
        "decimals",
        "price",
        "extra",
    ],
)
def test_bad_input_names_the_field(change: dict[str, Any], field: str) -> None:
    """Bad input raises InputError naming the bad field (exit 2 / HTTP 422)."""
    raw = {**request("across_patients", *THREE), **change}
    with pytest.raises(InputError) as caught:
        run_vial_plan(raw)
    assert field in {e.field for e in caught.value.errors}


# ------------------------------------------------------------------ properties

POLICY = st.sampled_from(["none", "same_patient", "across_patients"])


@st.composite
def days(draw: st.DrawFn, max_doses: int = 8) -> list[PlanDose]:
    """A random day: up to `max_doses` doses of 0.05-2.0 mg, 0-10 h after 08:00, 1-3 patients."""
    n = draw(st.integers(1, max_doses))
    minutes = sorted(draw(st.lists(st.integers(0, 600), min_size=n, max_size=n)))
    return [
        PlanDose(
            id=f"d{i}",
            patient=f"P{draw(st.integers(1, 3))}",
            ug=draw(st.integers(50, 2000)),
            dilute_at=DAY + dt.timedelta(hours=8, minutes=m),
        )
        for i, m in enumerate(minutes)
    ]


@settings(max_examples=300, deadline=None)
@given(day=days(max_doses=30), policy=POLICY)
def test_every_plan_is_valid(day: list[PlanDose], policy: str) -> None:
    """Each dose gets exactly its mg, no vial gives more than 0.9 mg, every draw is within
    4 h after its vial's reconstitution, the policy's sharing holds, and no plan opens more
    vials than one vial set per dose."""
    plan = plan_vials(day, policy)
    by_id = {d.id: d for d in day}
    given_ug = dict.fromkeys(by_id, 0)
    for vial in plan.vials:
        assert sum(ug for _, ug in vial.draws) <= VIAL_UG
        for dose_id, ug in vial.draws:
            assert ug > 0
            given_ug[dose_id] += ug
            assert vial.reconstitute_at <= by_id[dose_id].dilute_at <= vial.reconstitute_at + WINDOW
        if policy == "none":
            assert len({d for d, _ in vial.draws}) == 1
        if policy == "same_patient":
            assert len({by_id[d].patient for d, _ in vial.draws}) == 1
    assert given_ug == {d.id: d.ug for d in day}
    alone = sum(-(-d.ug // VIAL_UG) for d in day)
    assert len(plan.vials) <= alone
    assert len(plan.vials) >= -(-sum(d.ug for d in day) // VIAL_UG)


@settings(max_examples=300, deadline=None)
@given(day=days(), policy=POLICY)
def test_plan_count_equals_exhaustive_search(day: list[PlanDose], policy: str) -> None:
    """On days of up to 8 doses the plan opens as few vials as an exhaustive search finds."""
    assert len(plan_vials(day, policy).vials) == exhaustive_min_vials(day, policy)


def test_two_hundred_doses_plan_quickly() -> None:
    """A 200-dose day plans well under a second (the bench records the figure)."""
    import time

    day = [
        PlanDose(f"d{i}", f"P{i % 40}", 300 + (i * 37) % 1500, DAY + dt.timedelta(minutes=3 * i))
        for i in range(200)
    ]
    raw = {
        "policy": "across_patients",
        "doses": [
            {
                "id": d.id,
                "patient": d.patient,
                "dose_mg": d.ug / 1000,
                "dilute_at": d.dilute_at.isoformat(),
            }
            for d in day
        ],
    }
    start = time.perf_counter()
    answer = run_vial_plan(raw)
    assert time.perf_counter() - start < 1.0
    assert answer["vials_opened"] <= answer["vials_without_sharing"]
