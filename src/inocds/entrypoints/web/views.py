"""What the pages show, gathered from the use cases and the clinical core.

Each `*_view` function takes the request's session and user, calls the services
(which check roles and raise `ServiceError`), runs the engine on the stored course
and returns plain dictionaries for the templates. Nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import (
    Administration,
    Order,
    Patient,
    Preparation,
    User,
    Verification,
)
from inocds.clinical.assess import assess_course
from inocds.clinical.course import build_course
from inocds.clinical.documents import TOXICITY_CATEGORIES, parse_course
from inocds.clinical.dose import DoseRequest, dose_answer
from inocds.clinical.explain import explain_course
from inocds.clinical.plan import plan_course
from inocds.clinical.rules.text import recheck
from inocds.clinical.screen import screen_course
from inocds.clinical.validation import InputError
from inocds.entrypoints.web.forms import to_local
from inocds.protocol.loader import load_protocol
from inocds.services import courses, orders, patients, waste
from inocds.services.courses import EVENT_ROLES

__all__ = [
    "ACTION_LABELS",
    "CHECK_LABELS",
    "COVERING_ORDER_STATUSES",
    "CTCAE_GRADES",
    "OPEN_ORDER_STATUSES",
    "ORDER_STATUS_LABELS",
    "ORDER_STATUS_SHORT",
    "TOXICITY_LABELS",
    "VOD_LABELS",
    "Clock",
    "as_of",
    "bedside_reminders",
    "course_view",
    "covering_order",
    "order_view",
    "plain_words",
    "recheck_conditions",
    "time_left",
    "worklist_view",
]

ACTION_LABELS = {
    "give": "Give the dose",
    "delay": "Delay the dose",
    "omit": "Skip this dose",
    "hold": "Hold: the next cycle may not start yet",
    "discontinue": "Stop treatment",
    "complete": "Course complete",
    "none_due": "No dose due",
}
"""The engine's actions in plain words (the action code is shown beside them)."""

ORDER_STATUS_LABELS = {
    "signed": "Signed, awaiting pharmacist verification",
    "verified": "Verified, awaiting preparation",
    "prepared": "Prepared, awaiting administration",
    "administered": "Administered",
    "returned": "Returned for recalculation",
    "cancelled": "Cancelled",
}
ORDER_STATUS_SHORT = {
    "signed": "signed",
    "verified": "verified",
    "prepared": "prepared",
    "administered": "given",
    "returned": "returned",
    "cancelled": "cancelled",
}
"""The order status in one word, for one-line summaries."""
OPEN_ORDER_STATUSES = ("signed", "verified", "prepared", "returned")

VOD_LABELS = {
    "prior_hsct": "Earlier stem cell transplant",
    "age_55_or_more": "Age 55 or older",
    "liver_disease": "Liver disease",
    "prior_vod": "Earlier VOD/SOS",
    "later_salvage_line": "Later salvage line",
    "hsct_planned": "Transplant planned",
    "cycles_more_than_2": "More than 2 cycles",
    "bilirubin_at_or_above_uln": "Bilirubin at or above the upper limit of normal",
}

TOXICITY_LABELS = {
    "nonhematologic": "Non-hematologic",
    "hepatic": "Liver (hepatic)",
    "infusion_reaction": "Infusion reaction",
    "vod": "VOD / sinusoidal obstruction syndrome",
    "bleeding": "Bleeding",
    "infection": "Infection",
}
assert set(TOXICITY_LABELS) == set(TOXICITY_CATEGORIES)

CTCAE_GRADES = (
    (1, "Grade 1 — mild", "few or no symptoms; watching is enough"),
    (2, "Grade 2 — moderate", "limits some daily activities; simple treatment helps"),
    (3, "Grade 3 — severe", "disabling or needs a hospital stay, not yet life-threatening"),
    (4, "Grade 4 — life-threatening", "needs urgent intervention"),
    (5, "Grade 5 — death", "death related to the event"),
)
"""CTCAE grades with a short reminder of what each means (in our own words)."""

