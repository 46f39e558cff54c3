"""`vial-plan` in-process: a 200-dose day, and the plan against an exhaustive search.

`bench_vial_plan()` returns the timing of a 200-dose day (target: under 1 s, parse
and plan) and, on random days of up to 8 doses, how often the plan's vial count
equals the exhaustive search's (tests/vial_oracle.py): it must be every time.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.vial_oracle import exhaustive_min_vials  # noqa: E402

from inocds.clinical.vials import PlanDose, plan_vials, run_vial_plan  # noqa: E402

NAME = "vial_plan"
TARGET_MS = 1000.0
DAY = dt.datetime(2026, 12, 1, 7, tzinfo=dt.UTC)
POLICIES = ("none", "same_patient", "across_patients")


def two_hundred_doses(seed: int = 200) -> dict[str, Any]:
    """A request of 200 doses (0.3-2.0 mg, 60 patients) diluted over 10 hours."""
    rng = random.Random(seed)
    minutes = sorted(rng.randint(0, 600) for _ in range(200))
    return {
        "policy": "across_patients",
        "doses": [
            {
                "id": f"order-{i}",
                "patient": f"MRN{rng.randint(1, 60):04d}",
                "dose_mg": rng.randint(300, 2000) / 1000,
                "dilute_at": (DAY + dt.timedelta(minutes=m)).isoformat(),
            }
            for i, m in enumerate(minutes)
        ],
    }


def random_small_day(rng: random.Random) -> list[PlanDose]:
    """Up to 8 doses of 0.05-2.0 mg for 1-3 patients within 10 hours."""
    n = rng.randint(1, 8)
    minutes = sorted(rng.randint(0, 600) for _ in range(n))
    return [
        PlanDose(
            f"d{i}", f"P{rng.randint(1, 3)}", rng.randint(50, 2000), DAY + dt.timedelta(minutes=m)
        )
        for i, m in enumerate(minutes)
    ]


def bench_vial_plan(runs: int = 30, days: int = 2000) -> dict[str, Any]:
    """Times the 200-dose day; compares the plan with the exhaustive search on small days."""
    raw = two_hundred_doses()
    run_vial_plan(raw)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        answer = run_vial_plan(raw)
        samples.append((time.perf_counter() - start) * 1000)
    rng = random.Random(8)
    agree = 0
    for _ in range(days):
        day = random_small_day(rng)
        policy = rng.choice(POLICIES)
        agree += len(plan_vials(day, policy).vials) == exhaustive_min_vials(day, policy)
    median = statistics.median(samples)
    return {
        "benchmark": NAME,
        "description": "vial-plan in-process: validate and plan a 200-dose day (across_patients); "
        "plan vs exhaustive search on random days of up to 8 doses",
        "runs": runs,
        "median_ms": round(median, 2),
        "min_ms": round(min(samples), 2),
        "max_ms": round(max(samples), 2),
        "target_ms": TARGET_MS,
        "meets_target": max(samples) < TARGET_MS,
        "vials_opened": answer["vials_opened"],
        "vials_without_sharing": answer["vials_without_sharing"],
        "lower_bound": answer["lower_bound"],
        "exhaustive_days": days,
        "exhaustive_agreements": agree,
        "exhaustive_all_agree": agree == days,
    }
