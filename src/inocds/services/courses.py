"""Courses and their append-only events; the contract's course document built from them.

A correction is a new event that supersedes the old one; a retraction is a new row
that withdraws it. Nothing is updated in place, so what a user entered is never lost.
Every new event is checked against the whole course (the same strict validation
as the CLI) before it is stored, under a lock on the course (`lock_row`), so that the
check and the write are one step; a dose event in force holds its course's cycle and day
(`dose_slot`, unique in the database).

Correction rights (issue 10): superseding or retracting an event needs a role that may
record the replaced event's type as well as the new one; a clinical judgement recorded
by a physician is corrected by a physician only; a dose event written by an
administration is corrected only through the order workflow (void the administration).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, TypeVar

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from inocds.adapters.db.engine import lock_row
from inocds.adapters.db.models import Administration, Course, CourseEvent, Patient, User
from inocds.adapters.db.roles import CLINICAL_ROLES, Role
from inocds.clinical.assess import assess_course
from inocds.clinical.course import build_course
from inocds.clinical.documents import parse_course
from inocds.clinical.plan import plan_course
from inocds.clinical.plausibility import history_problems
from inocds.clinical.validation import FieldError, InputError
from inocds.services.access import require_role
from inocds.services.access_log import note_read
from inocds.services.audit import record, to_json
from inocds.services.course_snapshot import parsed_course
from inocds.services.errors import Conflict, Forbidden, NotFound
from inocds.services.patient_block import patient_block
from inocds.services.patients import get_patient, latest_measurement

__all__ = [
    "EVENT_ROLES",
    "append_event",
    "assess",
    "course_document",
    "create_course",
    "effective_events",
    "get_course",
    "list_courses",
    "plan",
    "retract_event",
    "screen",
]

EVENT_ROLES: dict[str, tuple[str, ...]] = {
    "cycle_start": (Role.PHYSICIAN,),
    "dose": (Role.PHYSICIAN,),  # history entry; the nurse's administration writes its own
    "toxicity": (Role.PHYSICIAN, Role.NURSE),
    "response": (Role.PHYSICIAN,),
    "labs": (Role.PHYSICIAN, Role.NURSE, Role.PHARMACIST),
    "discontinued": (Role.PHYSICIAN,),
}
JUDGEMENTS = ("toxicity", "response", "discontinued")
"""Clinical judgements: when a physician recorded one, only a physician corrects it."""


def create_course(
    session: Session,
    actor: User,
    patient_id: int,
    hsct_planned: bool,
    pretreatment: dict[str, Any],
    today: dt.date,
) -> Course:
    """Opens a course for a patient (physician); the pretreatment values are validated."""
    require_role(actor, Role.PHYSICIAN)
    patient = get_patient(session, actor, patient_id)
    weight = latest_measurement(session, patient_id).weight_kg
    course = Course(
        patient_id=patient.id,
        hsct_planned=hsct_planned,
        pretreatment=pretreatment,
        start_weight_kg=weight,
        created_by=actor.id,
    )
    _check(session, patient, course, [], today)
    session.add(course)
    session.flush()
    record(session, actor.id, "course.create", "course", course.id, None, to_json(course))
    return course


def get_course(session: Session, actor: User, course_id: int) -> Course:
    """One course (clinical roles)."""
    require_role(actor, *CLINICAL_ROLES)
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(f"no course {course_id}", "course_id")
    note_read(actor.id, course.patient_id)
    return course


def list_courses(session: Session, actor: User, patient_id: int) -> list[Course]:
    """A patient's courses, oldest first."""
    get_patient(session, actor, patient_id)
    return list(
        session.scalars(select(Course).where(Course.patient_id == patient_id).order_by(Course.id))
    )


def all_events(session: Session, course_id: int) -> list[CourseEvent]:
    """Every stored event row of a course, in entry order (history, including superseded)."""
    return list(
        session.scalars(
            select(CourseEvent).where(CourseEvent.course_id == course_id).order_by(CourseEvent.id)
        )
    )


def effective_events(session: Session, course_id: int) -> list[CourseEvent]:
    """The events in force: neither superseded nor retracted."""
    return in_force(all_events(session, course_id))


_EventRow = TypeVar("_EventRow", bound=Any)


