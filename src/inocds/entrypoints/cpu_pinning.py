"""Each process of `inocds serve` stays on one CPU (Linux; elsewhere nothing changes).

Why: a server process runs Python on one CPU at a time (the interpreter lock), but its
threads - the stored assess's database reads, the access-log writer, the thread pool of
the routes - hand the lock to one another many times per request. Left to the
scheduler, the thread that takes the lock next often runs on another CPU, and the
request's objects move between the CPUs' caches with it. Measured on the 2-CPU machine
of bench/ (NOTES.md, round 2 session 12; alternating wrk rounds, same database): the
stored-course assess on PostgreSQL answered 1.3-2.0 x (median 1.7 x) as many requests
per second with the server on one CPU; the stateless assess, which runs on one thread,
answered the same either way.

What it costs: work done outside the lock (password hashing, the driver's socket reads)
no longer overlaps with the event loop on a second CPU within one process. More CPUs are
used by more processes: `--workers N` puts worker i on the i-th CPU from the last, so two
workers never share one while there are CPUs enough. `--no-pin-cpu` leaves the
placement to the scheduler (e.g. when the deployment pins processes itself).
"""

from __future__ import annotations

import os

__all__ = ["allowed_cpus", "cpu_for", "pin"]


def allowed_cpus(pid: int = 0) -> list[int]:
    """The CPUs `pid` (0: this process) may run on, ascending; [] where unknown."""
    getter = getattr(os, "sched_getaffinity", None)
    if getter is None:
        return []
    try:
        return sorted(getter(pid))
    except OSError:
        return []


def cpu_for(index: int, allowed: list[int]) -> int | None:
    """The CPU of process `index` (0, 1, ...): the last allowed CPU first, then the one
    before it, and round again; None when there is no choice to make (one CPU or none)."""
    if len(allowed) < 2:
        return None
    return allowed[-1 - index % len(allowed)]


def pin(pid: int, index: int, allowed: list[int]) -> int | None:
    """Keeps process `pid` (0: this one) on `cpu_for(index, allowed)`; the CPU, or None
    when it stays where the scheduler puts it (no choice, or the system refused)."""
    cpu = cpu_for(index, allowed)
    setter = getattr(os, "sched_setaffinity", None)
    if cpu is None or setter is None:
        return None
    try:
        setter(pid, {cpu})
    except OSError:  # e.g. a CPU taken away since it was listed: run unpinned
        return None
    return cpu
