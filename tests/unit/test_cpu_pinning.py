"""cpu_pinning: which CPU each server process is kept on, and the pin itself (Linux)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from inocds.entrypoints.cpu_pinning import allowed_cpus, cpu_for, pin


def test_the_first_process_takes_the_last_cpu_and_the_next_ones_go_backwards() -> None:
    # allowed [0, 1, 2, 3]: index 0 -> allowed[-1] = 3, 1 -> 2, 2 -> 1, 3 -> 0, 4 -> 3 again
    allowed = [0, 1, 2, 3]
    assert [cpu_for(i, allowed) for i in range(5)] == [3, 2, 1, 0, 3]


def test_two_workers_on_two_cpus_never_share_one() -> None:
    assert {cpu_for(0, [0, 1]), cpu_for(1, [0, 1])} == {0, 1}


@pytest.mark.parametrize("allowed", [[], [5]])
def test_no_choice_no_pin(allowed: list[int]) -> None:
    # one CPU (or none known): nothing to choose, the process is left where it is
    assert cpu_for(0, allowed) is None
    assert pin(0, 0, allowed) is None


@pytest.mark.skipif(len(allowed_cpus()) < 2, reason="needs two CPUs")
def test_a_pinned_process_runs_on_that_cpu_only() -> None:
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        allowed = allowed_cpus()
        cpu = pin(child.pid, 1, allowed)
        assert cpu == allowed[-2]
        assert os.sched_getaffinity(child.pid) == {cpu}
    finally:
        child.kill()
        child.wait()
