"""hash-chained audit log

Revision ID: 0002
Revises: '0001'
Create Date: 2026-11-23
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

GENESIS_HASH = "0" * 64

# Triggers, because the chain's invariants hold for every writer, not just this application:
# * inserting a record moves the head to it, and only if the record extends the head (its seq
#   follows the head's and its prev_hash is the head's hash); doing this in the database also
#   saves `record()` a round trip, which keeps an append under a millisecond;
# * records can be neither updated nor deleted, and the head not deleted.
# The chain detects tampering anyway; the triggers stop it through the application's own role.
# Only the table owner can disable them, and verification still catches what it then changes.
_PG_GUARDS = [
    """
    CREATE FUNCTION audit_advance_head() RETURNS trigger LANGUAGE plpgsql AS $$
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
    """
    CREATE FUNCTION audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '% is protected: the audit log is append-only', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    "CREATE TRIGGER audit_records_advance_head AFTER INSERT ON audit_records "
    "FOR EACH ROW EXECUTE FUNCTION audit_advance_head()",
    "CREATE TRIGGER audit_records_append_only BEFORE UPDATE OR DELETE ON audit_records "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER audit_records_no_truncate BEFORE TRUNCATE ON audit_records "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_append_only()",
    "CREATE TRIGGER audit_chain_head_kept BEFORE DELETE ON audit_chain_head "
    "FOR EACH ROW EXECUTE FUNCTION audit_append_only()",
]
_PG_UNGUARDS = [
    "DROP TRIGGER IF EXISTS audit_chain_head_kept ON audit_chain_head",
    "DROP TRIGGER IF EXISTS audit_records_no_truncate ON audit_records",
    "DROP TRIGGER IF EXISTS audit_records_append_only ON audit_records",
    "DROP TRIGGER IF EXISTS audit_records_advance_head ON audit_records",
    "DROP FUNCTION IF EXISTS audit_append_only()",
    "DROP FUNCTION IF EXISTS audit_advance_head()",
]
_SQLITE_GUARDS = [
    """
    CREATE TRIGGER audit_records_advance_head AFTER INSERT ON audit_records
    BEGIN
        SELECT RAISE(ABORT, 'audit record does not extend the chain head')
        WHERE NOT EXISTS (
            SELECT 1 FROM audit_chain_head
            WHERE id = 1 AND seq = NEW.seq - 1 AND hash = NEW.prev_hash
        );
        UPDATE audit_chain_head SET seq = NEW.seq, hash = NEW.hash WHERE id = 1;
    END
    """,
    "CREATE TRIGGER audit_records_no_update BEFORE UPDATE ON audit_records "
    "BEGIN SELECT RAISE(ABORT, 'audit_records is protected: the audit log is append-only'); END",
    "CREATE TRIGGER audit_records_no_delete BEFORE DELETE ON audit_records "
    "BEGIN SELECT RAISE(ABORT, 'audit_records is protected: the audit log is append-only'); END",
    "CREATE TRIGGER audit_chain_head_kept BEFORE DELETE ON audit_chain_head "
    "BEGIN SELECT RAISE(ABORT, 'audit_chain_head is protected: the audit log is append-only'); END",
]
_SQLITE_UNGUARDS = [
    "DROP TRIGGER IF EXISTS audit_chain_head_kept",
    "DROP TRIGGER IF EXISTS audit_records_no_delete",
    "DROP TRIGGER IF EXISTS audit_records_no_update",
    "DROP TRIGGER IF EXISTS audit_records_advance_head",
]


def upgrade() -> None:
    op.create_table(
        "audit_records",
        sa.Column("seq", sa.BigInteger(), autoincrement=False, nullable=False),
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
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_audit_records")),
        sa.UniqueConstraint("id", name=op.f("uq_audit_records_id")),
    )
    op.create_index(
        op.f("ix_audit_records_occurred_at"), "audit_records", ["occurred_at"], unique=False
    )
    op.create_index(
        "ix_audit_records_subject_type",
        "audit_records",
        ["subject_type", "subject_id", "seq"],
        unique=False,
    )
    head = op.create_table(
        "audit_chain_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_chain_head")),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": GENESIS_HASH}])
    guards = _PG_GUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_GUARDS
    for statement in guards:
        op.execute(statement)


def downgrade() -> None:
    unguards = _PG_UNGUARDS if op.get_bind().dialect.name == "postgresql" else _SQLITE_UNGUARDS
    for statement in unguards:
        op.execute(statement)
    op.drop_table("audit_chain_head")
    op.drop_index("ix_audit_records_subject_type", table_name="audit_records")
    op.drop_index(op.f("ix_audit_records_occurred_at"), table_name="audit_records")
    op.drop_table("audit_records")
