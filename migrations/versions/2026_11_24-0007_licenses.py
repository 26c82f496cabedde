"""licenses: e-license records, serial counters, status lists; departments' credit codes and
the department of department clients (the authority to issue)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-24
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "status_lists",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("allocated", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "purpose IN ('revocation', 'suspension')", name=op.f("ck_status_lists_purpose")
        ),
        sa.CheckConstraint("allocated <= size", name=op.f("ck_status_lists_allocated")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
    )
    op.create_index(op.f("ix_status_lists_purpose"), "status_lists", ["purpose"], unique=False)

    op.create_table(
        "license_serials",
        sa.Column("type_code", sa.String(length=64), nullable=False),
        sa.Column("last_serial", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["type_code"],
            ["license_types.code"],
            name=op.f("fk_license_serials_type_code_license_types"),
        ),
        sa.PrimaryKeyConstraint("type_code", name=op.f("pk_license_serials")),
    )
    op.create_table(
        "licenses",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("license_no", sa.String(length=80), nullable=False),
        sa.Column("type_code", sa.String(length=64), nullable=False),
        sa.Column("issuer_code", sa.String(length=32), nullable=False),
        sa.Column("holder_kind", sa.String(length=16), nullable=False),
        sa.Column("holder_name", sa.String(length=200), nullable=False),
        sa.Column("holder_id_cipher", sa.String(length=255), nullable=True),
        sa.Column("holder_id_index", sa.String(length=64), nullable=True),
        sa.Column("holder_id_masked", sa.String(length=32), nullable=True),
        sa.Column("holder_uscc", sa.String(length=18), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("serial", sa.BigInteger(), nullable=False),
        sa.Column("supersedes_id", sa.Uuid(), nullable=True),
        sa.Column("source_record_id", sa.String(length=128), nullable=True),
        sa.Column("revocation_list_id", sa.Uuid(), nullable=False),
        sa.Column("revocation_index", sa.Integer(), nullable=False),
        sa.Column("suspension_list_id", sa.Uuid(), nullable=False),
        sa.Column("suspension_index", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "(holder_kind = 'person' AND holder_id_index IS NOT NULL AND holder_uscc IS NULL)"
            " OR (holder_kind = 'enterprise' AND holder_uscc IS NOT NULL"
            " AND holder_id_index IS NULL)",
            name=op.f("ck_licenses_holder"),
        ),
        sa.CheckConstraint(
            "status IN ('valid', 'suspended', 'revoked', 'cancelled', 'superseded')",
            name=op.f("ck_licenses_status"),
        ),
        sa.CheckConstraint("version >= 1", name=op.f("ck_licenses_version")),
        sa.ForeignKeyConstraint(
            ["issuer_code"], ["departments.code"], name=op.f("fk_licenses_issuer_code_departments")
        ),
        sa.ForeignKeyConstraint(
            ["revocation_list_id"],
            ["status_lists.id"],
            name=op.f("fk_licenses_revocation_list_id_status_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_id"], ["licenses.id"], name=op.f("fk_licenses_supersedes_id_licenses")
        ),
        sa.ForeignKeyConstraint(
            ["suspension_list_id"],
            ["status_lists.id"],
            name=op.f("fk_licenses_suspension_list_id_status_lists"),
        ),
        sa.ForeignKeyConstraint(
            ["type_code"], ["license_types.code"], name=op.f("fk_licenses_type_code_license_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_licenses")),
        sa.UniqueConstraint(
            "issuer_code", "source_record_id", name=op.f("uq_licenses_issuer_code_source_record_id")
        ),
        sa.UniqueConstraint("license_no", name=op.f("uq_licenses_license_no")),
        sa.UniqueConstraint(
            "revocation_list_id",
            "revocation_index",
            name=op.f("uq_licenses_revocation_list_id_revocation_index"),
        ),
        sa.UniqueConstraint(
            "suspension_list_id",
            "suspension_index",
            name=op.f("uq_licenses_suspension_list_id_suspension_index"),
        ),
    )
    op.create_index(
        op.f("ix_licenses_holder_id_index"), "licenses", ["holder_id_index"], unique=False
    )
    op.create_index(op.f("ix_licenses_holder_uscc"), "licenses", ["holder_uscc"], unique=False)
    op.create_index(op.f("ix_licenses_issuer_code"), "licenses", ["issuer_code"], unique=False)
    op.create_index(
        op.f("ix_licenses_status_valid_until"), "licenses", ["status", "valid_until"], unique=False
    )
    op.create_index(op.f("ix_licenses_supersedes_id"), "licenses", ["supersedes_id"], unique=False)
    op.create_index(op.f("ix_licenses_type_code"), "licenses", ["type_code"], unique=False)

    op.add_column("departments", sa.Column("uscc", sa.String(length=18), nullable=True))
    op.create_index(op.f("ix_departments_uscc"), "departments", ["uscc"], unique=True)
    _add_client_department()
    op.create_index(
        op.f("ix_oauth_clients_department_code"), "oauth_clients", ["department_code"], unique=False
    )


def _add_client_department() -> None:
    # SQLite can add a column with a foreign key in place, but not add the constraint later; a
    # batch copy of `oauth_clients` would have to drop a table that grants refer to.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "ALTER TABLE oauth_clients ADD COLUMN department_code VARCHAR(32)"
            " CONSTRAINT fk_oauth_clients_department_code_departments"
            " REFERENCES departments (code)"
        )
        return
    op.add_column("oauth_clients", sa.Column("department_code", sa.String(length=32)))
    op.create_foreign_key(
        op.f("fk_oauth_clients_department_code_departments"),
        "oauth_clients",
        "departments",
        ["department_code"],
        ["code"],
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_oauth_clients_department_code"), table_name="oauth_clients")
    if op.get_bind().dialect.name == "sqlite":
        # SQLite drops no column that a foreign key uses: copy the table without it.
        with op.batch_alter_table("oauth_clients") as batch_op:
            batch_op.drop_column("department_code")
    else:
        op.drop_constraint(
            op.f("fk_oauth_clients_department_code_departments"),
            "oauth_clients",
            type_="foreignkey",
        )
        op.drop_column("oauth_clients", "department_code")
    op.drop_index(op.f("ix_departments_uscc"), table_name="departments")
    op.drop_column("departments", "uscc")

    op.drop_index(op.f("ix_licenses_type_code"), table_name="licenses")
    op.drop_index(op.f("ix_licenses_supersedes_id"), table_name="licenses")
    op.drop_index(op.f("ix_licenses_status_valid_until"), table_name="licenses")
    op.drop_index(op.f("ix_licenses_issuer_code"), table_name="licenses")
    op.drop_index(op.f("ix_licenses_holder_uscc"), table_name="licenses")
    op.drop_index(op.f("ix_licenses_holder_id_index"), table_name="licenses")

    op.drop_table("licenses")
    op.drop_table("license_serials")
    op.drop_index(op.f("ix_status_lists_purpose"), table_name="status_lists")

    op.drop_table("status_lists")
