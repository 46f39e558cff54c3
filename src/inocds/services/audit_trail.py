"""The audit trail as a page reads it: entries filtered by patient, course or user.

A patient's entries are those of the patient row, its measurements and its courses;
a course's entries are those of the course, its events, its orders and each order's
verification, preparation and administration. A user's entries are the writes that
user made and the changes made to that account. Admins and physicians may read the
trail (its entries hold patient data, so no other role).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import (
    Administration,
    AuditEntry,
    Course,
    CourseEvent,
    Measurement,
    Order,
    Preparation,
    User,
    Verification,
)
from inocds.adapters.db.roles import Role
from inocds.services import audit
from inocds.services.access import require_role

__all__ = ["AUDIT_READERS", "AuditFilter", "AuditRow", "AuditTrail", "read_trail", "verify_chain"]

AUDIT_READERS = (Role.ADMIN, Role.PHYSICIAN)
"""Roles that may read the trail."""

PAGE_SIZE = 50


@dataclass(frozen=True)
class AuditFilter:
    """What to show: any of patient, course and user (None: no filter), and the page."""

    patient_id: int | None = None
    course_id: int | None = None
    user_id: int | None = None
    offset: int = 0
    limit: int = PAGE_SIZE


@dataclass(frozen=True)
class AuditRow:
    """One entry as the page shows it: who, what, and which fields changed."""

    id: int
    at: dt.datetime
    actor: str
    actor_id: int | None
    action: str
    entity: str
    entity_id: int | None
    changes: list[tuple[str, str | None, str | None]]
    hash: str


@dataclass(frozen=True)
class AuditTrail:
    """A page of rows, newest first, with the number of matching entries."""

    rows: list[AuditRow]
    total: int
    filter: AuditFilter
    users: list[tuple[int, str]] = field(default_factory=list)


def _ids(session: Session, column: Any, where: ColumnElement[bool]) -> list[int]:
    return list(session.scalars(select(column).where(where)))


def _scope(session: Session, wanted: AuditFilter) -> ColumnElement[bool] | None:
    """The condition on (entity, entity_id) of the patient and course filters."""
    courses: list[int] | None = None
    parts: list[ColumnElement[bool]] = []
    if wanted.patient_id is not None:
        courses = _ids(session, Course.id, Course.patient_id == wanted.patient_id)
        measured = _ids(session, Measurement.id, Measurement.patient_id == wanted.patient_id)
        parts += [
            and_(AuditEntry.entity == "patient", AuditEntry.entity_id == wanted.patient_id),
            and_(AuditEntry.entity == "measurement", AuditEntry.entity_id.in_(measured)),
        ]
    if wanted.course_id is not None:
        if courses is not None and wanted.course_id not in courses:
            return false()  # the course is not this patient's
        courses, parts = [wanted.course_id], []
    if courses is None:
        return None
    orders = _ids(session, Order.id, Order.course_id.in_(courses))
    by_entity: dict[str, list[int]] = {
        "course": courses,
        "course_event": _ids(session, CourseEvent.id, CourseEvent.course_id.in_(courses)),
        "order": orders,
        "verification": _ids(session, Verification.id, Verification.order_id.in_(orders)),
        "preparation": _ids(session, Preparation.id, Preparation.order_id.in_(orders)),
        "administration": _ids(session, Administration.id, Administration.order_id.in_(orders)),
    }
    parts += [
        and_(AuditEntry.entity == entity, AuditEntry.entity_id.in_(ids))
        for entity, ids in by_entity.items()
        if ids
    ]
    return or_(*parts) if parts else false()


def shown(value: Any) -> str | None:
    """A stored value as a person reads it: lists joined, yes/no, None stays None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return "; ".join(str(shown(v)) for v in value) or "(none)"
    if isinstance(value, dict):
        parts = [f"{k.replace('_', ' ')}: {shown(v)}" for k, v in value.items() if v is not None]
        return ", ".join(parts) or "(none)"
    return str(value)


def _changes(entry: AuditEntry) -> list[tuple[str, str | None, str | None]]:
    """(field, before, after) of every field that differs; all fields of a creation."""
    before, after = entry.before or {}, entry.after or {}
    keys = sorted(set(before) | set(after))
    skip = {"version", "id", "password_hash"}
    return [
        (key, shown(before.get(key)), shown(after.get(key)))
        for key in keys
        if key not in skip and before.get(key) != after.get(key)
    ]


def read_trail(session: Session, actor: User, wanted: AuditFilter) -> AuditTrail:
    """The page of entries matching `wanted`, newest first (admin or physician)."""
    require_role(actor, *AUDIT_READERS)
    conditions: list[ColumnElement[bool]] = []
    scope = _scope(session, wanted)
    if scope is not None:
        conditions.append(scope)
    if wanted.user_id is not None:
        conditions.append(
            or_(
                AuditEntry.actor_id == wanted.user_id,
                and_(AuditEntry.entity == "user", AuditEntry.entity_id == wanted.user_id),
            )
        )
    total = session.scalar(select(func.count()).select_from(AuditEntry).where(*conditions))
    entries = session.scalars(
        select(AuditEntry)
        .where(*conditions)
        .order_by(AuditEntry.id.desc())
        .offset(wanted.offset)
        .limit(wanted.limit)
    ).all()
    people = {u.id: (u.full_name or u.username) for u in session.scalars(select(User))}
    rows = [
        AuditRow(
            id=e.id,
            at=e.at if e.at.tzinfo is not None else e.at.replace(tzinfo=dt.UTC),
            actor=people.get(e.actor_id, "system") if e.actor_id is not None else "system",
            actor_id=e.actor_id,
            action=e.action,
            entity=e.entity,
            entity_id=e.entity_id,
            changes=_changes(e),
            hash=e.hash,
        )
        for e in entries
    ]
    users = sorted(people.items(), key=lambda item: item[1].lower())
    return AuditTrail(rows=rows, total=int(total or 0), filter=wanted, users=users)


def verify_chain(session: Session, actor: User) -> tuple[int, list[str]]:
    """(entries checked, problems found) of the whole hash chain (admin or physician)."""
    require_role(actor, *AUDIT_READERS)
    return audit.count(session), audit.verify(session)
