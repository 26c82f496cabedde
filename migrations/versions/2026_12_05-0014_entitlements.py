"""entitlements: one open case per applicant and service, grants once per entitlement, and the
`commitment_breached` status

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = (
    "submitted", "approved", "pending_review", "in_review", "rejected",
    "supplement_requested", "resubmitted", "withdrawn",
)  # fmt: skip
_NEW = (*_OLD, "commitment_breached")
_OPEN = ("submitted", "pending_review", "in_review", "supplement_requested", "resubmitted")


def _status_check(statuses: tuple[str, ...]) -> str:
    return f"status IN {statuses!r}"


def upgrade() -> None:
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("open_key", sa.String(length=64), nullable=True))
        batch.drop_constraint(op.f("ck_applications_status"), type_="check")
        batch.create_check_constraint("status", _status_check(_NEW))
    _key_open_cases()
    with op.batch_alter_table("applications") as batch:
        batch.create_unique_constraint(
            op.f("uq_applications_open_case"), ["service_code", "open_key"]
        )
    op.create_table(
        "entitlement_grants",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("entitlement", sa.String(length=100), nullable=False),
        sa.Column("holder", sa.String(length=128), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("application_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Integer(), nullable=True),
        sa.Column("granted_on", sa.Date(), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["application_id"],
            ["applications.id"],
            name=op.f("fk_entitlement_grants_application_id_applications"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_entitlement_grants")),
        sa.UniqueConstraint("application_id", name=op.f("uq_entitlement_grants_application_id")),
        sa.UniqueConstraint(
            "entitlement", "holder", "sequence", name="uq_entitlement_grants_sequence"
        ),
    )


def _key_open_cases() -> None:
    """Cases open before this revision take part in the rule: the newest open case of each
    applicant and service gets its key (older duplicates stay as they are, for a clerk)."""
    applications = sa.table(
        "applications",
        sa.column("id", sa.Uuid()),
        sa.column("service_code", sa.String()),
        sa.column("applicant_account_id", sa.Uuid()),
        sa.column("applicant_uscc", sa.String()),
        sa.column("status", sa.String()),
        sa.column("open_key", sa.String()),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(
            applications.c.id,
            applications.c.service_code,
            applications.c.applicant_account_id,
            applications.c.applicant_uscc,
        )
        .where(applications.c.status.in_(_OPEN))
        .order_by(applications.c.id.desc())
    ).all()
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = row.applicant_uscc or row.applicant_account_id.hex
        if (row.service_code, key) in seen:
            continue
        seen.add((row.service_code, key))
        bind.execute(
            sa.update(applications).where(applications.c.id == row.id).values(open_key=key)
        )


def downgrade() -> None:
    op.drop_table("entitlement_grants")
    op.execute(
        sa.text("UPDATE applications SET status = 'approved' WHERE status = 'commitment_breached'")
    )
    with op.batch_alter_table("applications") as batch:
        batch.drop_constraint(op.f("uq_applications_open_case"), type_="unique")
        batch.drop_constraint(op.f("ck_applications_status"), type_="check")
        batch.create_check_constraint("status", _status_check(_OLD))
        batch.drop_column("open_key")
