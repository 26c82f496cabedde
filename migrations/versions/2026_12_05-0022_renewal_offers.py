"""renewal_offers, courier_shipments, courier_events: renewals offered before licenses expire
(无感审批) and their paper copies sent by courier

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "renewal_offers",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("license_no", sa.String(length=128), nullable=False),
        sa.Column("license_valid_until", sa.Date(), nullable=False),
        sa.Column("license_type", sa.String(length=64), nullable=False),
        sa.Column("service_code", sa.String(length=64), nullable=False),
        sa.Column("holder_uscc", sa.String(length=18), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("ruleset_version", sa.Integer(), nullable=True),
        sa.Column("decline_reason_cipher", sa.Text(), nullable=True),
        sa.Column("application_id", sa.Uuid(), nullable=True),
        sa.Column("application_number", sa.String(length=32), nullable=True),
        sa.Column("renewed_license_no", sa.String(length=128), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('open', 'accepted', 'declined', 'ineligible')",
            name=op.f("ck_renewal_offers_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_renewal_offers")),
        sa.UniqueConstraint("license_no", "license_valid_until", name="uq_renewal_offers_license"),
    )
    op.create_index(
        "ix_renewal_offers_account_id", "renewal_offers", ["account_id", "id"], unique=False
    )

    op.create_table(
        "courier_shipments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("offer_id", sa.Uuid(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("recipient_cipher", sa.Text(), nullable=False),
        sa.Column("tracking_no", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_courier_shipments")),
        sa.UniqueConstraint("offer_id", name="uq_courier_shipments_offer_id"),
        sa.UniqueConstraint("department", "tracking_no", name="uq_courier_shipments_tracking_no"),
    )
    op.create_table(
        "courier_events",
        sa.Column("webhook_id", sa.String(length=120), nullable=False),
        sa.Column("department", sa.String(length=32), nullable=False),
        sa.Column("shipment_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("webhook_id", name=op.f("pk_courier_events")),
    )


def downgrade() -> None:
    op.drop_table("courier_events")
    op.drop_table("courier_shipments")
    op.drop_index("ix_renewal_offers_account_id", table_name="renewal_offers")
    op.drop_table("renewal_offers")