CHECK_LABELS = {
    "cbc": "Blood count",
    "lfts": "Liver tests",
    "lfts_post_hsct": "Liver tests after a transplant",
    "ecg_electrolytes": "ECG and electrolytes",
    "pregnancy_test": "Pregnancy test",
    "hbv_screening": "Hepatitis B screening",
    "tls": "Tumour lysis labs",
    "tls_period": "Tumour lysis risk period",
    "infusion_observation": "Watching during and after the infusion",
    "vod_signs": "Signs of VOD",
    "dose_dates": "Dose dates",
}
"""The screen's monitoring checks in plain words."""

_SLOT_STATUS = {
    "given": "Given",
    "late": "Given late",
    "omitted": "Omitted",
    "delayed": "Delayed",
    "due": "Due today",
    "pending": "Pending",
    "planned": "Planned",
}


@dataclass(frozen=True)
class Clock:
    """A beyond-use deadline and how long is left at `now`."""

    at: dt.datetime
    """The deadline, in the ward's zone."""
    left: str
    expired: bool
    urgent: bool
    """Less than an hour left."""


def time_left(deadline: dt.datetime, now: dt.datetime) -> Clock:
    """The time from `now` to `deadline` in words ("1 h 05 min left", "expired 3 min ago")."""
    at = to_local(deadline)
    seconds = int((at - now).total_seconds())
    minutes = abs(seconds) // 60
    hours, rest = divmod(minutes, 60)
    span = f"{hours} h {rest:02d} min" if hours else f"{rest} min"
    if seconds < 0:
        return Clock(at, f"expired {span} ago", True, True)
    return Clock(at, f"{span} left", False, seconds < 3600)


def _user_names(session: Session) -> dict[int, str]:
    return {u.id: u.full_name or u.username for u in session.scalars(select(User))}


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


# ------------------------------------------------------------------ worklist


def _alerts(screen: dict[str, Any]) -> list[dict[str, str]]:
    """The alerts that matter on the worklist: interactions of risk X or D, VOD risk factors."""
    alerts = [
        {
            "kind": "interaction",
            "text": f"{hit['drug']}: interaction risk {hit['risk']}",
            "detail": str(hit.get("management") or ""),
        }
        for hit in screen.get("interactions", [])
        if hit.get("risk") in ("X", "D")
    ]
    factors = [VOD_LABELS.get(f, f) for f in screen.get("vod_risk_factors", [])]
    if factors:
        alerts.append(
            {"kind": "vod", "text": "VOD risk factors: " + ", ".join(factors), "detail": ""}
        )
    return alerts


COVERING_ORDER_STATUSES = ("signed", "verified", "prepared")
"""Order states that already stand for a dose: no second order is needed for it."""


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


def _order_row(session: Session, order: Order, now: dt.datetime) -> dict[str, Any]:
    row: dict[str, Any] = {
        "order": order,
        "status_label": ORDER_STATUS_LABELS.get(order.status, order.status),
        "clock": None,
    }
    if order.status == "prepared":
        preparation = session.scalar(select(Preparation).where(Preparation.order_id == order.id))
        if preparation is not None:
            row["clock"] = time_left(preparation.latest_start_at, now)
    return row


def worklist_view(session: Session, user: User, today: dt.date, now: dt.datetime) -> dict[str, Any]:
    """Today's courses with the engine's decision, open orders, running clocks and alerts."""
    rows: list[dict[str, Any]] = []
    ended = 0
    clocks: list[dict[str, Any]] = []
    for patient in patients.list_patients(session, user):
        for course in courses.list_courses(session, user, patient.id):
            open_orders = [
                _order_row(session, o, now)
                for o in orders.list_orders(session, user, course_id=course.id)
                if o.status in OPEN_ORDER_STATUSES
            ]
            row: dict[str, Any] = {
                "patient": patient,
                "course": course,
                "decision": None,
                "problem": None,
                "alerts": [],
                "orders": open_orders,
                "covered_by": None,
            }
            try:
                document = courses.course_document(session, user, course.id, today)
                parsed = parse_course(document)
                row["decision"] = assess_course(parsed).to_dict()
                row["alerts"] = _alerts(screen_course(parsed).to_dict())
            except InputError as error:
                row["problem"] = str(error)
            row["covered_by"] = covering_order(row["decision"], open_orders)
            action = (row["decision"] or {}).get("action")
            if action in ("complete", "discontinue") and not open_orders:
                ended += 1
                continue
            row["attention"] = bool(open_orders) or action in ("give", "delay", "hold", "omit")
            rows.append(row)
            for item in open_orders:
                if item["clock"] is not None:
                    clocks.append({**item, "patient": patient})
    rows.sort(key=lambda r: (not r["attention"], r["patient"].family_name, r["course"].id))
    clocks.sort(key=lambda c: c["clock"].at)
    return {"rows": rows, "ended": ended, "clocks": clocks}


