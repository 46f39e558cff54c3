"""Security round 2: audited row-state digests and the access log.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Applies this revision."""
    with op.batch_alter_table("audit_log") as batch:
        batch.add_column(sa.Column("state_digest", sa.String(length=64), nullable=True))
    op.create_table(
        "access_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("patient_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_access_log_user_id", "access_log", ["user_id"])
    op.create_index("ix_access_log_patient_id", "access_log", ["patient_id"])


def downgrade() -> None:
    """Reverts this revision."""
    op.drop_index("ix_access_log_patient_id", table_name="access_log")
    op.drop_index("ix_access_log_user_id", table_name="access_log")
    op.drop_table("access_log")
    with op.batch_alter_table("audit_log") as batch:
        batch.drop_column("state_digest")
