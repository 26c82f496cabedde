"""service catalog and license types

Revision ID: 0003
Revises: '0002'
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "departments",
        sa.Column("code", sa.String(32), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(300), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_departments")),
    )
    op.create_table(
        "districts",
        sa.Column("code", sa.String(6), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("name_en", sa.String(100), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_districts")),
    )
    op.create_table(
        "license_types",
        sa.Column("code", sa.String(64), nullable=False),
        sa.Column("type_code", sa.String(16), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(400), nullable=False),
        sa.Column("issuer_code", sa.String(32), nullable=False),
        sa.Column("holder_kind", sa.String(16), nullable=False),
        sa.Column("validity_years", sa.Integer(), nullable=True),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["issuer_code"],
            ["departments.code"],
            name=op.f("fk_license_types_issuer_code_departments"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_license_types")),
        sa.UniqueConstraint("type_code", name=op.f("uq_license_types_type_code")),
    )
    op.create_index(
        op.f("ix_license_types_issuer_code"), "license_types", ["issuer_code"], unique=False
    )
    op.create_table(
        "services",
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(400), nullable=False),
        sa.Column("department_code", sa.String(32), nullable=False),
        sa.Column("district_code", sa.String(6), nullable=True),
        sa.Column("mode", sa.String(16), nullable=False),
        sa.Column("time_limit_days", sa.Integer(), nullable=False),
        sa.Column("realname_level", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("produces_license", sa.String(64), nullable=True),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_services_department_code_departments"),
        ),
        sa.ForeignKeyConstraint(
            ["district_code"],
            ["districts.code"],
            name=op.f("fk_services_district_code_districts"),
        ),
        sa.ForeignKeyConstraint(
            ["produces_license"],
            ["license_types.code"],
            name=op.f("fk_services_produces_license_license_types"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_services")),
    )
    op.create_index(
        op.f("ix_services_department_code"), "services", ["department_code"], unique=False
    )
    op.create_index(op.f("ix_services_district_code"), "services", ["district_code"], unique=False)
    op.create_table(
        "service_contents",
        sa.Column("service_code", sa.String(100), nullable=False),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("materials", sa.JSON(), nullable=False),
        sa.Column("form_schema", sa.JSON(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["services.code"],
            name=op.f("fk_service_contents_service_code_services"),
        ),
        sa.PrimaryKeyConstraint("service_code", name=op.f("pk_service_contents")),
    )
    op.create_table(
        "bundles",
        sa.Column("code", sa.String(100), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("name_en", sa.String(400), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_bundles")),
    )
    op.create_table(
        "bundle_steps",
        sa.Column("bundle_code", sa.String(100), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("service_code", sa.String(100), nullable=False),
        sa.Column("unit", sa.String(200), nullable=False),
        sa.ForeignKeyConstraint(
            ["bundle_code"],
            ["bundles.code"],
            name=op.f("fk_bundle_steps_bundle_code_bundles"),
        ),
        sa.ForeignKeyConstraint(
            ["service_code"],
            ["services.code"],
            name=op.f("fk_bundle_steps_service_code_services"),
        ),
        sa.PrimaryKeyConstraint("bundle_code", "position", name=op.f("pk_bundle_steps")),
    )
    op.create_index(
        op.f("ix_bundle_steps_service_code"), "bundle_steps", ["service_code"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_bundle_steps_service_code"), table_name="bundle_steps")
    op.drop_table("bundle_steps")
    op.drop_table("bundles")
    op.drop_table("service_contents")
    op.drop_index(op.f("ix_services_district_code"), table_name="services")
    op.drop_index(op.f("ix_services_department_code"), table_name="services")
    op.drop_table("services")
    op.drop_index(op.f("ix_license_types_issuer_code"), table_name="license_types")
    op.drop_table("license_types")
    op.drop_table("districts")
    op.drop_table("departments")
