"""bundles: linked-service cases (一件事一次办), their parties, steps and step completions

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "bundle_cases",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("number", sa.String(length=24), nullable=False),
        sa.Column("bundle_code", sa.String(length=100), nullable=False),
        sa.Column("bundle_version", sa.Integer(), nullable=False),
        sa.Column("initiator_account_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=24), nullable=False),
        sa.Column("form_cipher", sa.Text(), nullable=False),
        sa.Column("confirm_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('awaiting_confirmation', 'expired', 'running', 'completed', 'stopped', "
            "'attention')",
            name=op.f("ck_bundle_cases_status"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_cases")),
        sa.UniqueConstraint("number", name=op.f("uq_bundle_cases_number")),
    )
    with op.batch_alter_table("bundle_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_bundle_cases_initiator_account_id"),
            ["initiator_account_id"],
            unique=False,
        )

    op.create_table(
        "bundle_case_parties",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("id_index", sa.String(length=64), nullable=False),
        sa.Column("account_id", sa.Uuid(), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["bundle_cases.id"],
            name=op.f("fk_bundle_case_parties_case_id_bundle_cases"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_case_parties")),
        sa.UniqueConstraint("case_id", "role", name="uq_bundle_case_parties_case_role"),
    )
    with op.batch_alter_table("bundle_case_parties", schema=None) as batch_op:
        batch_op.create_index("ix_bundle_case_parties_account_id", ["account_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_bundle_case_parties_case_id"), ["case_id"], unique=False
        )
        batch_op.create_index("ix_bundle_case_parties_id_index", ["id_index"], unique=False)

    op.create_table(
        "bundle_case_steps",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(length=100), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("unit", sa.String(length=400), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.Date(), nullable=True),
        sa.Column("outcome", sa.JSON(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IN ('waiting', 'queued', 'retrying', 'done', 'with_clerk', 'rejected', "
            "'not_started')",
            name=op.f("ck_bundle_case_steps_status"),
        ),
        sa.ForeignKeyConstraint(
            ["case_id"], ["bundle_cases.id"], name=op.f("fk_bundle_case_steps_case_id_bundle_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bundle_case_steps")),
        sa.UniqueConstraint("case_id", "key", name="uq_bundle_case_steps_case_key"),
    )
    with op.batch_alter_table("bundle_case_steps", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_bundle_case_steps_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_bundle_case_steps_department_status", ["department_code", "status"], unique=False
        )

    op.create_table(
        "bundle_case_step_completions",
        sa.Column("step_id", sa.Uuid(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["step_id"],
            ["bundle_case_steps.id"],
            name=op.f("fk_bundle_case_step_completions_step_id_bundle_case_steps"),
        ),
        sa.PrimaryKeyConstraint("step_id", name=op.f("pk_bundle_case_step_completions")),
    )


def downgrade() -> None:
    op.drop_table("bundle_case_step_completions")
    with op.batch_alter_table("bundle_case_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_bundle_case_steps_department_status")
        batch_op.drop_index(batch_op.f("ix_bundle_case_steps_case_id"))

    op.drop_table("bundle_case_steps")
    with op.batch_alter_table("bundle_case_parties", schema=None) as batch_op:
        batch_op.drop_index("ix_bundle_case_parties_id_index")
        batch_op.drop_index(batch_op.f("ix_bundle_case_parties_case_id"))
        batch_op.drop_index("ix_bundle_case_parties_account_id")

    op.drop_table("bundle_case_parties")
    with op.batch_alter_table("bundle_cases", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_bundle_cases_initiator_account_id"))

    op.drop_table("bundle_cases")
