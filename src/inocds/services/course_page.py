"""The course read model: a stored course parsed once and walked once, and what its page shows.

`read_course` parses the course document, walks it (`build_course`) and hands that one
walked state to the engine's explain, plan and screen. The worklist and the course page
both read courses through it; neither runs the engine twice on the same course.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Row, bindparam, func, select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import (
    Administration,
    Course,
    CourseEvent,
    Measurement,
    Order,
    Patient,
    User,
)
from inocds.adapters.db.roles import CLINICAL_ROLES
from inocds.clinical.assess import assess_course
from inocds.clinical.course import CourseState, build_course
from inocds.clinical.documents import CourseDocument, parse_course
from inocds.clinical.explain import explain_course
from inocds.clinical.plan import plan_course
from inocds.clinical.screen import screen_course
from inocds.clinical.timeline import (
    as_of,
    dose_history,
    dose_slots,
    hold_review_date,
    recheck_conditions,
)
from inocds.clinical.validation import InputError
from inocds.protocol.loader import load_protocol
from inocds.services import courses, order_history, orders, patients, waste
from inocds.services.access import require_role
from inocds.services.access_log import note_read
from inocds.services.course_read_cache import READ_MODELS, read_model_key
from inocds.services.courses import EVENT_ROLES
from inocds.services.errors import NotFound
from inocds.services.page_reads import NeedsUnitOfWork, QuickRows, Reads, rows_of
from inocds.services.patient_block import patient_block

__all__ = ["CourseRead", "correction", "course_page", "event_rows", "order_rows", "read_course"]


@dataclass
class CourseRead:
    """One course document, parsed and walked once, with the engine's answers."""

    document: dict[str, Any]
    parsed: CourseDocument | None = None
    state: CourseState | None = None
    decision: dict[str, Any] | None = None
    problem: InputError | None = None
    explained: dict[str, Any] = field(default_factory=dict)
    plan: dict[str, Any] | None = None
    screen: dict[str, Any] | None = None
    review_from: dt.date | None = None
    """The day a held dose has been held over 28 days (consider discontinuation)."""


def read_course(document: dict[str, Any], *, full: bool = True) -> CourseRead:
    """Parses and walks `document` once; the decision, the plan and the screen (and with
    `full`, the explanation). An invalid document gives `problem`, no answers."""
    read = CourseRead(document)
    try:
        read.parsed = parse_course(document)
        read.state = build_course(read.parsed)
        decision = assess_course(read.parsed, read.state)
        if full:
            read.explained = explain_course(read.parsed, read.state, decision)
            read.decision = read.explained["decision"]
        else:
            read.decision = decision.to_dict()
        plan = plan_course(read.parsed, read.state, decision)
        read.plan = plan.to_dict()
        read.screen = screen_course(read.parsed, plan).to_dict()
        read.review_from = hold_review_date(read.state, read.decision)
    except InputError as error:
        read.problem = error
    return read


def order_rows(session: Session, found: list[Order]) -> list[dict[str, Any]]:
    """Orders with their preparation (for the beyond-use clock), newest first."""
    rows = []
    for order in found:
        preparation = (
            order_history.preparation_of(session, order.id) if order.status == "prepared" else None
        )
        rows.append({"order": order, "preparation": preparation})
    return rows


def _thresholds() -> dict[str, float]:
    p = load_protocol()
    return {
        "anc": p["heme.anc_gate"].number("anc_per_mm3"),
        "platelets": p["heme.platelet_gate"].number("platelets_per_mm3"),
        "bilirubin": p["hepatic.interrupt"].number("bilirubin_x_uln"),
        "transaminase": p["hepatic.interrupt"].number("transaminase_x_uln"),
    }


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


_EVENT_ROWS = (
    select(
        CourseEvent.id,
        CourseEvent.type,
        CourseEvent.payload,
        CourseEvent.supersedes_id,
        CourseEvent.retracted,
        CourseEvent.recorded_by,
        CourseEvent.recorded_at,
        func.coalesce(func.nullif(User.full_name, ""), User.username).label("recorded_by_name"),
        select(func.max(Administration.order_id))
        .where(Administration.dose_event_id == CourseEvent.id)
        .correlate(CourseEvent)
        .scalar_subquery()
        .label("order_id"),
    )
    .outerjoin(User, User.id == CourseEvent.recorded_by)
    .where(CourseEvent.course_id == bindparam("course_id"))
    .order_by(CourseEvent.id)
)
"""Every stored event row of a course in entry order (superseded and retracted ones too),
with the name of its recorder and, for a dose recorded by an administration, its order:
one query, rows rather than ORM objects (built once)."""


