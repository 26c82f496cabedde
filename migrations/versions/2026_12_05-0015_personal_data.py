"""personal_data: seal applications' forms, decisions and timeline notes and licenses' fields

Each becomes one AES-256-GCM ciphertext (a `*_cipher` text column) under a key derived from
QE_SECRET_KEY, the way app/sealing.py seals them; the decision's outcomes get plain columns for
the statistics. Existing rows are sealed on upgrade and opened again on downgrade, in batches.
The key's purpose and id and each column's context are written out here rather than taken from
app/sealing.py, so that this revision keeps meaning what it meant when the app changes.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-05
"""

import json
from collections.abc import Callable, Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

from app.config import get_settings
from app.kit.crypto import FieldCipher, derive_key

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_KEY_ID = "s1"
_KEY_PURPOSE = "sealed-columns.s1"
_BATCH = 1000
# (table, plain column, its type, sealed column, context, nullable)
_SEALED: tuple[tuple[str, str, sa.types.TypeEngine[Any], str, str, bool], ...] = (
    ("applications", "form", sa.JSON(), "form_cipher", "applications.form", False),
    ("applications", "decision", sa.JSON(), "decision_cipher", "applications.decision", True),
    ("application_events", "note", sa.Text(), "note_cipher", "application_events.note", True),
    ("licenses", "fields", sa.JSON(), "fields_cipher", "licenses.fields", False),
)


def _cipher() -> FieldCipher:
    secret = get_settings().secret_key.get_secret_value()
    return FieldCipher({_KEY_ID: derive_key(secret, _KEY_PURPOSE)}, _KEY_ID)


def _batches(table: sa.TableClause, *columns: str) -> Iterator[Sequence[sa.Row[Any]]]:
    """The table's rows, `_BATCH` at a time in id order (keyset, so memory stays flat)."""
    connection = op.get_bind()
    last: Any = None
    while True:
        query = sa.select(table.c.id, *(table.c[name] for name in columns))
        if last is not None:
            query = query.where(table.c.id > last)
        rows = connection.execute(query.order_by(table.c.id).limit(_BATCH)).all()
        if not rows:
            return
        yield rows
        last = rows[-1].id


def _rewrite(
    table_name: str,
    source: tuple[str, sa.types.TypeEngine[Any]],
    target: tuple[str, sa.types.TypeEngine[Any]],
    convert: Callable[[Any], Any],
) -> None:
    """Set `target` from `source` on every row of the table (NULL stays NULL)."""
    table = sa.table(table_name, sa.column("id", sa.Uuid()), sa.column(*source), sa.column(*target))
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values({target[0]: sa.bindparam("value", type_=target[1])})
    )
    for rows in _batches(table, source[0]):
        values = [
            {"row_id": row.id, "value": None if row[1] is None else convert(row[1])} for row in rows
        ]
        op.get_bind().execute(update, values)


def _outcomes() -> None:
    table = sa.table(
        "applications",
        sa.column("id", sa.Uuid()),
        sa.column("decision", sa.JSON()),
        sa.column("rules_outcome", sa.String()),
        sa.column("review_outcome", sa.String()),
    )
    update = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("row_id"))
        .values(rules_outcome=sa.bindparam("rules"), review_outcome=sa.bindparam("review"))
    )
    for rows in _batches(table, "decision"):
        values = [
            {
                "row_id": row.id,
                "rules": ((row.decision or {}).get("rules") or {}).get("outcome"),
                "review": ((row.decision or {}).get("review") or {}).get("outcome"),
            }
            for row in rows
        ]
        op.get_bind().execute(update, values)


def _sealer(cipher: FieldCipher, context: str, text: bool) -> Callable[[Any], str]:
    def seal(value: Any) -> str:
        plaintext = value if text else json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        return cipher.encrypt(plaintext, context=context)

    return seal


def _opener(cipher: FieldCipher, context: str, text: bool) -> Callable[[str], Any]:
    def open_(token: str) -> Any:
        plaintext = cipher.decrypt(token, context=context)
        return plaintext if text else json.loads(plaintext)

    return open_


def upgrade() -> None:
    cipher = _cipher()
    with op.batch_alter_table("applications") as batch:
        batch.add_column(sa.Column("rules_outcome", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("review_outcome", sa.String(length=16), nullable=True))
    _outcomes()
    for table, plain, type_, sealed, context, nullable in _SEALED:
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(sealed, sa.Text(), nullable=True))
        seal = _sealer(cipher, context, text=isinstance(type_, sa.Text))
        _rewrite(table, (plain, type_), (sealed, sa.Text()), seal)
        with op.batch_alter_table(table) as batch:
            batch.drop_column(plain)
            if not nullable:
                batch.alter_column(sealed, existing_type=sa.Text(), nullable=False)


def downgrade() -> None:
    cipher = _cipher()
    for table, plain, type_, sealed, context, nullable in reversed(_SEALED):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column(plain, type_, nullable=True))
        open_ = _opener(cipher, context, text=isinstance(type_, sa.Text))
        _rewrite(table, (sealed, sa.Text()), (plain, type_), open_)
        with op.batch_alter_table(table) as batch:
            batch.drop_column(sealed)
            if not nullable:
                batch.alter_column(plain, existing_type=type_, nullable=False)
    with op.batch_alter_table("applications") as batch:
        batch.drop_column("review_outcome")
        batch.drop_column("rules_outcome")
