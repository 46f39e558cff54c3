"""The course's timeline as a care team reads it: what was known on a day, every dose slot
with its status and window, and what must be true before a held dose can go ahead.

Pure functions over the walked course (`CourseState`) and the engine's answers; every
number (the window, the 6-day floor, the thresholds) is read from the protocol data.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from inocds.clinical.course import CourseState
from inocds.clinical.course_state import timing
from inocds.clinical.rules import ids
from inocds.clinical.rules.text import recheck
from inocds.protocol.loader import load_protocol

__all__ = [
    "as_of",
    "dose_history",
    "dose_slots",
    "hold_review_date",
    "recheck_conditions",
    "started_late_note",
]

HELD_ACTIONS = ("hold", "delay")
"""Actions that keep a due dose back until a condition is met."""


def as_of(document: dict[str, Any], on: dt.date, today: dt.date) -> dict[str, Any]:
    """The course document as it was known on `on`: later events left out.

    A toxicity resolved after `on` was still unresolved on that day.
    """
    if on >= today:
        return document
    events = []
    for event in document["events"]:
        kind = event.get("type")
        when = event.get("onset") if kind == "toxicity" else event.get("date")
        if not isinstance(when, str) or when > on.isoformat():
            continue
        resolved = event.get("resolved")
        if kind == "toxicity" and isinstance(resolved, str) and resolved > on.isoformat():
            event = {**event, "resolved": None}
        events.append(event)
    return {**document, "events": events}


def recheck_conditions(decision: dict[str, Any] | None) -> list[dict[str, str]]:
    """What must be true before a held or delayed dose can go ahead, from the decision's reasons.

    Each condition names the rule it comes from; its wording is the rule's `recheck`
    template in the protocol (`rules.text.recheck`), the same for the engine and every page.
    """
    if not decision or decision.get("action") not in HELD_ACTIONS:
        return []
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    for reason in decision.get("reasons", []):
        text = recheck(str(reason.get("rule")))
        if text and text not in seen:
            seen.add(text)
            found.append({"text": text, "rule": str(reason["rule"])})
    return found


def _gap() -> dt.timedelta:
    return timing().gap


def started_late_note(state: CourseState, number: int) -> str:
    """ "started N day(s) after it was due" for a cycle that began after its due date."""
    previous = state.cycles.get(number - 1)
    cycle = state.cycles[number]
    if previous is None or previous.start is None or cycle.start is None:
        return ""
    due = previous.start + dt.timedelta(days=previous.regimen.length_days)
    if previous.given:
        due = max(due, max(when for when, _ in previous.given.values()) + _gap())
    late = (cycle.start - due).days
    if late <= 0:
        return ""
    return f"cycle {number} started {late} day(s) after it was due ({due.isoformat()})"


def _slot(number: int, day: int, level: str | None, **values: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"cycle": number, "day": day, "level": level}
    row.update(scheduled=None, not_before=None, date=None, dose_mg_per_m2=None)
    row.update(status="pending", note="", rules=[])
    row.update(values)
    return row


def _open_slot(
    state: CourseState, number: int, day: int, decision: dict[str, Any], floor: dt.date | None
) -> tuple[dict[str, Any], dt.date | None]:
    """A dose slot of a started cycle not given nor omitted; the 6-day floor for the next."""
    cycle = state.cycles[number]
    assert cycle.start is not None
    scheduled = cycle.start + dt.timedelta(days=day - 1)
    current = (decision.get("cycle"), decision.get("day")) == (number, day)
    action = decision.get("action")
    status = "pending"
    if current and action in HELD_ACTIONS:
        status = "delayed"
    elif current and action == "give":
        status = "due"
    if scheduled < state.today and status == "pending":
        status = "delayed"
    row = _slot(number, day, cycle.regimen.level, scheduled=scheduled, status=status)
    row["dose_mg_per_m2"] = cycle.regimen.amount(day)
    window_end: dt.date | None = None
    if day != 1:
        earliest, _, latest = state.due_window(number, day)
        if floor is not None:  # an earlier dose of the cycle is still open
            earliest = max(earliest, floor + _gap())
            latest = max(latest, earliest)
        floor = earliest
        if earliest > scheduled:
            row["not_before"] = earliest
        row["note"] = f"window {earliest.isoformat()} to {latest.isoformat()}"
        window_end = latest
    if current and action in HELD_ACTIONS:
        row["rules"] = [c["rule"] for c in recheck_conditions(decision)]
        recheck = decision.get("next_dose_date")
        ends = f"; its window ends {window_end.isoformat()}" if window_end else ""
        row["note"] = f"delayed; recheck from {recheck}{ends}" if recheck else f"delayed{ends}"
    return row, floor


def _started_cycle_slots(
    state: CourseState, number: int, decision: dict[str, Any]
) -> list[dict[str, Any]]:
    cycle = state.cycles[number]
    rows: list[dict[str, Any]] = []
    floor: dt.date | None = None
    for day in cycle.regimen.days:
        scheduled = cycle.start + dt.timedelta(days=day - 1) if cycle.start else None
        given = cycle.given.get(day)
        if given is not None:
            when, amount = given
            late = scheduled is not None and when > scheduled
            note = f"{(when - scheduled).days} day(s) after day {day}" if late and scheduled else ""
            if day == 1:
                note = started_late_note(state, number) or note
            status = "late" if late else "given"
            rows.append(
                _slot(number, day, cycle.regimen.level, scheduled=scheduled, date=when)
                | {"dose_mg_per_m2": amount, "status": status, "note": note}
            )
        elif day in cycle.omitted:
            rows.append(
                _slot(number, day, cycle.regimen.level, scheduled=scheduled)
                | {"status": "omitted", "note": cycle.omitted[day]}
            )
            rows[-1]["dose_mg_per_m2"] = cycle.regimen.amount(day)
        elif cycle.start is not None:
            row, floor = _open_slot(state, number, day, decision, floor)
            rows.append(row)
        else:
            rows.append(_slot(number, day, cycle.regimen.level))
    return rows


def _planned_slots(
    state: CourseState, decision: dict[str, Any], plan: dict[str, Any]
) -> list[dict[str, Any]]:
    number = plan.get("cycle")
    if number is None or number in state.cycles:
        return []
    held = decision.get("action") in HELD_ACTIONS and decision.get("cycle") == number
    rows: list[dict[str, Any]] = []
    for dose in plan.get("doses", []):
        row = _slot(number, dose["day"], plan.get("dose_level"), status="planned")
        row["scheduled"] = dt.date.fromisoformat(dose["date"])
        row["dose_mg_per_m2"] = dose["dose_mg_per_m2"]
        same = dose["earliest"] == dose["latest"]
        row["note"] = "on that day" if same else f"window {dose['earliest']} to {dose['latest']}"
        if held and dose["day"] == decision.get("day"):
            due, _, _ = state.due_window(number, dose["day"])
            row["status"] = "delayed"
            row["note"] = f"due since {due}; {decision['action']}"
            row["rules"] = [c["rule"] for c in recheck_conditions(decision)]
        rows.append(row)
    return rows


def dose_slots(
    state: CourseState, decision: dict[str, Any], plan: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every dose slot of the started cycles and of the planned cycle, with its status.

    Status: given, late, omitted, delayed, due, pending or planned. A day 8/15 slot
    carries its window (from the walk), raised to 6 days after an earlier dose of the
    cycle that is still open.
    """
    rows: list[dict[str, Any]] = []
    for number in sorted(state.cycles):
        rows += _started_cycle_slots(state, number, decision)
    return rows + _planned_slots(state, decision, plan)


