"""login lockouts: failed logins are counted per login, no longer on accounts and staff members

The lockout counts attempts per login (a phone's blind index, a staff login name) in
`rate_limit_counters`, or in Redis where configured, whether or not an account has that login,
and counts each attempt before its password is checked. The accounts' and staff members' own
counters go; a lockout in progress is forgotten on upgrade and on downgrade.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-05
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TABLES = ("person_accounts", "staff_members")


def upgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.drop_column("locked_until")
            batch.drop_column("failed_logins")


def downgrade() -> None:
    for table in _TABLES:
        with op.batch_alter_table(table) as batch:
            batch.add_column(
                sa.Column("failed_logins", sa.Integer(), nullable=False, server_default="0")
            )
            batch.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
        # The default only filled the existing rows; the columns were made without one.
        with op.batch_alter_table(table) as batch:
            batch.alter_column("failed_logins", server_default=None)
