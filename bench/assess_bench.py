"""`assess` in-process on a realistic 6-cycle history: parse the course document and decide.

`bench_assess_in_process()` returns `{"name", "median_ms", "min_ms", "max_ms", "runs", ...}`;
bench/run.py registers it. Target: median <= 2 ms (warm, in-process).
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any

from inocds.clinical.assess import assess_course
from inocds.clinical.documents import parse_course

NAME = "assess_in_process_6_cycles"
TARGET_MEDIAN_MS = 2.0
DEFAULT_RUNS = 200
WARMUP_RUNS = 10

_LIVER = {
    "bilirubin": {"value": 0.7, "uln": 1.2},
    "ast": {"value": 28, "uln": 40},
    "alt": {"value": 30, "uln": 40},
}


def _day(start: str, n: int) -> str:
    return (dt.date.fromisoformat(start) + dt.timedelta(days=n - 1)).isoformat()


def six_cycle_course() -> dict[str, Any]:
    """A course on the day of its sixth cycle's day 8 dose.

    Cycle 1 from 2026-01-05 with day 8 delayed 2 days by a grade 2 toxicity; CR after cycle 1;
    cycle 4 held 14 days by a toxicity (first reduction: 0.375 mg/m2 per dose from cycle 4);
    cycles of 28 days; a labs event and a grade 1 infusion reaction along the way.
    """
    events: list[dict[str, Any]] = []

    def cycle(number: int, first: str, amounts: tuple[float, ...], days=(1, 8, 15)) -> None:
        events.append(
            {
                "type": "cycle_start",
                "date": first,
                "cycle": number,
                "anc_per_mm3": 1500,
                "platelets_per_mm3": 90000,
            }
        )
        for d, amount in zip(days, amounts, strict=True):
            events.append(
                {
                    "type": "dose",
                    "date": _day(first, d),
                    "cycle": number,
                    "day": d,
                    "dose_mg_per_m2": amount,
                }
            )

    # cycle 1: day 8 delayed from 2026-01-12 to 2026-01-14, day 15 on 2026-01-20
    events.append(
        {
            "type": "cycle_start",
            "date": "2026-01-05",
            "cycle": 1,
            "anc_per_mm3": 1500,
            "platelets_per_mm3": 70000,
        }
    )
    for date, d, amount in (
        ("2026-01-05", 1, 0.8),
        ("2026-01-14", 8, 0.5),
        ("2026-01-20", 15, 0.5),
    ):
        events.append(
            {"type": "dose", "date": date, "cycle": 1, "day": d, "dose_mg_per_m2": amount}
        )
    events.append(
        {
            "type": "toxicity",
            "category": "nonhematologic",
            "name": "diarrhea",
            "grade": 2,
            "onset": "2026-01-10",
            "resolved": "2026-01-14",
        }
    )
    events.append(
        {"type": "response", "date": "2026-01-23", "cycle": 1, "status": "CR", "mrd": "positive"}
    )
    cycle(2, "2026-01-26", (0.5, 0.5, 0.5))
    events.append(
        {
            "type": "toxicity",
            "category": "infusion_reaction",
            "name": "chills",
            "grade": 1,
            "onset": "2026-01-26",
            "resolved": "2026-01-26",
        }
    )
    events.append(
        {
            "type": "labs",
            "date": "2026-02-10",
            "anc_per_mm3": 900,
            "platelets_per_mm3": 60000,
            **_LIVER,
        }
    )
    cycle(3, "2026-02-23", (0.5, 0.5, 0.5))
    # cycle 4 due 2026-03-23, held by a toxicity until 2026-04-06 (14 days): reduced_25 from here
    events.append(
        {
            "type": "toxicity",
            "category": "nonhematologic",
            "name": "fatigue",
            "grade": 2,
            "onset": "2026-03-20",
            "resolved": "2026-04-06",
        }
    )
    cycle(4, "2026-04-06", (0.375, 0.375, 0.375))
    cycle(5, "2026-05-04", (0.375, 0.375, 0.375))
    cycle(6, "2026-06-01", (0.375,), days=(1,))
    return {
        "patient": {
            "birth_date": "1968-04-02",
            "sex": "female",
            "height_cm": 165,
            "weight_kg": 62,
            "can_become_pregnant": False,
            "hsct_planned": False,
            "pretreatment": {
                "anc_per_mm3": 1500,
                "platelets_per_mm3": 70000,
                "peripheral_blasts_per_mm3": 3000,
                **_LIVER,
            },
            "history": {
                "prior_hsct": False,
                "liver_disease": False,
                "prior_vod": False,
                "salvage_line": 2,
            },
            "medications": ["ondansetron", "fluconazole"],
        },
        "events": events,
        "today": {
            "date": "2026-06-08",
            "labs": {"anc_per_mm3": 1400, "platelets_per_mm3": 85000, **_LIVER},
        },
    }


def bench_assess_in_process(runs: int = DEFAULT_RUNS) -> dict[str, Any]:
    """Times `assess_course(parse_course(doc))` warm, in-process, on the 6-cycle course."""
    doc = six_cycle_course()
    decision = assess_course(parse_course(doc))
    for _ in range(WARMUP_RUNS):
        assess_course(parse_course(doc))
    samples_ns: list[int] = []
    parse_ns: list[int] = []
    for _ in range(runs):
        start = time.perf_counter_ns()
        parsed = parse_course(doc)
        middle = time.perf_counter_ns()
        assess_course(parsed)
        samples_ns.append(time.perf_counter_ns() - start)
        parse_ns.append(middle - start)
    ms = [ns / 1e6 for ns in samples_ns]
    median = statistics.median(ms)
    parse_median = statistics.median(ns / 1e6 for ns in parse_ns)
    decision_median = statistics.median(
        (t - p) / 1e6 for t, p in zip(samples_ns, parse_ns, strict=True)
    )
    return {
        "name": NAME,
        "median_ms": round(median, 3),
        "median_includes": "parse_course (strict validation of the JSON document) + assess_course",
        "decision_median_ms": round(decision_median, 3),
        "decision_meets_target": decision_median <= TARGET_MEDIAN_MS,
        "min_ms": round(min(ms), 3),
        "max_ms": round(max(ms), 3),
        "runs": runs,
        "parse_median_ms": round(parse_median, 3),
        "target_median_ms": TARGET_MEDIAN_MS,
        "meets_target": median <= TARGET_MEDIAN_MS,
        "events": len(doc["events"]),
        "course_days": (dt.date.fromisoformat(doc["today"]["date"]) - dt.date(2026, 1, 5)).days + 1,
        "answer": {k: decision.to_dict()[k] for k in ("action", "cycle", "day", "dose_level")},
    }


if __name__ == "__main__":
    print(bench_assess_in_process())