def dose_history(state: CourseState) -> dict[str, Any]:
    """The dose level of each started cycle, the doses given in it, and the running total.

    `cycles`: [{cycle, level, given_mg_per_m2, doses}], `total_mg_per_m2`: the cumulative
    dose given so far (mg/m², rounded to 4 places like the plan's totals).
    """
    cycles: list[dict[str, Any]] = []
    total = 0.0
    for number in sorted(state.cycles):
        cycle = state.cycles[number]
        given = round(sum(amount for _, amount in cycle.given.values()), 4)
        total += given
        cycles.append(
            {
                "cycle": number,
                "level": cycle.regimen.level,
                "doses": len(cycle.given),
                "given_mg_per_m2": given,
                "running_mg_per_m2": round(total, 4),
            }
        )
    return {"cycles": cycles, "total_mg_per_m2": round(total, 4)}


def hold_review_date(state: CourseState, decision: dict[str, Any]) -> dt.date | None:
    """The first day on which a dose still held has been held over 28 days
    (`interruption.gt28`: consider discontinuation then); None unless held or delayed.

    The hold counts from the first day the dose was due (or the interruption's start).
    """
    if decision.get("action") not in HELD_ACTIONS:
        return None
    number, day = state.pointer
    since = state.slot_interruption_start
    cycle = state.cycles.get(number)
    if since is None and day != 1 and (cycle is None or cycle.start is None):
        return None  # a day 8/15 of a cycle not started: not a held slot
    if since is None:
        since = state.due_window(number, day)[1]
    limit = load_protocol()[ids.INTERRUPTION_GT28].integer("days")
    return since + dt.timedelta(days=limit + 1)
