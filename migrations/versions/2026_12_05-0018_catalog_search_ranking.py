"""catalog_search_ranking: service families, a narrow search table, popularity

Search lists one result per service family (a city-wide item and its district copies) and scans
`service_search`, one row per family with its title and search texts (pinyin included) and its
place on the high-frequency list; `services.search_text` moves there. `service_popularity`
holds the applications filed per family, search's tiebreak, counted by
`qingeban services popularity`. The seeder fills the new table and column on its next run
(`serve` and `seed` run it after migrating); a downgrade leaves `services.search_text` empty
until the older seeder runs.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("services") as batch:
        batch.add_column(
            sa.Column("family_code", sa.String(length=100), server_default="", nullable=False)
        )
        batch.create_index(batch.f("ix_services_family_code"), ["family_code"], unique=False)
        batch.drop_column("search_text")
    op.execute("UPDATE services SET family_code = code")
    op.create_table(
        "service_search",
        sa.Column("code", sa.String(length=100), nullable=False),
        sa.Column("department_code", sa.String(length=32), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("title_text", sa.Text(), nullable=False),
        sa.Column("search_text", sa.Text(), nullable=False),
        sa.Column("frequency_rank", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["code"], ["services.code"], name=op.f("fk_service_search_code_services")
        ),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
            name=op.f("fk_service_search_department_code_departments"),
        ),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_service_search")),
    )
    op.create_table(
        "service_popularity",
        sa.Column("family_code", sa.String(length=100), nullable=False),
        sa.Column("applications_filed", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["family_code"],
            ["services.code"],
            name=op.f("fk_service_popularity_family_code_services"),
        ),
        sa.PrimaryKeyConstraint("family_code", name=op.f("pk_service_popularity")),
    )


def downgrade() -> None:
    op.drop_table("service_popularity")
    op.drop_table("service_search")
    with op.batch_alter_table("services") as batch:
        batch.add_column(sa.Column("search_text", sa.Text(), server_default="", nullable=False))
        batch.drop_index(batch.f("ix_services_family_code"))
        batch.drop_column("family_code")
