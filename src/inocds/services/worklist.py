"""The worklist read model: every course with the engine's decision for today beside its orders.

Each course is read once (`course_page.read_course`, decision and screen only). A row
always shows the engine's answer and its one-line reason, even when an order exists; an
order signed against the engine's answer carries an override marker. A course the engine
ends stays listed as "stop to be recorded" until someone records the stop (a
`discontinued` event); a finished course (`complete`) without open orders is counted,
not listed.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from sqlalchemy.orm import Session

from inocds.adapters.db.models import User
from inocds.clinical.timeline import recheck_conditions
from inocds.services import courses, orders, patients
from inocds.services.course_page import order_rows, read_course

__all__ = [
    "COVERING_ORDER_STATUSES",
    "FILTERS",
    "OPEN_ORDER_STATUSES",
    "covering_order",
    "one_line_reason",
    "worklist",
]

OPEN_ORDER_STATUSES = ("signed", "verified", "prepared", "returned")
COVERING_ORDER_STATUSES = ("signed", "verified", "prepared")
"""Order states that already stand for a dose: no second order is needed for it."""

FILTERS = {
    "all": "All courses",
    "verify": "To verify or prepare",
    "give": "To give today",
}
"""Worklist filters: everything; the pharmacist's orders to verify or prepare; the nurse's
doses to give today (the engine gives a dose today, or an order is due by today)."""
DEFAULT_FILTER = {"pharmacist": "verify", "nurse": "give"}

_NOTE_RULES = frozenset({"premedication", "prep.observation"})
"""Reasons that remind rather than decide: not used as the row's one-line reason."""
_SLOT_PREFIX = re.compile(r"^(?:cycle \d+(?: day \d+)?|day \d+)\s*:\s*", re.IGNORECASE)
_FIRST_CLAUSE = re.compile(r"^(.*?)(?::\s|;\s|\.\s|$)")


def one_line_reason(decision: dict[str, Any] | None) -> str:
    """The decision and its first deciding reason on one line ("hold: ANC 600/mm3 is below
    1000 (pretreatment 1500)"); for a hold or delay, the first reason that keeps the dose
    back (a rule with a recheck condition)."""
    if not decision:
        return ""
    action = str(decision.get("action"))
    if action == "give" and decision.get("dose_mg_per_m2") is not None:
        return (
            f"give: cycle {decision.get('cycle')} day {decision.get('day')}, "
            f"{decision['dose_mg_per_m2']:g} mg/m² = {decision.get('dose_mg'):g} mg"
        )
    blocking = {c["rule"] for c in recheck_conditions(decision)}
    reasons = decision.get("reasons", [])
    ordered = [r for r in reasons if r.get("rule") in blocking] + [
        r for r in reasons if r.get("rule") not in blocking
    ]
    for reason in ordered:
        if reason.get("rule") in _NOTE_RULES:
            continue
        message = _SLOT_PREFIX.sub("", str(reason.get("message", "")).strip())
        found = _FIRST_CLAUSE.match(message)
        clause = found.group(1) if found else ""
        if clause:
            return f"{action}: {clause}"
    return action


def covering_order(
    decision: dict[str, Any] | None, open_orders: list[dict[str, Any]]
) -> dict[str, Any] | None:
    """The open order row (signed, verified or prepared) for the decision's cycle and day."""
    if not decision or decision.get("cycle") is None or decision.get("day") is None:
        return None
    for item in open_orders:
        order = item["order"]
        if order.status in COVERING_ORDER_STATUSES and (order.cycle, order.day) == (
            decision["cycle"],
            decision["day"],
        ):
            return item
    return None


def _stop_recorded(document: dict[str, Any]) -> bool:
    return any(e.get("type") == "discontinued" for e in document["events"])


def _row(session: Session, user: User, patient: Any, course: Any, today: dt.date) -> dict[str, Any]:
    found = orders.list_orders(session, user, course_id=course.id)
    open_orders = order_rows(session, [o for o in found if o.status in OPEN_ORDER_STATUSES])
    document = courses.course_document(session, user, course.id, today)
    read = read_course(document, full=False)
    decision = read.decision
    action = (decision or {}).get("action")
    row: dict[str, Any] = {
        "patient": patient,
        "course": course,
        "decision": decision,
        "reason_line": one_line_reason(decision),
        "problem": str(read.problem) if read.problem else None,
        "alerts": read.screen or {},
        "orders": open_orders,
        "covered_by": covering_order(decision, open_orders),
        "overridden": [o for o in open_orders if o["order"].override_reason],
        "review_from": read.review_from,
        "stop_to_record": action == "discontinue" and not _stop_recorded(document),
    }
    row["ended"] = (
        action in ("complete", "discontinue") and not row["stop_to_record"] and not open_orders
    )
    row["attention"] = (
        bool(open_orders)
        or row["stop_to_record"]
        or action
        in (
            "give",
            "delay",
            "hold",
            "omit",
        )
    )
    return row


def _matches(row: dict[str, Any], show: str, today: dt.date) -> bool:
    found = [o["order"] for o in row["orders"]]
    if show == "verify":
        return any(o.status in ("signed", "verified") for o in found)
    if show == "give":
        action = (row["decision"] or {}).get("action")
        due = [o for o in found if o.status in COVERING_ORDER_STATUSES]
        return action == "give" or any(o.scheduled_on <= today for o in due)
    return True


def worklist(
    session: Session, user: User, today: dt.date, show: str | None = None
) -> dict[str, Any]:
    """Today's courses (engine decision, open orders, alerts) under the filter `show`
    (default: the user's role's filter); `ended` counts the finished courses not listed."""
    show = show if show in FILTERS else DEFAULT_FILTER.get(user.role, "all")
    rows: list[dict[str, Any]] = []
    ended = hidden = 0
    for patient in patients.list_patients(session, user):
        for course in courses.list_courses(session, user, patient.id):
            row = _row(session, user, patient, course, today)
            if row["ended"]:
                ended += 1
            elif not _matches(row, show, today):
                hidden += 1
            else:
                rows.append(row)
    rows.sort(key=lambda r: (not r["attention"], r["patient"].family_name, r["course"].id))
    return {"rows": rows, "ended": ended, "hidden": hidden, "show": show, "filters": FILTERS}