# ------------------------------------------------------------------ course page


def _event_summary(payload: dict[str, Any]) -> str:
    kind = payload.get("type")
    if kind == "dose":
        return (
            f"Cycle {payload.get('cycle')} day {payload.get('day')}: "
            f"{payload.get('dose_mg_per_m2')} mg/m² given"
        )
    if kind == "cycle_start":
        counts = _counts_text(payload)
        return f"Cycle {payload.get('cycle')} started" + (f" ({counts})" if counts else "")
    if kind == "labs":
        return "Labs: " + (_labs_text(payload) or "no values")
    if kind == "toxicity":
        category = TOXICITY_LABELS.get(str(payload.get("category")), payload.get("category"))
        name = f" — {payload['name']}" if payload.get("name") else ""
        resolved = payload.get("resolved")
        end = f", resolved {resolved}" if resolved else ", not resolved"
        return f"Toxicity: {category}{name}, grade {payload.get('grade')}{end}"
    if kind == "response":
        mrd = f", MRD {payload['mrd']}" if payload.get("mrd") else ""
        return f"Response: {payload.get('status')}{mrd}"
    if kind == "discontinued":
        reason = f": {payload['reason']}" if payload.get("reason") else ""
        return f"Treatment stopped{reason}"
    return str(kind)


def _counts_text(payload: dict[str, Any]) -> str:
    parts = []
    if payload.get("anc_per_mm3") is not None:
        parts.append(f"ANC {payload['anc_per_mm3']:,g}/mm³")
    if payload.get("platelets_per_mm3") is not None:
        parts.append(f"platelets {payload['platelets_per_mm3']:,g}/mm³")
    return ", ".join(parts)


def _labs_text(payload: dict[str, Any]) -> str:
    parts = [_counts_text(payload)] if _counts_text(payload) else []
    for key, label in (("bilirubin", "bilirubin"), ("ast", "AST"), ("alt", "ALT")):
        item = payload.get(key)
        if isinstance(item, dict):
            parts.append(f"{label} {item['value']:g} (ULN {item['uln']:g})")
    return ", ".join(parts)


def _x_uln(item: Any) -> float | None:
    if isinstance(item, dict) and item.get("uln"):
        return float(item["value"]) / float(item["uln"])
    return None


def _lab_rows(document: dict[str, Any]) -> list[dict[str, Any]]:
    """Every measured value of the course, oldest first (pretreatment first)."""

    def row(when: str, what: str, values: dict[str, Any]) -> dict[str, Any]:
        return {
            "date": when,
            "what": what,
            "anc": values.get("anc_per_mm3"),
            "platelets": values.get("platelets_per_mm3"),
            "bilirubin": _x_uln(values.get("bilirubin")),
            "ast": _x_uln(values.get("ast")),
            "alt": _x_uln(values.get("alt")),
        }

    rows = [row("", "Before treatment", document["patient"].get("pretreatment", {}))]
    for event in sorted(document["events"], key=lambda e: str(e.get("date", ""))):
        if event.get("type") == "labs":
            rows.append(row(event["date"], "Labs", event))
        elif event.get("type") == "cycle_start" and (
            "anc_per_mm3" in event or "platelets_per_mm3" in event
        ):
            rows.append(row(event["date"], f"Cycle {event['cycle']} start", event))
    today_labs = document.get("today", {}).get("labs")
    if today_labs:
        rows.append(row(document["today"]["date"], "Today", today_labs))
    return rows


