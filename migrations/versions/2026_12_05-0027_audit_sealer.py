"""audit records appended unsealed and linked into the chain afterwards by a sealer

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-05

A record may now be inserted without its link (seq, prev_hash and hash all NULL) and with a
`body_digest` of its content instead; the sealer (app/audit/sealer.py) later gives it its seq
and hash in one UPDATE. So `id` becomes the primary key, `seq` a unique nullable column, and the
triggers of 0002 learn the one update they allow: an unsealed record becoming sealed with every
other column unchanged, which moves the head exactly as an insert of a sealed record does.
Deleting stays refused for every record, sealed or not.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Sealed (linked, no digest) or unsealed (a digest, no link): never half of each.
_SEALED_OR_PENDING = (
    "(seq IS NOT NULL AND prev_hash IS NOT NULL AND hash IS NOT NULL AND body_digest IS NULL)"
    " OR (seq IS NULL AND prev_hash IS NULL AND hash IS NULL AND body_digest IS NOT NULL)"
)
# Every column a seal must leave as it was.
_CONTENT = (
    "id",
    "occurred_at",
    "actor_type",
    "actor_id",
    "action",
    "subject_type",
    "subject_id",
    "purpose",
    "request_id",
    "client_address",
    "changes_digest",
)


def _row(prefix: str) -> str:
    return "(" + ", ".join(f"{prefix}.{column}" for column in _CONTENT) + ")"


_PG_UP = [
    "ALTER TABLE audit_records DROP CONSTRAINT pk_audit_records, "
    "DROP CONSTRAINT uq_audit_records_id, ADD CONSTRAINT pk_audit_records PRIMARY KEY (id)",
    "ALTER TABLE audit_records ALTER COLUMN seq DROP NOT NULL, "
    "ALTER COLUMN prev_hash DROP NOT NULL, ALTER COLUMN hash DROP NOT NULL, "
    "ADD COLUMN body_digest VARCHAR(64)",
    "ALTER TABLE audit_records ADD CONSTRAINT uq_audit_records_seq UNIQUE (seq)",
    f"ALTER TABLE audit_records ADD CONSTRAINT ck_audit_records_sealed_or_pending "
    f"CHECK ({_SEALED_OR_PENDING})",
    "CREATE INDEX ix_audit_records_unsealed ON audit_records (occurred_at, id) WHERE seq IS NULL",
    """
    CREATE OR REPLACE FUNCTION audit_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.seq IS NULL THEN
            RETURN NULL;  -- unsealed: the sealer links it later
        END IF;
        UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash
        WHERE id = 1 AND seq = NEW.seq - 1 AND hash = NEW.prev_hash;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit record % does not extend the chain head', NEW.seq
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    f"""
    CREATE FUNCTION audit_seal_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.seq IS NULL AND NEW.seq IS NOT NULL
           AND {_row("NEW")} IS NOT DISTINCT FROM {_row("OLD")} THEN
            RETURN NEW;
        END IF;
        RAISE EXCEPTION '% is protected: the audit log is append-only', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "DROP TRIGGER audit_records_append_only ON audit_records",
    "CREATE TRIGGER audit_records_append_only BEFORE DELETE ON audit_records "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER audit_records_seal_only BEFORE UPDATE ON audit_records "
    "FOR EACH ROW EXECUTE FUNCTION audit_seal_only()",
    "CREATE TRIGGER audit_records_seal_advance_head AFTER UPDATE ON audit_records "
    "FOR EACH ROW WHEN (OLD.seq IS NULL) EXECUTE FUNCTION audit_advance_head()",
]
_PG_DOWN = [
    "DROP TRIGGER audit_records_seal_advance_head ON audit_records",
    "DROP TRIGGER audit_records_seal_only ON audit_records",
    "DROP TRIGGER audit_records_append_only ON audit_records",
    "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "DROP FUNCTION audit_seal_only()",
    """
    CREATE OR REPLACE FUNCTION audit_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash
        WHERE id = 1 AND seq = NEW.seq - 1 AND hash = NEW.prev_hash;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'audit record % does not extend the chain head', NEW.seq
                USING ERRCODE = 'integrity_constraint_violation';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "DROP INDEX ix_audit_records_unsealed",
    "ALTER TABLE audit_records DROP CONSTRAINT ck_audit_records_sealed_or_pending",
    "ALTER TABLE audit_records DROP CONSTRAINT uq_audit_records_seq",
    "ALTER TABLE audit_records DROP COLUMN body_digest, ALTER COLUMN seq SET NOT NULL, "
    "ALTER COLUMN prev_hash SET NOT NULL, ALTER COLUMN hash SET NOT NULL",
    "ALTER TABLE audit_records DROP CONSTRAINT pk_audit_records, "
    "ADD CONSTRAINT pk_audit_records PRIMARY KEY (seq), "
    "ADD CONSTRAINT uq_audit_records_id UNIQUE (id)",
]

