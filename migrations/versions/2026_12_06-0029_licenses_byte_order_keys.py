"""licenses: the text keys compare byte by byte (COLLATE "C") on PostgreSQL

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06

License numbers, type, issuer and status codes, the holder's blind index and USCC, and the
issuer's record id are identifiers, not words: a language's collation gives them nothing, and
costs every index over them (strcoll for each comparison, and no abbreviated keys in a sort).
Under "C" an initial load of 23 million licenses built its indexes in 154-155 s against 183 s
(app.db.key_string). Their order becomes byte order, SQLite's already: the expiry scan's
tie-break on license_no now sorts alike on both databases.

PostgreSQL rebuilds each index over an altered column (the table itself is not rewritten), under
the table's exclusive lock: on a registry of 23 million licenses this took 112 s (and the
downgrade, rebuilding them under the database's collation, 155 s); run it in a maintenance
window.

SQLite's default collation is already byte order, so there is nothing to change there.
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KEYS = {
    "license_no": 80,
    "type_code": 64,
    "issuer_code": 32,
    "holder_id_index": 64,
    "holder_uscc": 18,
    "status": 16,
    "source_record_id": 128,
}


def _collate(collation: str) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    # One statement: PostgreSQL rebuilds each affected index once, not once per column.
    changes = ", ".join(
        f"ALTER COLUMN {column} TYPE varchar({length}) COLLATE {collation}"
        for column, length in KEYS.items()
    )
    op.execute(f"ALTER TABLE licenses {changes}")


def upgrade() -> None:
    _collate('"C"')


def downgrade() -> None:
    _collate('"default"')