def _thresholds() -> dict[str, float]:
    p = load_protocol()
    return {
        "anc": p["heme.anc_gate"].number("anc_per_mm3"),
        "platelets": p["heme.platelet_gate"].number("platelets_per_mm3"),
        "bilirubin": p["hepatic.interrupt"].number("bilirubin_x_uln"),
        "transaminase": p["hepatic.interrupt"].number("transaminase_x_uln"),
    }


def lab_plots(document: dict[str, Any]) -> dict[str, str] | None:
    """The documents' inline SVG plots of the labs, or None while they are not available."""
    try:
        from inocds.adapters.reports.plots import lab_plots_svg
    except ImportError:
        return None
    try:
        plots: dict[str, str] = lab_plots_svg(document)
    except (InputError, ValueError, KeyError, TypeError):
        return None
    return plots or None


def recheck_conditions(decision: dict[str, Any] | None) -> list[dict[str, str]]:
    """What must be true before a held or delayed dose can go ahead, from the decision's reasons.

    Each condition names the rule it comes from; the numbers are read from the protocol.
    """
    if not decision or decision.get("action") not in ("hold", "delay"):
        return []
    p = load_protocol()
    anc = p["heme.anc_gate"].number("anc_per_mm3")
    plt = p["heme.platelet_gate"].number("platelets_per_mm3")
    bili = p["hepatic.interrupt"].number("bilirubin_x_uln")
    trans = p["hepatic.interrupt"].number("transaminase_x_uln")
    grade_back = "the toxicity is back to grade ≤ 1 (or to the patient's grade before treatment)"
    texts = {
        "heme.anc_gate": f"the ANC is ≥ {anc:,g}/mm³",
        "heme.platelet_gate": f"platelets are ≥ {plt:,g}/mm³",
        "heme.low_baseline_gate": (
            "the counts are back to the previous cycle's starting counts "
            f"(or ANC ≥ {anc:,g}/mm³ and platelets ≥ {plt:,g}/mm³)"
        ),
        "hepatic.interrupt": f"bilirubin is ≤ {bili:g} × ULN and AST and ALT ≤ {trans:g} × ULN",
        "nonheme.grade2": grade_back,
        "nonheme.bleeding_infection": grade_back,
        "cytoreduction": "the blast count is brought down to the limit before the first dose",
    }
    found: list[dict[str, str]] = []
    seen: set[str] = set()
    for reason in decision.get("reasons", []):
        text = texts.get(str(reason.get("rule"))) or recheck(str(reason.get("rule")))
        if text and text not in seen:
            seen.add(text)
            found.append({"text": text, "rule": str(reason["rule"])})
    return found


def _started_late_note(state: Any, number: int) -> str:
    """ "started N day(s) after it was due" for a cycle that began after its due date."""
    previous = state.cycles.get(number - 1)
    cycle = state.cycles[number]
    if previous is None or previous.start is None or cycle.start is None:
        return ""
    due = previous.start + dt.timedelta(days=previous.regimen.length_days)
    gap = dt.timedelta(
        days=load_protocol()["schedule.min_interval"].integer("min_days_between_doses")
    )
    if previous.given:
        due = max(due, max(when for when, _ in previous.given.values()) + gap)
    late = (cycle.start - due).days
    if late <= 0:
        return ""
    return f"cycle {number} started {late} day(s) after it was due ({due.isoformat()})"


