"""Integrity: one live order per dose, one dose event in force per dose (issue 10).

- `orders`: a partial unique index on (course_id, cycle, day) over the live states
  (signed, verified, prepared, administered). Duplicate live orders already stored are
  cancelled (all but the administered one, else the first), with the reason in
  `status_reason`; two administered orders of one dose cannot be resolved here and stop
  the migration with a message naming them.
- `course_events.dose_slot`: "<cycle>:<day>" on a dose event in force, null otherwise,
  with a partial unique index on (course_id, dose_slot). Filled for stored dose events
  (the first in force of a slot keeps it).

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = ("signed", "verified", "prepared", "administered")
_LIVE_SQL = f"status IN {_LIVE!r}"


def _events_table() -> Any:
    return sa.table(
        "course_events",
        sa.column("id", sa.Integer),
        sa.column("course_id", sa.Integer),
        sa.column("type", sa.String),
        sa.column("payload", sa.JSON),
        sa.column("supersedes_id", sa.Integer),
        sa.column("retracted", sa.Boolean),
        sa.column("dose_slot", sa.String),
    )


def _fill_dose_slots(connection: Any) -> None:
    events = _events_table()
    rows = connection.execute(sa.select(events).order_by(events.c.id)).all()
    replaced = {r.supersedes_id for r in rows if r.supersedes_id is not None}
    taken: set[tuple[int, str]] = set()
    for r in rows:
        if r.type != "dose" or r.retracted or r.payload is None or r.id in replaced:
            continue
        slot = f"{r.payload.get('cycle')}:{r.payload.get('day')}"
        if (r.course_id, slot) in taken:
            continue
        taken.add((r.course_id, slot))
        connection.execute(sa.update(events).where(events.c.id == r.id).values(dose_slot=slot))


def _cancel_duplicate_orders(connection: Any) -> None:
    orders = sa.table(
        "orders",
        sa.column("id", sa.Integer),
        sa.column("course_id", sa.Integer),
        sa.column("cycle", sa.Integer),
        sa.column("day", sa.Integer),
        sa.column("status", sa.String),
        sa.column("status_reason", sa.Text),
        sa.column("version", sa.Integer),
    )
    live = connection.execute(
        sa.select(orders).where(orders.c.status.in_(_LIVE)).order_by(orders.c.id)
    ).all()
    slots: dict[tuple[int, int, int], list[Any]] = {}
    for o in live:
        slots.setdefault((o.course_id, o.cycle, o.day), []).append(o)
    for (course_id, cycle, day), found in slots.items():
        given = [o for o in found if o.status == "administered"]
        if len(given) > 1:
            ids = ", ".join(str(o.id) for o in given)
            raise RuntimeError(
                f"course {course_id} cycle {cycle} day {day} has several administered orders "
                f"({ids}): resolve them before upgrading"
            )
        keep = (given or found)[0]
        for o in found:
            if o.id == keep.id:
                continue
            connection.execute(
                sa.update(orders)
                .where(orders.c.id == o.id)
                .values(
                    status="cancelled",
                    status_reason=f"duplicate of order {keep.id} (cancelled by migration 0002)",
                    version=o.version + 1,
                )
            )


def upgrade() -> None:
    """Applies this revision."""
    with op.batch_alter_table("course_events") as batch:
        batch.add_column(sa.Column("dose_slot", sa.String(length=20), nullable=True))
    connection = op.get_bind()
    _fill_dose_slots(connection)
    _cancel_duplicate_orders(connection)
    op.create_index(
        "uq_course_events_dose_slot",
        "course_events",
        ["course_id", "dose_slot"],
        unique=True,
        sqlite_where=sa.text("dose_slot IS NOT NULL"),
        postgresql_where=sa.text("dose_slot IS NOT NULL"),
    )
    op.create_index(
        "uq_orders_live_slot",
        "orders",
        ["course_id", "cycle", "day"],
        unique=True,
        sqlite_where=sa.text(_LIVE_SQL),
        postgresql_where=sa.text(_LIVE_SQL),
    )


def downgrade() -> None:
    """Reverts this revision."""
    op.drop_index("uq_orders_live_slot", table_name="orders")
    op.drop_index("uq_course_events_dose_slot", table_name="course_events")
    with op.batch_alter_table("course_events") as batch:
        batch.drop_column("dose_slot")
