"""An exhaustive search for the fewest vials, independent of the planner's greedy order.

For a multiset of reconstitution times the day is feasible exactly when Hall's
condition holds (doses are splittable, so this is a transportation problem): for
every set of doses, their mg <= 0.9 mg x the vials that can serve one of them.
A dose at t can be served by a vial reconstituted at r with r <= t <= r + 4 h, and
a vial may be moved to the time of its first draw, so candidate times are the dose
times; each dose's servers form a contiguous run of them, so contiguous runs are
the only sets to check. The search tries every count of vials per candidate time
(branch and bound on the total) and keeps the smallest feasible total.
"""

from __future__ import annotations

import datetime as dt
import math

from inocds.clinical.vials import PlanDose


def _min_vials_shared(doses: list[PlanDose], capacity: int, window: dt.timedelta) -> int:
    times = sorted({d.dilute_at for d in doses})
    m = len(times)
    # servers[i] = (first, last) candidate index that can serve dose i
    runs = []
    for d in doses:
        ok = [j for j, r in enumerate(times) if r <= d.dilute_at <= r + window]
        runs.append((ok[0], ok[-1], d.ug))
    # demand[a][b]: mg of the doses whose servers all lie within candidates a..b
    demand = [[0] * m for _ in range(m)]
    for a in range(m):
        for b in range(a, m):
            demand[a][b] = sum(ug for lo, hi, ug in runs if a <= lo and hi <= b)
    best = sum(math.ceil(d.ug / capacity) for d in doses)  # one vial set per dose is feasible
    counts = [0] * m

    def search(j: int, total: int) -> None:
        nonlocal best
        if total >= best:
            return
        if j == m:
            best = total
            return
        # the least n_j meeting every contiguous run ending at j
        need = 0
        for a in range(j + 1):
            have = sum(counts[a:j])
            need = max(need, math.ceil(demand[a][j] / capacity) - have)
        for n in range(need, best - total):
            counts[j] = n
            search(j + 1, total + n)
        counts[j] = 0

    search(0, 0)
    return best


def exhaustive_min_vials(
    doses: list[PlanDose], policy: str, capacity: int = 900, window: dt.timedelta | None = None
) -> int:
    """The fewest vials `policy` allows, by exhaustive search (small days only)."""
    window = window or dt.timedelta(hours=4)
    if policy == "none":
        return sum(math.ceil(d.ug / capacity) for d in doses)
    groups: dict[str, list[PlanDose]] = {}
    for d in doses:
        groups.setdefault(d.patient if policy == "same_patient" else "", []).append(d)
    return sum(_min_vials_shared(g, capacity, window) for g in groups.values())
