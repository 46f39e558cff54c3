"""The administration record completed after the infusion (issue 11, item 4): its end
time, the volume infused, a reaction noticed later (which becomes a toxicity event)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import Administration, Order, User
from inocds.adapters.db.roles import Role
from inocds.clinical.validation import FieldError, InputError
from inocds.services import courses, orders
from inocds.services.access import require_role
from inocds.services.audit import record, to_json
from inocds.services.errors import Conflict

__all__ = ["complete_administration"]


def _aware(moment: dt.datetime) -> dt.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _shown(moment: dt.datetime, like: dt.datetime) -> str:
    return _aware(moment).astimezone(like.tzinfo).isoformat(timespec="minutes")


def complete_administration(
    session: Session,
    actor: User,
    order_id: int,
    today: dt.date,
    now: dt.datetime,
    *,
    ended_at: dt.datetime | None = None,
    volume_ml: float | None = None,
    reaction: dict[str, Any] | None = None,
) -> Administration:
    """Adds what was not known when the infusion started: its end, its volume, a reaction."""
    require_role(actor, Role.NURSE)
    order = orders.get_order(session, actor, order_id)
    administration = session.scalar(
        select(Administration).where(Administration.order_id == order_id)
    )
    if order.status != "administered" or administration is None:
        raise Conflict(f"order {order_id} is {order.status}; nothing was given yet", "status")
    if ended_at is None and volume_ml is None and reaction is None:
        raise InputError([FieldError("ended_at", "enter the end time, the volume or a reaction")])
    started = _aware(administration.started_at)
    before = to_json(administration)
    if ended_at is not None:
        if administration.ended_at is not None:
            raise Conflict("the end of the infusion is already recorded", "ended_at")
        if not started <= ended_at <= now + dt.timedelta(minutes=5):
            raise InputError(
                [
                    FieldError(
                        "ended_at",
                        f"must be between the start ({_shown(started, ended_at)}) and now",
                    )
                ]
            )
        administration.ended_at = ended_at.astimezone(dt.UTC)
    if volume_ml is not None:
        if administration.volume_ml is not None:
            raise Conflict("the infused volume is already recorded", "volume_ml")
        if not 0 < volume_ml <= 1000:
            raise InputError([FieldError("volume_ml", "must be above 0 and at most 1000 mL")])
        administration.volume_ml = volume_ml
    if reaction is not None:
        _add_reaction(session, actor, order, administration, reaction, today, now)
    session.flush()
    record(
        session,
        actor.id,
        "administration.complete",
        "administration",
        administration.id,
        before,
        to_json(administration),
    )
    return administration


def _add_reaction(
    session: Session,
    actor: User,
    order: Order,
    administration: Administration,
    reaction: dict[str, Any],
    today: dt.date,
    now: dt.datetime,
) -> None:
    if administration.reaction:
        raise Conflict("a reaction is already recorded for this infusion", "reaction_grade")
    onset = reaction["onset"]
    started = _aware(administration.started_at)
    if not started <= onset <= now + dt.timedelta(minutes=5):
        raise InputError(
            [
                FieldError(
                    "reaction_onset",
                    f"must be between the start ({_shown(started, onset)}) and now",
                )
            ]
        )
    courses.append_event(
        session,
        actor,
        order.course_id,
        {
            "type": "toxicity",
            "category": "infusion_reaction",
            "name": str(reaction.get("name") or "infusion reaction"),
            "grade": reaction["grade"],
            "onset": onset.date().isoformat(),
            "resolved": None,
        },
        today,
        by_workflow=True,
    )
    administration.reaction = {
        "grade": reaction["grade"],
        "name": str(reaction.get("name") or "infusion reaction"),
        "resolved": None,
        "onset_at": onset.astimezone(dt.UTC).isoformat(timespec="minutes"),
        "recorded_later": True,
    }
