"""Times of an order follow each other: signed, verified, made, started, ended.

`orders.prepare` and `orders.administer` call these checks (issue 11, item 4): a dose
recorded as given before its order was signed, or a bag made before the order was
verified, is refused (422, naming the field). Stamps are compared to the minute,
because the forms enter minutes.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from inocds.adapters.db.models import Order, Preparation, Verification
from inocds.clinical.validation import FieldError, InputError
from inocds.services.errors import Conflict

__all__ = [
    "aware",
    "check_administration_times",
    "check_not_expired",
    "check_preparation_times",
    "utc",
]


def utc(moment: dt.datetime) -> dt.datetime:
    """An aware timestamp in UTC, as every timestamp is stored."""
    return moment.astimezone(dt.UTC)


def aware(moment: dt.datetime) -> dt.datetime:
    """A stored timestamp, aware: SQLite hands back naive UTC values."""
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def _minute(moment: dt.datetime) -> dt.datetime:
    return aware(moment).replace(second=0, microsecond=0)


def _shown(moment: dt.datetime, like: dt.datetime) -> str:
    return aware(moment).astimezone(like.tzinfo).isoformat(timespec="minutes")


def check_preparation_times(
    session: Session, order: Order, reconstituted_at: dt.datetime, diluted_at: dt.datetime | None
) -> None:
    """The bag is made after the order was verified: its dilution (or, without one, its
    reconstitution) is not before the verification. A shared vial may be older."""
    verification = session.scalar(select(Verification).where(Verification.order_id == order.id))
    if verification is None:
        return
    made = diluted_at or reconstituted_at
    field = "diluted_at" if diluted_at else "reconstituted_at"
    if made < _minute(verification.verified_at):
        raise InputError(
            [
                FieldError(
                    field,
                    f"must not be before the verification of the order "
                    f"({_shown(verification.verified_at, made)})",
                )
            ]
        )


def check_not_expired(preparation: Preparation, started_at: dt.datetime) -> None:
    """The infusion starts by the preparation's beyond-use time (Conflict otherwise)."""
    latest_start = aware(preparation.latest_start_at)
    if utc(started_at) > latest_start:
        raise Conflict(
            "the preparation expired: the infusion had to start by "
            f"{latest_start.astimezone(started_at.tzinfo).isoformat()}",
            "started_at",
        )


def check_administration_times(
    order: Order, preparation: Preparation, started_at: dt.datetime, ended_at: dt.datetime | None
) -> None:
    """The infusion starts after the order was signed and the bag was made; it ends after."""
    limits = [
        (_minute(order.signed_at), "the order was signed"),
        (aware(preparation.reconstituted_at), "the vial was reconstituted"),
    ]
    if preparation.diluted_at is not None:
        limits.append((aware(preparation.diluted_at), "the dose was diluted"))
    for limit, what in limits:
        if started_at < limit:
            raise InputError(
                [
                    FieldError(
                        "started_at", f"must not be before {what} ({_shown(limit, started_at)})"
                    )
                ]
            )
    if ended_at is not None and ended_at < started_at:
        raise InputError([FieldError("ended_at", "must not be before started_at")])
