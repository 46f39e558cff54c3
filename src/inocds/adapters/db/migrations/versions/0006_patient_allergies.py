"""Patients get an `allergies` list (drug or other allergies as entered, one per item).

Revision ID: 0006
Revises: 0003
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Adds patients.allergies (JSON list, empty for every existing patient)."""
    # a plain ADD COLUMN: SQLite does it in place, where a batch copy of the table would
    # have to drop `patients` under the foreign keys of the rows that reference it
    op.add_column(
        "patients",
        sa.Column("allergies", sa.JSON(), nullable=False, server_default=sa.text("'[]'")),
    )


def downgrade() -> None:
    """Removes patients.allergies."""
    with op.batch_alter_table("patients", schema=None) as batch_op:
        batch_op.drop_column("allergies")