def in_force(rows: list[_EventRow]) -> list[_EventRow]:
    """Of a course's event rows (all_events: ORM objects, or Core rows with the columns id,
    supersedes_id, retracted and payload), those neither superseded nor retracted."""
    replaced = {r.supersedes_id for r in rows if r.supersedes_id is not None}
    return [r for r in rows if r.id not in replaced and not r.retracted and r.payload is not None]


def _patient_block(
    session: Session, patient: Patient, course: Course, on: dt.date | None = None
) -> dict[str, Any]:
    """The course document's patient, measured as of `on` (the latest before it, if any)."""
    try:
        measurement = latest_measurement(session, patient.id, on_or_before=on)
    except NotFound:
        measurement = latest_measurement(session, patient.id)
    return patient_block(patient, course, measurement)


def course_document(
    session: Session,
    actor: User,
    course_id: int,
    today: dt.date,
    today_extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The contract's course document for `today`, from the stored events."""
    course = get_course(session, actor, course_id)
    patient = get_patient(session, actor, course.patient_id)
    events = [dict(r.payload or {}) for r in effective_events(session, course_id)]
    return {
        "patient": _patient_block(session, patient, course, today),
        "events": events,
        "today": {"date": today.isoformat(), **(today_extra or {})},
    }


def _check(
    session: Session,
    patient: Patient,
    course: Course,
    events: list[dict[str, Any]],
    today: dt.date,
) -> None:
    """Validates the course with `events` as the contract does (raises InputError)."""
    document = {
        "patient": _patient_block(session, patient, course, today),
        "events": events,
        "today": {"date": today.isoformat()},
    }
    build_course(parse_course(document))


def append_event(
    session: Session,
    actor: User,
    course_id: int,
    payload: dict[str, Any],
    today: dt.date,
    supersedes_id: int | None = None,
    by_workflow: bool = False,
) -> CourseEvent:
    """Appends a contract event (or a correction of one) after checking the whole course.

    `by_workflow` is set only by the order workflow, whose own role checks already ran
    (the nurse's administration writes the dose event).
    """
    kind = payload.get("type")
    if not isinstance(kind, str) or kind not in EVENT_ROLES:
        raise InputError([FieldError("type", f"must be one of {', '.join(EVENT_ROLES)}")])
    if not by_workflow:
        require_role(actor, *EVENT_ROLES[kind])
    course = get_course(session, actor, course_id)
    patient = get_patient(session, actor, course.patient_id)
    lock_row(session, Course, course_id)
    current = effective_events(session, course_id)
    replaced = None
    if supersedes_id is not None:
        replaced = _event_in_force(current, supersedes_id, course_id)
        if not by_workflow:
            require_correction_rights(session, actor, replaced)
    kept = [dict(r.payload or {}) for r in current if r.id != supersedes_id]
    _check_with_course(session, patient, course, kept, payload, today)
    _check_plausible(course, patient, kept, payload, today)
    if replaced is not None:
        _free_dose_slot(session, replaced)
    row = CourseEvent(
        course_id=course_id,
        type=kind,
        payload=payload,
        supersedes_id=supersedes_id,
        dose_slot=_dose_slot(payload),
        recorded_by=actor.id,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError:
        raise Conflict(
            f"cycle {payload.get('cycle')} day {payload.get('day')} already has a dose in force",
            "event.day",
        ) from None
    record(session, actor.id, "event.append", "course_event", row.id, None, to_json(row))
    return row


def _event_in_force(current: list[CourseEvent], event_id: int, course_id: int) -> CourseEvent:
    """The event a correction replaces; Conflict when it is not in force in this course."""
    replaced = next((r for r in current if r.id == event_id), None)
    if replaced is None:
        raise Conflict(f"event {event_id} is not in force in course {course_id}", "supersedes_id")
    return replaced


def _check_with_course(
    session: Session,
    patient: Patient,
    course: Course,
    kept: list[dict[str, Any]],
    payload: dict[str, Any],
    today: dt.date,
) -> None:
    """The whole course with the new event last; its errors named `event.<field>`."""
    try:
        _check(session, patient, course, [*kept, payload], today)
    except InputError as error:
        index = len(kept)
        raise InputError(
            [
                FieldError(e.field.replace(f"events[{index}]", "event"), e.message)
                for e in error.errors
            ]
        ) from None


def _check_plausible(
    course: Course,
    patient: Patient,
    kept: list[dict[str, Any]],
    payload: dict[str, Any],
    today: dt.date,
) -> None:
    """Refuses an event the course's history makes implausible (workflow.plausibility)."""
    opened = course.created_at.date() if course.created_at is not None else today
    problems = history_problems(kept, payload, patient.birth_date, min(opened, today))
    if problems:
        raise InputError(problems)


def _dose_slot(payload: dict[str, Any]) -> str | None:
    """The cycle and day a dose event holds ("1:8"); None for any other event."""
    if payload.get("type") != "dose":
        return None
    return f"{payload.get('cycle')}:{payload.get('day')}"


def _free_dose_slot(session: Session, event: CourseEvent) -> None:
    """A superseded or retracted dose event no longer holds its cycle and day."""
    if event.type == "dose":
        session.execute(
            update(CourseEvent).where(CourseEvent.id == event.id).values(dose_slot=None)
        )
        session.flush()


def require_correction_rights(session: Session, actor: User, original: CourseEvent) -> None:
    """May `actor` supersede or retract `original`? (Forbidden with the reason if not.)"""
    written_by = session.scalar(
        select(Administration.order_id).where(Administration.dose_event_id == original.id)
    )
    if written_by is not None:
        raise Forbidden(
            f"event {original.id} is the dose given under order {written_by}: correct it "
            "through the order (a physician voids the administration with a reason)",
            "supersedes_id",
        )
    allowed = EVENT_ROLES.get(original.type, ())
    if actor.role not in allowed:
        raise Forbidden(
            f"event {original.id} is a {original.type} event: only "
            f"{' or '.join(allowed)} may correct it; you are {actor.role}",
            "role",
        )
    if original.type in JUDGEMENTS and actor.role != "physician":
        recorder = session.get(User, original.recorded_by)
        if recorder is not None and recorder.role == "physician":
            raise Forbidden(
                f"event {original.id} is a physician's {original.type} judgement: only a "
                "physician may correct it",
                "role",
            )


def retract_event(
    session: Session,
    actor: User,
    course_id: int,
    event_id: int,
    reason: str,
    today: dt.date,
    by_workflow: bool = False,
) -> CourseEvent:
    """Withdraws an event entered in error (a new row; the original stays in history).

    `by_workflow` is set only by the order workflow (voiding an administration).
    """
    course = get_course(session, actor, course_id)
    patient = get_patient(session, actor, course.patient_id)
    lock_row(session, Course, course_id)
    current = {r.id: r for r in effective_events(session, course_id)}
    if event_id not in current:
        raise Conflict(f"event {event_id} is not in force in course {course_id}", "event_id")
    original = current[event_id]
    if not by_workflow:
        require_correction_rights(session, actor, original)
    remaining = [dict(r.payload or {}) for r in current.values() if r.id != event_id]
    _check(session, patient, course, remaining, today)
    _free_dose_slot(session, original)
    row = CourseEvent(
        course_id=course_id,
        type=original.type,
        payload=None,
        supersedes_id=event_id,
        retracted=True,
        recorded_by=actor.id,
    )
    session.add(row)
    session.flush()
    record(
        session,
        actor.id,
        "event.retract",
        "course_event",
        row.id,
        to_json(original),
        {"retracts": event_id, "reason": reason},
    )
    return row


def assess(
    session: Session,
    actor: User,
    course_id: int,
    today: dt.date,
    flags: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The engine's decision for the stored course on `today` (document parsed once per
    version: services/course_snapshot.py)."""
    return assess_course(parsed_course(session, actor, course_id, today, flags)).to_dict()


def plan(session: Session, actor: User, course_id: int, today: dt.date) -> dict[str, Any]:
    """The engine's next-cycle plan for the stored course."""
    return plan_course(parsed_course(session, actor, course_id, today)).to_dict()


def screen(session: Session, actor: User, course_id: int, today: dt.date) -> dict[str, Any]:
    """The safety screen of the stored course."""
    from inocds.clinical.screen import screen_course

    return screen_course(parsed_course(session, actor, course_id, today)).to_dict()