def stored_event_rows(session: Reads, course_id: int) -> list[Row[Any]]:
    """The rows of `_EVENT_ROWS` for a course (read-only: the page and its corrections)."""
    return rows_of(session, _EVENT_ROWS, {"course_id": course_id})


def event_rows(user: User, stored: list[Row[Any]]) -> list[dict[str, Any]]:
    """The entries in force, by date, with who recorded them and what `user` may change."""
    rows = []
    for event in courses.in_force(stored):
        payload = dict(event.payload or {})
        when = payload.get("onset") if event.type == "toxicity" else payload.get("date")
        order_id = event.order_id
        allowed = user.role in EVENT_ROLES.get(event.type, ())
        rows.append(
            {
                "id": event.id,
                "type": event.type,
                "date": when,
                "payload": payload,
                "by": event.recorded_by_name or "?",
                "corrects": event.supersedes_id,
                "order_id": order_id,
                "may_retract": allowed and order_id is None,
                "may_resolve": allowed and event.type == "toxicity" and not payload.get("resolved"),
            }
        )
    rows.sort(key=lambda r: (str(r["date"]), r["id"]))
    return rows


def _retracted_rows(rows: list[Row[Any]]) -> list[dict[str, Any]]:
    by_id = {r.id: r for r in rows}
    return [
        {"id": r.supersedes_id, "payload": dict(by_id[r.supersedes_id].payload or {})}
        | {"at": r.recorded_at}
        for r in rows
        if r.retracted and r.supersedes_id in by_id
    ]


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


def _read_model(
    stored: dict[str, Any], on: dt.date, today: dt.date, flags: dict[str, Any]
) -> dict[str, Any]:
    """What the page shows of the engine for the stored document on `on` (one parse, one
    walk): a function of its arguments alone (services/course_read_cache.py keeps it)."""
    document = as_of(stored, on, today)
    document = {**document, "today": {"date": on.isoformat(), **flags}}
    read = read_course(document)
    model: dict[str, Any] = {
        "document": document,
        "problem": read.problem,
        "decision": read.decision,
        "steps": read.explained.get("steps", []),
        "timeline": read.explained.get("timeline", []),
        "plan": read.plan,
        "screen": read.screen,
        "slots": [],
        "history": None,
        "review_from": read.review_from,
        "labs": _lab_rows(document),
        "plots": lab_plots(document),
        "uln": _latest_uln(stored),
        "recheck": recheck_conditions(read.decision),
        "doses_given": any(e.get("type") == "dose" for e in document["events"]),
    }
    if read.state is not None and read.decision is not None and read.plan is not None:
        model["slots"] = dose_slots(read.state, read.decision, read.plan)
        model["history"] = dose_history(read.state)
    return model


_LATEST_MEASUREMENT = (
    select(Measurement.id)
    .where(Measurement.patient_id == Course.patient_id)
    .order_by(Measurement.measured_on.desc(), Measurement.id.desc())
    .limit(1)
    .correlate(Course)
    .scalar_subquery()
)
_TABLES = (("c_", Course), ("p_", Patient), ("m_", Measurement))
_COURSE_PATIENT_MEASUREMENT = (
    select(
        *(
            column.label(prefix + column.key)
            for prefix, model in _TABLES
            for column in model.__table__.columns
        )
    )
    .select_from(Course)
    .join(Patient, Patient.id == Course.patient_id)
    .outerjoin(Measurement, Measurement.id == _LATEST_MEASUREMENT)
    .where(Course.id == bindparam("course_id"))
)
"""The course, its patient and its latest measurement: one query, columns by prefix."""


