"""campaigns, campaign_batches, campaign_cases (静默认证); data_access_records.datasets

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "campaigns",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=128), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("activity_window_days", sa.Integer(), nullable=False),
        sa.Column("qualification_days", sa.Integer(), nullable=False),
        sa.Column("warning_until", sa.DateTime(timezone=True), nullable=False),
        sa.Column("positions", sa.Integer(), nullable=False),
        sa.Column("block_size", sa.Integer(), nullable=False),
        sa.Column("batches_total", sa.Integer(), nullable=False),
        sa.Column("generation", sa.Integer(), nullable=False),
        sa.Column("warning_closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaigns")),
    )
    op.create_table(
        "campaign_batches",
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("start", sa.Integer(), nullable=False),
        sa.Column("end", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("persons", sa.Integer(), nullable=False),
        sa.Column("silent", sa.Integer(), nullable=False),
        sa.Column("invited", sa.Integer(), nullable=False),
        sa.Column("referred", sa.Integer(), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_batches_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("campaign_id", "number", name=op.f("pk_campaign_batches")),
    )
    op.create_index("ix_campaign_batches_state", "campaign_batches", ["campaign_id", "state"])
    op.create_table(
        "campaign_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("campaign_id", sa.Uuid(), nullable=False),
        sa.Column("batch_number", sa.Integer(), nullable=False),
        sa.Column("subject_index", sa.String(length=64), nullable=False),
        sa.Column("subject_masked", sa.String(length=32), nullable=False),
        sa.Column("id_number_cipher", sa.Text(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("last_activity", sa.Date(), nullable=True),
        sa.Column("evidence", sa.Text(), nullable=True),
        sa.Column("qualified_until", sa.Date(), nullable=True),
        sa.Column("reminders_sent", sa.Integer(), nullable=False),
        sa.Column("instructions", sa.Integer(), nullable=False),
        sa.Column("payment_status", sa.String(length=16), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["campaigns.id"],
            name=op.f("fk_campaign_cases_campaign_id_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_campaign_cases")),
        sa.UniqueConstraint("campaign_id", "subject_index", name="uq_campaign_cases_person"),
    )
    op.create_index("ix_campaign_cases_state", "campaign_cases", ["campaign_id", "state"])
    op.create_index("ix_campaign_cases_subject", "campaign_cases", ["subject_index"])
    with op.batch_alter_table("data_access_records") as batch:
        batch.add_column(sa.Column("datasets", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("data_access_records") as batch:
        batch.drop_column("datasets")
    op.drop_index("ix_campaign_cases_subject", table_name="campaign_cases")
    op.drop_index("ix_campaign_cases_state", table_name="campaign_cases")
    op.drop_table("campaign_cases")
    op.drop_index("ix_campaign_batches_state", table_name="campaign_batches")
    op.drop_table("campaign_batches")
    op.drop_table("campaigns")
