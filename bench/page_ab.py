"""The course page over one stored assess, two builds side by side (`_page_vs_assess`'s
method, alternated in the same minutes).

    python bench/page_ab.py OLD_SRC NEW_SRC [ROUNDS]

Starts `inocds serve` twice on one SQLite database, once with each `src` first on
PYTHONPATH, stores the 6-cycle course through the first, then runs `_page_vs_assess`
(41 pairs, page and assess in turn, medians) on each server in turn, ROUNDS times. Prints
each round's figures and the median of the rounds.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from contextlib import ExitStack
from pathlib import Path

import http_bench as hb
import httpx


def _cpu_s(pid: int) -> float:
    """utime + stime of a process (its threads included), in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pid_on(port: int) -> int:
    """The process listening on `port` (the server `serving` started)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        parts = line.split()
        if parts[3] == "0A" and int(parts[1].split(":")[1], 16) == port:
            inode = parts[9]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            for fd in (proc / "fd").iterdir():
                if os.readlink(fd) == f"socket:[{inode}]":
                    return int(proc.name)
        except OSError:
            continue
    raise RuntimeError(f"no process on port {port}")


def cpu_per_request(
    base: str, username: str, token: str, course_id: int, today: dict, n: int
) -> tuple[float, float]:
    """Server CPU (ms) per page and per stored assess: a batch of n of each."""
    pid = _pid_on(int(base.rsplit(":", 1)[1]))
    client = httpx.Client(base_url=base, timeout=30)
    client.post(
        "/login", data={"username": username, "password": hb.PASSWORD}, headers={"Origin": base}
    )
    api = httpx.Client(base_url=base, timeout=30, headers={"Authorization": f"Bearer {token}"})
    figures = []
    for call in (
        lambda: client.get(f"/courses/{course_id}", params={"on": today["date"]}),
        lambda: api.post(f"/api/v1/courses/{course_id}/assess", json=today),
    ):
        call().raise_for_status()
        start = _cpu_s(pid)
        for _ in range(n):
            call()
        figures.append((_cpu_s(pid) - start) * 1000 / n)
    return figures[0], figures[1]


def main() -> None:
    old_src, new_src = sys.argv[1], sys.argv[2]
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 5
    with tempfile.TemporaryDirectory() as workdir, ExitStack() as stack:
        url = f"sqlite:///{workdir}/bench.db"
        bases = {}
        for name, src in (("old", old_src), ("new", new_src)):
            env = hb._server_env(url)
            env["PYTHONPATH"] = str(Path(src).resolve())
            bases[name] = stack.enter_context(
                hb.serving([hb._inocds(), "serve"], env, Path(workdir), "GET /healthz")
            )
            env_store = env
        username, token, course_id, document = hb._store_course(
            bases["old"], env_store, Path(workdir)
        )
        results: dict[str, list[dict[str, float]]] = {"old": [], "new": []}
        for index in range(rounds):
            order = ("old", "new") if index % 2 == 0 else ("new", "old")
            for name in order:
                figures = hb._page_vs_assess(
                    bases[name], username, token, course_id, document["today"]
                )
                page_cpu, assess_cpu = cpu_per_request(
                    bases[name], username, token, course_id, document["today"], 100
                )
                figures["page_cpu"], figures["assess_cpu"] = page_cpu, assess_cpu
                results[name].append(figures)
                print(
                    f"round {index} {name}: page {figures['page_ms']} ms, "
                    f"assess {figures['stored_assess_ms']} ms, ratio {figures['ratio']}; "
                    f"server CPU page {page_cpu:.2f} ms, assess {assess_cpu:.2f} ms, "
                    f"ratio {page_cpu / assess_cpu:.2f}",
                    flush=True,
                )
        for name, runs in results.items():
            print(
                f"{name}: median page {statistics.median(r['page_ms'] for r in runs):.2f} ms, "
                f"assess {statistics.median(r['stored_assess_ms'] for r in runs):.2f} ms, "
                f"ratio {statistics.median(r['ratio'] for r in runs):.2f} "
                f"(rounds {sorted(r['ratio'] for r in runs)}) load {os.getloadavg()[0]:.1f}; "
                f"CPU ratio {statistics.median(r['page_cpu'] / r['assess_cpu'] for r in runs):.2f}"
            )


if __name__ == "__main__":
    main()