def _records(row: Row[Any]) -> list[Any]:
    """The course, patient and measurement of a `_COURSE_PATIENT_MEASUREMENT` row, each an
    object with every column of its table under its own name (read-only copies, not ORM
    objects: loading three objects cost ~0.1 ms a page); no measurement gives None."""
    values = row._asdict()
    found: list[Any] = []
    for prefix, model in _TABLES:
        fields = {c.key: values[prefix + c.key] for c in model.__table__.columns}
        found.append(SimpleNamespace(**fields) if fields["id"] is not None else None)
    return found


def _course_patient(session: Reads, user: User, course_id: int) -> tuple[Any, Any, Any]:
    """What `courses.get_course`, `patients.get_patient` and `patients.latest_measurement`
    answer together (as `_records`), with their refusals (Forbidden, no course, no
    measurement)."""
    require_role(user, *CLINICAL_ROLES)
    found = rows_of(session, _COURSE_PATIENT_MEASUREMENT, {"course_id": course_id})
    row = found[0] if found else None
    if row is None:
        raise NotFound(f"no course {course_id}", "course_id")
    course, patient, measurement = _records(row)
    note_read(user.id, patient.id)
    if measurement is None:
        raise NotFound(f"patient {patient.id} has no height and weight recorded", "measurements")
    return course, patient, measurement


def _stored_document(
    session: Reads,
    course: Any,
    patient: Any,
    latest: Any,
    stored_events: list[Row[Any]],
    today: dt.date,
) -> dict[str, Any]:
    """The course document of `courses.course_document` from rows already loaded: the
    measurement in force on `today` (the latest on or before it, else the latest)."""
    measurement = latest
    if latest.measured_on > today:
        if isinstance(session, QuickRows):
            raise NeedsUnitOfWork("the measurement in force is read through the ORM")
        try:
            measurement = patients.latest_measurement(session, patient.id, on_or_before=today)
        except NotFound:
            measurement = latest
    return {
        "patient": patient_block(patient, course, measurement),
        "events": [dict(r.payload or {}) for r in courses.in_force(stored_events)],
        "today": {"date": today.isoformat()},
    }


def course_page(
    session: Reads,
    user: User,
    course_id: int,
    on: dt.date,
    today: dt.date,
    flags: dict[str, Any],
) -> dict[str, Any]:
    """Everything the course page shows for the decision date `on` (nothing here writes).
    The engine's part is computed once per document content (course_read_cache); the
    user's rights, orders and waste are read on every request."""
    course, patient, measurement = _course_patient(session, user, course_id)
    stored_events = stored_event_rows(session, course_id)  # one query for every list
    stored = _stored_document(session, course, patient, measurement, stored_events, today)
    key = read_model_key(stored, on.isoformat(), today.isoformat(), flags)
    model = READ_MODELS.get_or_compute(key, lambda: _read_model(stored, on, today, flags))
    return {
        **model,
        "read_key": key,
        "course": course,
        "patient": patient,
        "measurement": measurement,
        "thresholds": _thresholds(),
        "events": event_rows(user, stored_events),
        "retracted": _retracted_rows(stored_events),
        "orders": order_history.course_order_rows(session, user, course_id),
        "weight_change": orders.weight_change_fraction(course, measurement.weight_kg),
        "weight_change_limit": orders.WEIGHT_CHANGE_FRACTION,
        "waste": waste.course_waste(session, user, course_id),
        "waste_labels": waste.REASON_LABELS,
        "measurement_age_days": (today - measurement.measured_on).days,
    }


def correction(session: Session, user: User, course_id: int, event_id: int) -> dict[str, Any]:
    """An entry of the course and what `user` may change of it (its correction page).

    `event` is None when the entry is no longer in force (corrected or withdrawn);
    NotFound when the course has no such entry.
    """
    course = courses.get_course(session, user, course_id)
    patient = patients.get_patient(session, user, course.patient_id)
    stored_events = stored_event_rows(session, course_id)
    if all(r.id != event_id for r in stored_events):
        raise NotFound(f"course {course_id} has no entry {event_id}", "event_id")
    rows = event_rows(user, stored_events)
    return {
        "course": course,
        "patient": patient,
        "event_id": event_id,
        "event": next((r for r in rows if r["id"] == event_id), None),
    }
