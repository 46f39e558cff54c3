"""`inocds serve` keeps each server process on one CPU unless `--no-pin-cpu` (cpu_pinning.py):
the real process's affinity, read back from the system."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from tests.e2e.servers import running_server

from inocds.entrypoints.cpu_pinning import allowed_cpus

pytestmark = pytest.mark.skipif(len(allowed_cpus()) < 2, reason="needs two CPUs")


def _listeners(base_url: str) -> set[int]:
    """The processes holding the server's listening socket (read from /proc)."""
    port = int(base_url.rsplit(":", 1)[1])
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "0A":  # 0A: LISTEN
            inodes.add(f"socket:[{fields[9]}]")
    holders = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            links = {os.readlink(f"/proc/{pid}/fd/{fd}") for fd in os.listdir(f"/proc/{pid}/fd")}
        except OSError:  # gone, or not ours to read
            continue
        if links & inodes:
            holders.add(int(pid))
    return holders


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def test_one_server_process_runs_on_one_cpu(inocds: str, tmp_path: Path) -> None:
    with running_server(inocds, tmp_path, "pin.sqlite3") as base_url:
        (pid,) = _listeners(base_url)
        assert os.sched_getaffinity(pid) == {allowed_cpus()[-1]}


def test_no_pin_cpu_leaves_the_scheduler_every_cpu(inocds: str, tmp_path: Path) -> None:
    with running_server(inocds, tmp_path, "free.sqlite3", extra_args=("--no-pin-cpu",)) as url:
        (pid,) = _listeners(url)
        assert sorted(os.sched_getaffinity(pid)) == allowed_cpus()


def test_two_workers_each_on_a_cpu_of_its_own(inocds: str, tmp_path: Path) -> None:
    with running_server(inocds, tmp_path, "two.sqlite3", extra_args=("--workers", "2")) as url:
        holders = _listeners(url)
        workers = [pid for pid in holders if _parent(pid) in holders]
        assert len(workers) == 2
        cpus = [os.sched_getaffinity(pid) for pid in workers]
        assert all(len(c) == 1 for c in cpus)
        assert cpus[0] != cpus[1]
