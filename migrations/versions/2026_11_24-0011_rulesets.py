"""rulesets: stored, immutable ruleset versions (drafts and published)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "rulesets",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("service_code", sa.String(length=100), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("body", sa.JSON(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_by", sa.String(length=64), nullable=True),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("state IN ('draft', 'published')", name=op.f("ck_rulesets_state")),
        sa.ForeignKeyConstraint(
            ["service_code"], ["services.code"], name=op.f("fk_rulesets_service_code_services")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rulesets")),
        sa.UniqueConstraint(
            "service_code", "version", name=op.f("uq_rulesets_service_code_version")
        ),
    )
    with op.batch_alter_table("rulesets", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_rulesets_service_code"), ["service_code"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("rulesets", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_rulesets_service_code"))

    op.drop_table("rulesets")