def _slots(
    document: dict[str, Any], decision: dict[str, Any], plan: dict[str, Any]
) -> list[dict[str, Any]]:
    """Every dose slot of the started cycles and of the planned cycle, with its status."""
    state = build_course(parse_course(document))
    today = state.today
    blocking = [c["rule"] for c in recheck_conditions(decision)]
    gap = dt.timedelta(
        days=load_protocol()["schedule.min_interval"].integer("min_days_between_doses")
    )
    rows: list[dict[str, Any]] = []
    for number in sorted(state.cycles):
        cycle = state.cycles[number]
        pending_floor: dt.date | None = None
        for day in cycle.regimen.days:
            rules: list[str] = []
            not_before: dt.date | None = None
            window_end: dt.date | None = None
            scheduled = (
                cycle.start + dt.timedelta(days=day - 1) if cycle.start is not None else None
            )
            given = cycle.given.get(day)
            note = ""
            amount: float | None = cycle.regimen.amount(day)
            if given is not None:
                when, amount = given
                late = scheduled is not None and when > scheduled
                status = "late" if late else "given"
                if late and scheduled is not None:
                    note = f"{(when - scheduled).days} day(s) after day {day}"
                if day == 1:
                    note = _started_late_note(state, number) or note
            elif day in cycle.omitted:
                status, when = "omitted", None
                note = cycle.omitted[day]
            else:
                when = None
                current = (decision.get("cycle"), decision.get("day")) == (number, day)
                action = decision.get("action")
                if current and action in ("delay", "hold"):
                    status = "delayed"
                elif current and action == "give":
                    status = "due"
                else:
                    status = "pending"
                if scheduled is not None and scheduled < today and status == "pending":
                    status = "delayed"
                if day != 1 and cycle.start is not None:
                    earliest, _, latest = state.due_window(number, day)
                    if pending_floor is not None:  # an earlier dose of the cycle is still open
                        earliest = max(earliest, pending_floor + gap)
                        latest = max(latest, earliest)
                    pending_floor = earliest
                    if scheduled is not None and earliest > scheduled:
                        not_before = earliest
                    note = f"window {earliest.isoformat()} to {latest.isoformat()}"
                    window_end = latest
                if current and action in ("delay", "hold"):
                    rules = blocking
                    recheck = decision.get("next_dose_date")
                    ends = f"; its window ends {window_end.isoformat()}" if window_end else ""
                    note = f"delayed; recheck from {recheck}{ends}" if recheck else f"delayed{ends}"
            rows.append(
                {
                    "cycle": number,
                    "day": day,
                    "scheduled": scheduled,
                    "not_before": not_before,
                    "date": when,
                    "dose_mg_per_m2": amount,
                    "status": status,
                    "status_label": _SLOT_STATUS[status],
                    "note": note,
                    "rules": rules,
                    "level": cycle.regimen.level,
                }
            )
    planned_cycle = plan.get("cycle")
    if planned_cycle is not None and planned_cycle not in state.cycles:
        held = (
            decision.get("action") in ("hold", "delay") and decision.get("cycle") == planned_cycle
        )
        for dose in plan.get("doses", []):
            status = "planned"
            note = (
                f"window {dose['earliest']} to {dose['latest']}"
                if dose["earliest"] != dose["latest"]
                else "on that day"
            )
            rules = []
            if held and dose["day"] == decision.get("day"):
                status = "delayed"
                due, _, _ = state.due_window(planned_cycle, dose["day"])
                note = f"due since {due}; {ACTION_LABELS[decision['action']].lower()}"
                rules = blocking
            rows.append(
                {
                    "cycle": planned_cycle,
                    "day": dose["day"],
                    "not_before": None,
                    "rules": rules,
                    "scheduled": dt.date.fromisoformat(dose["date"]),
                    "date": None,
                    "dose_mg_per_m2": dose["dose_mg_per_m2"],
                    "status": status,
                    "status_label": _SLOT_STATUS[status],
                    "note": note,
                    "level": plan.get("dose_level"),
                }
            )
    return rows


def _event_rows(session: Session, user: User, course_id: int) -> list[dict[str, Any]]:
    names = _user_names(session)
    from_orders = {
        a.dose_event_id: a.order_id
        for a in session.scalars(
            select(Administration).where(Administration.dose_event_id.is_not(None))
        )
    }
    rows = []
    for event in courses.effective_events(session, course_id):
        payload = dict(event.payload or {})
        when = payload.get("onset") if event.type == "toxicity" else payload.get("date")
        order_id = from_orders.get(event.id)
        allowed = user.role in EVENT_ROLES.get(event.type, ())
        rows.append(
            {
                "id": event.id,
                "type": event.type,
                "date": when,
                "summary": _event_summary(payload),
                "by": names.get(event.recorded_by, "?"),
                "corrects": event.supersedes_id,
                "order_id": order_id,
                "may_retract": allowed and order_id is None,
                "may_resolve": allowed and event.type == "toxicity" and not payload.get("resolved"),
            }
        )
    rows.sort(key=lambda r: (str(r["date"]), r["id"]))
    return rows


