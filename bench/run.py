"""Benchmarks of inocds: each writes its figures to bench/results/<name>.json.

usage: .venv/bin/python bench/run.py [NAME ...] [--runs N]

Benchmarks are plain functions registered with `@benchmark("name")`; each takes the
number of runs (None: its own default) and returns a JSON-ready dict (timings in
milliseconds, e.g. built with `summary`). To add one, write a function below (or in a
sibling module, as assess_bench.py), register it, and use `time_in_process` or
`time_command`.
These are measurements, not timed tests: nothing here fails on a slow machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
DEFAULT_RUNS = 15
DOSE_TARGET_MS = 150.0
EXAMPLE_DOSE_REQUEST = {"height_cm": 180, "weight_kg": 80, "dose_mg_per_m2": 0.8}

Benchmark = Callable[[int | None], dict[str, Any]]
"""A benchmark: takes the number of runs (None: its default), returns its figures."""

BENCHMARKS: dict[str, Benchmark] = {}


def benchmark(name: str) -> Callable[[Benchmark], Benchmark]:
    """Registers a benchmark function under `name` (its result file's name)."""

    def register(function: Benchmark) -> Benchmark:
        BENCHMARKS[name] = function
        return function

    return register


# ------------------------------------------------------------------ helpers


def summary(samples_s: Sequence[float]) -> dict[str, float | int]:
    """Median, min and max of wall times given in seconds, in milliseconds."""
    ms = [s * 1000.0 for s in samples_s]
    return {
        "median_ms": round(statistics.median(ms), 1),
        "min_ms": round(min(ms), 1),
        "max_ms": round(max(ms), 1),
        "runs": len(ms),
    }


def time_command(command: Sequence[str], env: dict[str, str] | None = None) -> float:
    """Wall time in seconds of one run of `command` (output discarded; must exit 0)."""
    start = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{command} exited {done.returncode}: {done.stderr.decode()[-300:]}")
    return elapsed


def time_in_process(function: Callable[[], object], runs: int) -> list[float]:
    """Wall times in seconds of `runs` calls of `function` in this process (after one warm-up)."""
    function()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return samples


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    info: dict[str, Any] = {
        "platform": platform.platform(),
        "machine": platform.machine(),
        "processor": platform.processor() or None,
        "cpu_count": os.cpu_count(),
        "python": sys.version.split()[0],
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
    }
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    info["cpu_model"] = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    if hasattr(os, "getloadavg"):
        info["load_average_1m"] = round(os.getloadavg()[0], 2)
    return info


def inocds_executable() -> str:
    """The `inocds` script of this interpreter's environment, else the one on PATH."""
    sibling = Path(sys.executable).with_name("inocds")
    if sibling.exists():
        return str(sibling)
    found = shutil.which("inocds")
    if found is None:
        raise SystemExit("inocds is not installed: pip install -e '.[dev]'")
    return found


def slowest_imports(
    command: Sequence[str], env: dict[str, str], top: int = 12
) -> list[dict[str, Any]]:
    """The modules with the largest own import time (`-X importtime`) in one run of command."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    rows: list[dict[str, Any]] = []
    for line in done.stderr.splitlines():
        if not line.startswith("import time:") or "self [us]" in line:
            continue
        own, cumulative, name = line[len("import time:") :].split("|")
        rows.append(
            {
                "module": name.strip(),
                "self_ms": int(own) / 1000,
                "cumulative_ms": int(cumulative) / 1000,
            }
        )
    rows.sort(key=lambda row: row["self_ms"], reverse=True)
    return rows[:top]


# ------------------------------------------------------------------ benchmarks


def _cold_runs(
    command: list[str], baseline: list[str], runs: int, env: dict[str, str]
) -> dict[str, Any]:
    """Alternates the command and the bare interpreter so both see the same machine noise."""
    time_command(command, env)  # warm the OS file cache (and the bytecode cache, if enabled)
    time_command(baseline, env)
    ours, bare = [], []
    for _ in range(runs):
        ours.append(time_command(command, env))
        bare.append(time_command(baseline, env))
    cli, python = summary(ours), summary(bare)
    return {
        "dose_cli": cli,
        "python_pass": python,
        "overhead_over_python_ms": round(cli["median_ms"] - python["median_ms"], 1),
    }


@benchmark("dose_cold")
def dose_cold(runs: int | None) -> dict[str, Any]:
    """A cold `inocds dose --input FILE` next to `python -c pass`, in fresh processes.

    Two settings: with a bytecode cache (what an installed package gets), and with the
    environment as it is (PYTHONDONTWRITEBYTECODE=1 makes every run compile the
    package's sources).
    """
    runs = runs or DEFAULT_RUNS
    with tempfile.TemporaryDirectory(prefix="inocds-bench-") as tmp:
        request = Path(tmp) / "dose-request.json"
        request.write_text(json.dumps(EXAMPLE_DOSE_REQUEST), encoding="utf-8")
        command = [inocds_executable(), "dose", "--input", str(request)]
        baseline = [sys.executable, "-c", "pass"]
        cached_env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        cached_env["PYTHONPYCACHEPREFIX"] = str(Path(tmp) / "pycache")
        as_is_env = dict(os.environ)
        cached = _cold_runs(command, baseline, runs, cached_env)
        as_is = _cold_runs(command, baseline, runs, as_is_env)
        path_python3 = shutil.which("python3")
        extra: dict[str, Any] = {}
        if path_python3:
            time_command([path_python3, "-c", "pass"])
            extra["python3_on_path_pass"] = summary(
                [time_command([path_python3, "-c", "pass"]) for _ in range(runs)]
            )
            extra["python3_on_path"] = path_python3
        imports = slowest_imports(
            ["-m", "inocds.entrypoints.cli", "dose", "--input", str(request)], cached_env
        )
    median = cached["dose_cli"]["median_ms"]
    return {
        "benchmark": "dose_cold",
        "description": "wall time of a cold `inocds dose --input FILE` (example request) in a "
        "fresh process, next to the bare interpreter started the same way",
        "command": ["inocds", "dose", "--input", "<tmp>/dose-request.json"],
        "runs": runs,
        "target_ms": DOSE_TARGET_MS,
        "median_ms": median,
        "meets_target": median <= DOSE_TARGET_MS,
        "with_bytecode_cache": cached,
        "environment_as_is": {
            "PYTHONDONTWRITEBYTECODE": os.environ.get("PYTHONDONTWRITEBYTECODE"),
            **as_is,
        },
        **extra,
        "slowest_imports_with_bytecode_cache": imports,
    }


@benchmark("assess_in_process_6_cycles")
def assess_in_process(runs: int | None) -> dict[str, Any]:
    """`assess` warm and in-process on a 6-cycle history (bench/assess_bench.py)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    function = importlib.import_module("assess_bench").bench_assess_in_process
    figures: dict[str, Any] = function(runs) if runs else function()
    return figures


@benchmark("http")
def http(runs: int | None) -> dict[str, Any]:
    """Throughput and latency ratios through real servers (bench/http_bench.py)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    figures: dict[str, Any] = importlib.import_module("http_bench").http_figures()
    return figures


@benchmark("vial_plan")
def vial_plan(runs: int | None) -> dict[str, Any]:
    """`vial-plan` on a 200-dose day, and against an exhaustive search (bench/vial_bench.py)."""
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    function = importlib.import_module("vial_bench").bench_vial_plan
    figures: dict[str, Any] = function(runs) if runs else function()
    return figures


# ------------------------------------------------------------------ main


def main(argv: list[str] | None = None) -> int:
    """Runs the named benchmarks (all by default) and writes bench/results/<name>.json."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", metavar="NAME", help=f"any of {', '.join(BENCHMARKS)}")
    parser.add_argument("--runs", type=int, help="runs per benchmark (default: its own)")
    args = parser.parse_args(argv)
    unknown = [name for name in args.names if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; known: {', '.join(BENCHMARKS)}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    here = str(Path(__file__).resolve().parent)
    if here not in sys.path:
        sys.path.insert(0, here)
    for name in args.names or list(BENCHMARKS):
        figures = BENCHMARKS[name](args.runs)
        figures.setdefault("benchmark", name)
        figures["date"] = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
        figures["machine"] = machine()
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(figures, indent=2) + "\n", encoding="utf-8")
        headline = figures.get("median_ms")
        print(f"{name}: median {headline} ms -> {path}")
    table = importlib.import_module("targets").write_table(RESULTS)
    print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
