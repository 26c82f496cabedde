"""license_shares: holders' consents to show a license (用证授权)

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "license_shares",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("license_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.String(length=200), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["license_id"], ["licenses.id"], name=op.f("fk_license_shares_license_id_licenses")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_license_shares")),
    )
    op.create_index(
        op.f("ix_license_shares_license_id"), "license_shares", ["license_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_license_shares_license_id"), table_name="license_shares")
    op.drop_table("license_shares")
