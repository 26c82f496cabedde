"""signing keys in families by algorithm: one active RS256 key and one active ES256 key

Revision ID: 0026
Revises: 0024
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACTIVE = sa.text("state = 'active'")


def upgrade() -> None:
    op.drop_index("uq_signing_keys_one_active", table_name="signing_keys")
    op.create_index(
        "uq_signing_keys_one_active",
        "signing_keys",
        ["algorithm", "state"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )


def downgrade() -> None:
    # The ES256 family has no place in the old shape (one active key in all): it goes, and
    # access tokens it signed are refused from then on, as after a key compromise.
    op.execute("DELETE FROM signing_keys WHERE algorithm <> 'RS256'")
    op.drop_index("uq_signing_keys_one_active", table_name="signing_keys")
    op.create_index(
        "uq_signing_keys_one_active",
        "signing_keys",
        ["state"],
        unique=True,
        sqlite_where=_ACTIVE,
        postgresql_where=_ACTIVE,
    )
