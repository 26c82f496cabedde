"""founded_enterprises: enterprises founded on the platform, and their founders

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "founded_enterprises",
        sa.Column("uscc", sa.String(length=18), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("founder_account_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("founded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["founder_account_id"],
            ["person_accounts.id"],
            name=op.f("fk_founded_enterprises_founder_account_id_person_accounts"),
        ),
        sa.PrimaryKeyConstraint("uscc", name=op.f("pk_founded_enterprises")),
    )
    op.create_index(
        op.f("ix_founded_enterprises_founder_account_id"),
        "founded_enterprises",
        ["founder_account_id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index(
        op.f("ix_founded_enterprises_founder_account_id"), table_name="founded_enterprises"
    )
    op.drop_table("founded_enterprises")
