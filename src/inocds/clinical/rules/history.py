"""History checks (history.*): a recorded history that breaks the protocol is reported.

The walk keeps the history as recorded (it is what happened); these checks turn
each break into a `{"code", "message"}` warning of assess and plan.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from itertools import pairwise

from inocds.clinical.course_state import CourseState
from inocds.clinical.documents import Event
from inocds.clinical.rules import ids
from inocds.clinical.rules.heme import count_gate_closed
from inocds.clinical.rules.text import warning
from inocds.protocol.loader import rule_integer, rule_number

__all__ = ["dose_above_level", "history_warnings"]


@lru_cache(maxsize=1)
def _tolerance() -> float:
    return rule_number(ids.HISTORY_DOSE_ABOVE_LEVEL, "tolerance_fraction")


def dose_above_level(e: Event, allowed: float, level: str) -> dict[str, str] | None:
    """history.dose_above_level: a recorded dose above its level's amount (beyond the
    tolerance) is kept as history and flagged; the walk calls this for each dose."""
    if e.dose_mg_per_m2 is None or e.dose_mg_per_m2 <= allowed * (1 + _tolerance()):
        return None
    return warning(
        ids.HISTORY_DOSE_ABOVE_LEVEL,
        cycle=e.cycle,
        day=e.day,
        given=e.dose_mg_per_m2,
        date=e.date,
        allowed=allowed,
        level=level,
    )


def _min_interval(state: CourseState) -> list[dict[str, str]]:
    doses = state.doc.of_type("dose")
    if len(doses) < 2:
        return []  # no pair of doses
    gap = rule_integer(ids.HISTORY_MIN_INTERVAL, "min_days_between_doses")
    found = []
    for before, after in pairwise(doses):
        days = (after.date - before.date).days
        if days < gap:
            found.append(
                warning(
                    ids.HISTORY_MIN_INTERVAL,
                    cycle=after.cycle,
                    day=after.day,
                    date=after.date,
                    days=days,
                    previous=before.date,
                )
            )
    return found


def _start_counts(
    state: CourseState, start: dt.date, recorded: tuple[float | None, float | None]
) -> tuple[float | None, float | None]:
    """A cycle's starting counts: its cycle_start event's, else a labs event of that day."""
    anc, plt = recorded
    for e in state.doc.of_type("labs"):
        if e.date == start and e.labs is not None:
            anc = anc if anc is not None else e.labs.anc_per_mm3
            plt = plt if plt is not None else e.labs.platelets_per_mm3
    return anc, plt


def _cycles(state: CourseState) -> list[dict[str, str]]:
    if len(state.cycles) < 2:
        return []  # every check is of a cycle after the one before it
    found = []
    pre = state.doc.patient.pretreatment
    for number, cycle in sorted(state.cycles.items()):
        previous = state.cycles.get(number - 1)
        if number < 2 or cycle.start is None or previous is None or previous.start is None:
            continue
        due = previous.start + dt.timedelta(days=previous.regimen.length_days)
        if cycle.start < due:
            found.append(
                warning(
                    ids.HISTORY_CYCLE_BEFORE_DUE,
                    cycle=number,
                    date=cycle.start,
                    due=due,
                    previous=number - 1,
                    previous_start=previous.start,
                    length=previous.regimen.length_days,
                )
            )
        anc, plt = _start_counts(state, cycle.start, cycle.counts)
        if anc is None or plt is None:
            continue
        prior = previous.counts
        if number == 2:
            prior = (
                prior[0] if prior[0] is not None else pre.anc_per_mm3,
                prior[1] if prior[1] is not None else pre.platelets_per_mm3,
            )
        gate = count_gate_closed((pre.anc_per_mm3, pre.platelets_per_mm3), (anc, plt), prior)
        if gate is not None and 1 in cycle.given:
            found.append(
                warning(
                    ids.HISTORY_GATE_NOT_MET,
                    cycle=number,
                    date=cycle.start,
                    anc=f"{anc:g}",
                    platelets=f"{plt:g}",
                    gate=gate,
                )
            )
    return found


def _without_start(state: CourseState) -> list[dict[str, str]]:
    started = {e.cycle for e in state.doc.of_type("cycle_start")}
    found = []
    for e in state.doc.of_type("dose"):
        if e.cycle not in started and e.cycle is not None:
            cycle = state.cycles.get(e.cycle)
            start = cycle.start if cycle else e.date
            found.append(
                warning(
                    ids.HISTORY_DOSE_WITHOUT_CYCLE_START,
                    cycle=e.cycle,
                    day=e.day,
                    date=e.date,
                    start=start,
                )
            )
    return found


def history_warnings(state: CourseState) -> list[dict[str, str]]:
    """Every break of the protocol in the recorded history, in a stable order."""
    return _min_interval(state) + _cycles(state) + _without_start(state)
