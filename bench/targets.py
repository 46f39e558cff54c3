"""The issue-13 table: every figure as a ratio with its target, from bench/results/*.json.

`write_table(results)` writes `targets.json` and `targets.md` beside the figures and
returns the Markdown table (the README's benchmark section shows the latest one).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

__all__ = ["write_table"]


def _load(results: Path, name: str) -> dict[str, Any]:
    path = results / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def _row(figure: str, value: float | None, target: str, meets: bool | None) -> dict[str, Any]:
    return {"figure": figure, "value": value, "target": target, "meets_target": meets}


def _rows(results: Path) -> list[dict[str, Any]]:
    http = _load(results, "http")
    dose = _load(results, "dose_cold")
    assess = _load(results, "assess_in_process_6_cycles")
    rows = []
    bare = http.get("assess_over_bare_asgi", {})
    rows.append(
        _row(
            "/api/v1/assess throughput / bare ASGI JSON endpoint (1 worker)",
            bare.get("ratio"),
            ">= 0.5",
            bare.get("meets_target"),
        )
    )
    for backend, stored in http.get("stored_over_stateless", {}).items():
        rows.append(
            _row(
                f"stored-course assess / stateless assess ({backend})",
                stored.get("ratio"),
                ">= 0.5",
                stored.get("meets_target"),
            )
        )
    if assess:
        value = assess.get("median_ms")
        rows.append(
            _row(
                "in-process parse + decision, 6-cycle course (ms)",
                value,
                "<= 1.0",
                None if value is None else value <= 1.0,
            )
        )
    workers = http.get("workers_postgresql", {})
    if "ratio" in workers:
        rows.append(
            _row(
                "stored-course assess, 2 workers / 1 worker (postgresql; "
                f"{workers['one_worker_rps']} -> {workers['two_workers_rps']} requests/s)",
                workers["ratio"],
                "recorded",
                None,
            )
        )
    page = http.get("course_page", {})
    if "ratio" in page:
        rows.append(
            _row(
                "course page server time / one stored engine call",
                page["ratio"],
                "<= 2",
                page["ratio"] <= 2,
            )
        )
    cached = dose.get("with_bytecode_cache", {})
    if cached:
        ratio = round(cached["dose_cli"]["median_ms"] / cached["python_pass"]["median_ms"], 2)
        rows.append(_row("cold `inocds dose` / `python -c pass`", ratio, "<= 4", ratio <= 4))
    for label, figure in http.get("p99_at_200_per_s", {}).items():
        rows.append(
            _row(
                f"p99 at 200 requests/s, {label} (ms)",
                figure.get("p99_ms"),
                "<= 20",
                figure.get("meets_target"),
            )
        )
    return rows


def write_table(results: Path) -> str:
    """Writes targets.json and targets.md in `results`; returns the Markdown table."""
    rows = _rows(results)
    machine = _load(results, "http").get("machine") or _load(results, "dose_cold").get("machine")
    (results / "targets.json").write_text(
        json.dumps({"rows": rows, "machine": machine}, indent=2) + "\n", encoding="utf-8"
    )
    lines = ["| figure | value | target | met |", "|---|---|---|---|"]
    for row in rows:
        met = {True: "yes", False: "no", None: "-"}[row["meets_target"]]
        lines.append(f"| {row['figure']} | {row['value']} | {row['target']} | {met} |")
    table = "\n".join(lines) + "\n"
    (results / "targets.md").write_text(table, encoding="utf-8")
    return table
