"""Marking a recorded toxicity resolved: a correction that supersedes the open entry."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from inocds.adapters.db.models import CourseEvent, User
from inocds.clinical.validation import FieldError, InputError
from inocds.services import courses

__all__ = ["resolve_toxicity"]


def resolve_toxicity(
    session: Session,
    actor: User,
    course_id: int,
    event_id: int,
    resolved: dt.date,
    today: dt.date,
) -> CourseEvent:
    """Supersedes the unresolved toxicity `event_id` with the same entry resolved on
    `resolved` (InputError on field `resolved` when it is not an unresolved toxicity)."""
    found = {e.id: e for e in courses.effective_events(session, course_id)}
    event = found.get(event_id)
    if event is None or event.type != "toxicity" or (event.payload or {}).get("resolved"):
        raise InputError([FieldError("resolved", "this entry is not an unresolved toxicity")])
    if resolved > today:
        raise InputError([FieldError("resolved", "must not be after today")])
    payload = {**dict(event.payload or {}), "resolved": resolved.isoformat()}
    return courses.append_event(session, actor, course_id, payload, today, supersedes_id=event_id)