def _retracted_rows(session: Session, course_id: int) -> list[dict[str, Any]]:
    rows = courses.all_events(session, course_id)
    by_id = {r.id: r for r in rows}
    withdrawn = []
    for row in rows:
        if row.retracted and row.supersedes_id in by_id:
            original = by_id[row.supersedes_id]
            withdrawn.append(
                {
                    "id": original.id,
                    "summary": _event_summary(dict(original.payload or {})),
                    "at": to_local(row.recorded_at),
                }
            )
    return withdrawn


def _latest_uln(document: dict[str, Any]) -> dict[str, float]:
    """The most recent upper limits of normal entered, to pre-fill the labs form."""
    found: dict[str, float] = {}
    sources = [document["patient"].get("pretreatment", {})]
    sources += [e for e in document["events"] if e.get("type") == "labs"]
    for source in sources:
        for key in ("bilirubin", "ast", "alt"):
            item = source.get(key)
            if isinstance(item, dict) and item.get("uln"):
                found[key] = float(item["uln"])
    return found


def course_view(
    session: Session,
    user: User,
    course_id: int,
    on: dt.date,
    today: dt.date,
    flags: dict[str, Any],
    now: dt.datetime,
) -> dict[str, Any]:
    """Everything the course page shows for the decision date `on`."""
    course = courses.get_course(session, user, course_id)
    patient = patients.get_patient(session, user, course.patient_id)
    measurement = patients.latest_measurement(session, patient.id)
    stored = courses.course_document(session, user, course_id, today)
    document = as_of(stored, on, today)
    document = {**document, "today": {"date": on.isoformat(), **flags}}
    view: dict[str, Any] = {
        "course": course,
        "patient": patient,
        "measurement": measurement,
        "document": document,
        "problem": None,
        "decision": None,
        "steps": [],
        "timeline": [],
        "slots": [],
        "plan": None,
        "screen": None,
        "labs": _lab_rows(document),
        "thresholds": _thresholds(),
        "plots": lab_plots(document),
        "events": _event_rows(session, user, course_id),
        "retracted": _retracted_rows(session, course_id),
        "orders": [
            _order_row(session, o, now)
            for o in orders.list_orders(session, user, course_id=course_id)
        ],
        "uln": _latest_uln(stored),
        "weight_change": orders.weight_change_fraction(course, measurement.weight_kg),
        "weight_change_limit": orders.WEIGHT_CHANGE_FRACTION,
        "waste": waste.course_waste(session, user, course_id),
        "waste_labels": waste.REASON_LABELS,
    }
    try:
        parsed = parse_course(document)
        explained = explain_course(parsed)
        plan = plan_course(parsed).to_dict()
        view.update(
            decision=explained["decision"],
            steps=explained["steps"],
            timeline=explained["timeline"],
            plan=plan,
            screen=screen_course(parsed).to_dict(),
            slots=_slots(document, explained["decision"], plan),
        )
    except InputError as error:
        view["problem"] = error
    view["recheck"] = recheck_conditions(view["decision"])
    view["doses_given"] = any(e.get("type") == "dose" for e in document["events"])
    return view


# ------------------------------------------------------------------ order page


LIMIT_LABELS = {
    "reconstitution_to_dilution": "Dilute by",
    "reconstitution_to_end_of_infusion": "Infusion ends (limit from reconstitution)",
    "diluted_room_temperature": "Diluted solution at room temperature",
    "diluted_refrigerated": "Diluted solution in the refrigerator",
    "warm_up_before_start": "Warmed up, ready to start",
    "infusion_duration": "Infusion ends (start time + infusion length)",
}
"""The beyond-use limits of a preparation, named for the page."""

_PLAIN_WORDS = (
    (re.compile(r"\s*\((?:see )?prep\.[a-z_.]+\)"), ""),
    (
        re.compile(r"give diluted_at to put that limit on the clock"),
        "no dilution time was recorded, so that limit is not counted here: "
        "keep track of it from the moment of dilution",
    ),
    (re.compile(r"\bdiluted_at\b"), "the dilution time"),
    (re.compile(r"\b2-8 C\b"), "2–8 °C"),
    (re.compile(r"\b20-25 C\b"), "20–25 °C"),
)


