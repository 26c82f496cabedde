"""city_code_uses: a city code is verified once, by inserting its jti

One row per city code (一码通城) ever verified, keyed by the code's `jti`, so that racing
verifications of one code insert one row; with the on-behalf ticket a counter clerk may use
once. Codes themselves are not stored (they are signed).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "city_code_uses",
        sa.Column("jti", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=64), nullable=False),
        sa.Column("verifier_type", sa.String(length=16), nullable=False),
        sa.Column("verifier_id", sa.String(length=128), nullable=False),
        sa.Column("verified_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ticket_hash", sa.String(length=64), nullable=True),
        sa.Column("ticket_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ticket_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ticket_service", sa.String(length=100), nullable=True),
        sa.PrimaryKeyConstraint("jti", name=op.f("pk_city_code_uses")),
        sa.UniqueConstraint("ticket_hash", name=op.f("uq_city_code_uses_ticket_hash")),
    )
    op.create_index(
        op.f("ix_city_code_uses_expires_at"), "city_code_uses", ["expires_at"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_city_code_uses_expires_at"), table_name="city_code_uses")
    op.drop_table("city_code_uses")
