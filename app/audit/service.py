"""The hash-chained audit log: record state changes, verify the chain, list the records.

Every state change calls `record(session, entry)` in the (write) session that makes the change,
so the change and its audit record commit together or not at all. `record` locks the chain head
(a row lock on PostgreSQL; on SQLite the write transaction already holds the database write
lock) and keeps it until the caller's transaction ends, which serialises every writer that
audits. So audit as the LAST step of a unit of work: the lock is then held only for the commit,
and appends stay cheap no matter how long the work before them took. An append is one statement
(lock the head, finish the hash, insert), so it costs one round trip.

The encoding that is hashed is specified in `app.audit.canonical`, so an auditor can re-verify
an export in any language. Verification proves that nothing before the head was edited,
deleted, reordered or inserted; to detect a rewrite of the whole tail, publish the reported
`head_seq`/`head_hash` somewhere the database administrators cannot write (an anchor).
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import repository
from app.audit.canonical import (
    GENESIS_HASH,
    RECORD_FIELDS,
    chain_hash,
    changes_digest,
    record_body,
    seq_template,
)
from app.audit.errors import AuditChainHeadMissing, SubjectIdWithoutType
from app.audit.models import AuditRecord
from app.audit.schemas import AuditEntry, AuditRecordRead, BreakReason, ChainReport
from app.config import Settings
from app.db import Database
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.ids import new_id

# Past the head there is nothing, so the highest possible position bounds a headless scan.
_MAX_SEQ = 2**63 - 1


async def record(session: AsyncSession, entry: AuditEntry) -> AuditRecord:
    """Append `entry` to the chain in the caller's transaction (written, never committed)."""
    fields = {
        "id": new_id(),
        # Taken before the head's lock: under contention neighbouring records may be out of
        # time order by the wait; seq is the order.
        "occurred_at": utcnow(),
        "actor_type": entry.actor_type,
        "actor_id": entry.actor_id,
        "action": entry.action,
        "subject_type": entry.subject_type,
        "subject_id": entry.subject_id,
        "purpose": entry.purpose,
        "request_id": entry.request_id,
        "client_address": entry.client_address,
        "changes_digest": changes_digest(entry.before, entry.after),
    }
    audit_record = AuditRecord(**fields)
    if not await repository.append(session, audit_record, seq_template(**fields)):
        raise AuditChainHeadMissing
    return audit_record


async def verify(session: AsyncSession, *, batch_size: int = 5000) -> ChainReport:
    """Recompute the chain in seq order, in constant memory, and report the first broken link.

    Give it a session that has not begun yet: on PostgreSQL it then reads one REPEATABLE READ
    snapshot, so records appended while it runs are neither missed nor mistaken for forgeries.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    consistent = await _begin_snapshot(session)
    head = await repository.read_head(session)
    upto = head[0] if head is not None else _MAX_SEQ
    checked, expected_seq, expected_prev = 0, 1, GENESIS_HASH

    def report(seq: int | None, reason: BreakReason | None) -> ChainReport:
        return ChainReport(
            ok=reason is None,
            records_checked=checked,
            first_broken_seq=seq,
            reason=reason,
            head_seq=head[0] if head is not None else None,
            head_hash=head[1] if head is not None else None,
        )

    while True:
        rows = await repository.chain_batch(
            session, after_seq=expected_seq - 1, upto_seq=upto, limit=batch_size
        )
        for fields in rows:
            checked += 1
            seq = fields["seq"]
            if seq != expected_seq:
                return report(seq, "sequence_gap")
            if fields["prev_hash"] != expected_prev:
                return report(seq, "prev_hash_mismatch")
            body = record_body(**{name: fields[name] for name in RECORD_FIELDS})
            if chain_hash(expected_prev, body) != fields["hash"]:
                return report(seq, "hash_mismatch")
            expected_seq, expected_prev = seq + 1, fields["hash"]
        if len(rows) < batch_size:
            break

    if head is None:
        return report(None, "head_missing")
    head_seq, head_hash = head
    last_seq = expected_seq - 1
    if last_seq < head_seq:
        return report(expected_seq, "head_mismatch")
    if expected_prev != head_hash:
        return report(head_seq, "head_mismatch")
    if consistent:
        # In one snapshot a record past the head was not written by `record`.
        beyond = await repository.first_seq_after(session, head_seq)
        if beyond is not None:
            return report(beyond, "head_mismatch")
    return report(None, None)


async def _begin_snapshot(session: AsyncSession) -> bool:
    """Start a repeatable-read transaction where possible; whether reads share one snapshot."""
    dialect = session.get_bind().dialect.name
    if dialect == "sqlite":
        # A SQLite transaction in WAL mode reads one snapshot from its first read on.
        return True
    if not session.in_transaction():
        await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        return True
    level = await (await session.connection()).get_isolation_level()
    return level in ("REPEATABLE READ", "SERIALIZABLE")


async def verify_database(settings: Settings, *, batch_size: int = 5000) -> ChainReport:
    """Open the configured database, verify its chain, close it (`qingeban audit verify`)."""
    database = Database.from_url(settings.database_url, pool_size=1)
    try:
        async with database.session(write=False) as session:
            return await verify(session, batch_size=batch_size)
    finally:
        await database.dispose()


async def list_records(
    session: AsyncSession,
    *,
    subject_type: str | None = None,
    subject_id: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> pagination.Page[AuditRecordRead]:
    """Records newest first, optionally of one subject, one keyset page at a time."""
    if subject_id is not None and subject_type is None:
        raise SubjectIdWithoutType
    before_seq: int | None = None
    if cursor is not None:
        try:
            (value,) = pagination.decode_cursor(cursor, arity=1)
        except pagination.InvalidCursor as exc:
            raise InvalidCursor(str(exc)) from exc
        if not isinstance(value, int) or value < 1:
            raise InvalidCursor("cursor does not match the query")
        before_seq = value
    records = await repository.list_records(
        session,
        subject_type=subject_type,
        subject_id=subject_id,
        before_seq=before_seq,
        limit=limit + 1,
    )
    page = records[:limit]
    next_cursor = pagination.encode_cursor([page[-1].seq]) if len(records) > limit else None
    return pagination.Page[AuditRecordRead](
        items=[AuditRecordRead.model_validate(item) for item in page], next_cursor=next_cursor
    )
