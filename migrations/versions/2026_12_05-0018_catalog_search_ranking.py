"""catalog_search_ranking: title text, service families, high-frequency rank, popularity

Search ranks title matches before keyword matches, lists one result per service family (a
city-wide item and its district copies) and breaks ties by the city's high-frequency list and
by the applications filed. The seeder fills the new columns of `services` on its next run
(`migrate` is followed by `seed` on every start); until then every service is its own family.

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
        batch.add_column(sa.Column("title_text", sa.Text(), server_default="", nullable=False))
        batch.add_column(
            sa.Column("family_code", sa.String(length=100), server_default="", nullable=False)
        )
        batch.add_column(
            sa.Column(
                "frequency_rank", sa.Integer(), server_default=sa.text("1000"), nullable=False
            )
        )
        batch.create_index(batch.f("ix_services_family_code"), ["family_code"], unique=False)
    op.execute("UPDATE services SET family_code = code, title_text = search_text")
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
    with op.batch_alter_table("services") as batch:
        batch.drop_index(batch.f("ix_services_family_code"))
        batch.drop_column("frequency_rank")
        batch.drop_column("family_code")
        batch.drop_column("title_text")