_SQLITE_EXTENDS_HEAD = """
        SELECT RAISE(ABORT, 'audit record does not extend the chain head')
        WHERE NOT EXISTS (
            SELECT 1 FROM audit_chain_head
            WHERE id = 1 AND seq = NEW.seq - 1 AND hash = NEW.prev_hash
        );
        UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
"""
_SQLITE_APPEND_ONLY = (
    "SELECT RAISE(ABORT, 'audit_records is protected: the audit log is append-only');"
)
_SQLITE_SEAL = "OLD.seq IS NULL AND NEW.seq IS NOT NULL AND " + " AND ".join(
    f"NEW.{column} IS OLD.{column}" for column in _CONTENT
)
_SQLITE_GUARDS = [
    "CREATE TRIGGER audit_records_advance_head AFTER INSERT ON audit_records "
    f"WHEN NEW.seq IS NOT NULL BEGIN {_SQLITE_EXTENDS_HEAD} END",
    "CREATE TRIGGER audit_records_seal_advance_head AFTER UPDATE ON audit_records "
    f"WHEN OLD.seq IS NULL AND NEW.seq IS NOT NULL BEGIN {_SQLITE_EXTENDS_HEAD} END",
    "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
    f"WHEN NOT ({_SQLITE_SEAL}) BEGIN {_SQLITE_APPEND_ONLY} END",
    "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
    f"BEGIN {_SQLITE_APPEND_ONLY} END",
]
_SQLITE_OLD_GUARDS = [
    "CREATE TRIGGER audit_records_advance_head AFTER INSERT ON audit_records "
    f"BEGIN {_SQLITE_EXTENDS_HEAD} END",
    f"CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
    f"BEGIN {_SQLITE_APPEND_ONLY} END",
    "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
    f"BEGIN {_SQLITE_APPEND_ONLY} END",
]
_COLUMNS = (
    "seq, id, occurred_at, actor_type, actor_id, action, subject_type, subject_id, purpose, "
    "request_id, client_address, changes_digest, prev_hash, hash"
)


def _sqlite_table(name: str, *, sealer: bool) -> sa.Table:
    """audit_records as SQLite must rebuild it (it cannot change a primary key in place)."""
    columns = [
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=sealer),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor_type", sa.String(length=32), nullable=False),
        sa.Column("actor_id", sa.String(length=128), nullable=False),
        sa.Column("action", sa.String(length=100), nullable=False),
        sa.Column("subject_type", sa.String(length=64), nullable=False),
        sa.Column("subject_id", sa.String(length=128), nullable=False),
        sa.Column("purpose", sa.String(length=255), nullable=True),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("client_address", sa.String(length=64), nullable=True),
        sa.Column("changes_digest", sa.String(length=64), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=sealer),
        sa.Column("hash", sa.String(length=64), nullable=sealer),
    ]
    if sealer:
        columns.append(sa.Column("body_digest", sa.String(length=64), nullable=True))
        constraints: list[sa.Constraint] = [
            sa.PrimaryKeyConstraint("id", name="pk_audit_records"),
            sa.UniqueConstraint("seq", name="uq_audit_records_seq"),
            sa.CheckConstraint(_SEALED_OR_PENDING, name="ck_audit_records_sealed_or_pending"),
        ]
    else:
        constraints = [
            sa.PrimaryKeyConstraint("seq", name="pk_audit_records"),
            sa.UniqueConstraint("id", name="uq_audit_records_id"),
        ]
    return sa.Table(name, sa.MetaData(), *columns, *constraints)


def _sqlite_rebuild(*, sealer: bool) -> None:
    for name in (
        "audit_records_no_delete",
        "audit_records_no_update",
        "audit_records_advance_head",
        "audit_records_seal_advance_head",
    ):
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
    _sqlite_table("audit_records_rebuilt", sealer=sealer).create(op.get_bind())
    where = "" if sealer else " WHERE seq IS NOT NULL"
    op.execute(
        f"INSERT INTO audit_records_rebuilt ({_COLUMNS}) "  # noqa: S608 (constants only)
        f"SELECT {_COLUMNS} FROM audit_records{where}"
    )
    op.execute("DROP TABLE audit_records")
    op.execute("ALTER TABLE audit_records_rebuilt RENAME TO audit_records")
    op.create_index("ix_audit_records_occurred_at", "audit_records", ["occurred_at"])
    op.create_index(
        "ix_audit_records_subject_type", "audit_records", ["subject_type", "subject_id", "seq"]
    )
    if sealer:
        op.create_index(
            "ix_audit_records_unsealed",
            "audit_records",
            ["occurred_at", "id"],
            sqlite_where=sa.text("seq IS NULL"),
        )
    for statement in _SQLITE_GUARDS if sealer else _SQLITE_OLD_GUARDS:
        op.execute(statement)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_UP:
            op.execute(statement)
    else:
        _sqlite_rebuild(sealer=True)


def downgrade() -> None:
    # Records still unsealed cannot be kept by the older schema: seal them first
    # (`qingeban audit seal`); the SQLite rebuild leaves out any that remain, PostgreSQL refuses.
    if op.get_bind().dialect.name == "postgresql":
        for statement in _PG_DOWN:
            op.execute(statement)
    else:
        _sqlite_rebuild(sealer=False)