def plain_words(text: str) -> str:
    """A worksheet note or limit message without internal field and rule names.

    The stored worksheet (and the JSON API) keeps the engine's wording; the page shows
    the rule as a link beside the text instead.
    """
    for pattern, words in _PLAIN_WORDS:
        text = pattern.sub(words, text)
    return text


def bedside_reminders() -> dict[str, Any]:
    """What the nurse does around the infusion: premedication before, observation after."""
    protocol = load_protocol()
    premedication = protocol["premedication"]
    observation = protocol["prep.observation"]
    agents = [f"{'an' if a[:1] in 'aeiou' else 'a'} {a}" for a in premedication.texts("agents")]
    return {
        "agents": list(premedication.texts("agents")),
        "agents_text": " and ".join(
            [", ".join(agents[:-1]), agents[-1]] if len(agents) > 1 else agents
        ),
        "minutes_before": premedication.integer("minutes_before"),
        "premedication_rule": premedication.id,
        "observation_minutes": observation.integer("observation_minutes"),
        "observation_rule": observation.id,
    }


def worksheet(order: Order, patient: Patient) -> dict[str, Any]:
    """The pharmacy worksheet of an order: the `dose` answer for its BSA and dose."""
    request = DoseRequest(
        bsa_m2=order.bsa_m2,
        bsa_source="height_weight",
        bsa_formula=patient.bsa_formula,
        height_cm=order.height_cm,
        weight_kg=order.weight_kg,
        dose_mg_per_m2=order.dose_mg_per_m2,
        override_reason=order.override_reason,
    )
    return dose_answer(request)


def order_view(session: Session, user: User, order_id: int, now: dt.datetime) -> dict[str, Any]:
    """An order with its patient, engine decision, worksheet, clock and the steps done."""
    order = orders.get_order(session, user, order_id)
    course = courses.get_course(session, user, order.course_id)
    patient = patients.get_patient(session, user, course.patient_id)
    names = _user_names(session)
    verification = session.scalar(select(Verification).where(Verification.order_id == order.id))
    preparation = session.scalar(select(Preparation).where(Preparation.order_id == order.id))
    administration = session.scalar(
        select(Administration).where(Administration.order_id == order.id)
    )
    clock = None
    limits: list[dict[str, Any]] = []
    notes: list[str] = []
    if preparation is not None:
        clock = {
            "start": time_left(preparation.latest_start_at, now),
            "end": time_left(preparation.latest_end_at, now),
            "removal": None,
            "dilute": None,
        }
        removal = preparation.worksheet.get("latest_removal_from_refrigerator_at")
        if isinstance(removal, str):
            clock["removal"] = time_left(dt.datetime.fromisoformat(removal), now)
        dilute = preparation.worksheet.get("latest_dilution_at")
        if preparation.diluted_at is None and isinstance(dilute, str):
            clock["dilute"] = time_left(dt.datetime.fromisoformat(dilute), now)
        same_day = to_local(preparation.reconstituted_at).date()
        for limit in preparation.worksheet.get("limits", []):
            at = to_local(dt.datetime.fromisoformat(limit["at"]))
            limits.append(
                {
                    **limit,
                    "at_local": at,
                    "at_text": at.strftime("%H:%M" if at.date() == same_day else "%Y-%m-%d %H:%M"),
                    "label": LIMIT_LABELS.get(limit["limit"], limit["limit"].replace("_", " ")),
                    "message": plain_words(str(limit.get("message", ""))),
                }
            )
        notes = [plain_words(str(n)) for n in preparation.worksheet.get("notes", [])]
    decision = order.engine_decision
    return {
        "order": order,
        "course": course,
        "patient": patient,
        "status_label": ORDER_STATUS_LABELS.get(order.status, order.status),
        "decision": decision,
        "decision_label": ACTION_LABELS.get(str(decision.get("action")), decision.get("action")),
        "sheet": worksheet(order, patient),
        "verification": verification,
        "preparation": preparation,
        "administration": administration,
        "clock": clock,
        "limits": limits,
        "notes": notes,
        "bedside": bedside_reminders(),
        "names": names,
        "prescriber": names.get(order.prescriber_id, "?"),
        "signed_at": to_local(order.signed_at),
    }
