"""The hash-chained audit log: record state changes, verify the chain, list the records.

Every state change calls `record(session, entry)` in the (write) session that makes the change,
so the change and its audit record commit together or not at all. How the record joins the
chain depends on the session's database (`Database.audit_sealing`):

* deferred (the API and workers on PostgreSQL): the record is inserted unsealed, with no lock,
  and `app.audit.sealer` links it into the chain shortly after it commits, so transactions that
  audit no longer queue behind each other;
* inline (SQLite, whose write transactions are serial anyway; CLI commands; tests): `record`
  locks the chain head (a row lock on PostgreSQL; on SQLite the write transaction already holds
  the database write lock) and keeps it until the caller's transaction ends, which serialises
  every writer that audits. So audit as the LAST step of a unit of work: the lock is then held
  only for the commit. An append is one statement (lock the head, finish the hash, insert).

The encoding that is hashed is specified in `app.audit.canonical`, so an auditor can re-verify
an export in any language. Verification (`verify_chain`, one function for the API and the
CLI) proves that nothing before the head was edited, deleted, reordered or inserted and that
nothing lies past it. The chain alone cannot show that someone with the database rewrote all of
it and moved the head: signed checkpoints of the head, kept outside the database
(`app.audit.checkpoints`, written by `write_checkpoint`), can, and let verification start from
the newest of them instead of the first record.
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import checkpoints, repository, sealer, signing, verification
from app.audit.canonical import changes_digest, seq_template
from app.audit.checkpoints import CheckpointStore
from app.audit.errors import (
    AuditChainHeadMissing,
    CheckpointStoreNotConfigured,
    CheckpointStoreUnavailable,
    SubjectIdWithoutType,
)
from app.audit.models import AuditRecord
from app.audit.schemas import (
    AuditEntry,
    AuditRecordRead,
    ChainReport,
    Checkpoint,
    CheckpointKeys,
    CheckpointOutcome,
    CheckpointRead,
)
from app.audit.sealer import SealOutcome
from app.config import Settings
from app.db import AUDIT_SEALING_KEY, Database
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.ids import new_id

# A report lists this many refused checkpoint lines at most (junk appended to the store must
# not make every report as long as the junk).
_REPORTED_REFUSALS = 20


async def record(session: AsyncSession, entry: AuditEntry) -> AuditRecord:
    """Append `entry` in the caller's transaction (written, never committed): linked to the
    chain at once, or unsealed for the sealer when the session's database defers sealing (its
    seq, prev_hash and hash are then None until sealed)."""
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
    template = seq_template(**fields)
    if session.info.get(AUDIT_SEALING_KEY) == "deferred":
        # No lock and no round trip: written with the caller's changes (staged on PostgreSQL:
        # app.db.stage), sealed afterwards.
        audit_record = AuditRecord(**fields, body_digest=template.body_digest())
        repository.add_unsealed(session, audit_record)
        return audit_record
    audit_record = AuditRecord(**fields)
    if not await repository.append(session, audit_record, template):
        raise AuditChainHeadMissing
    return audit_record


async def verify_chain(
    database: Database, settings: Settings, *, full: bool = False, batch_size: int = 5000
) -> ChainReport:
    """Verify the chain from the newest trusted checkpoint to the head, or all of it (`full`).

    The one verification behind both the admin API and `qingeban audit verify`. It opens its
    own read session rather than take the caller's: only a session that has not begun can be
    made to read one snapshot (REPEATABLE READ on PostgreSQL), and without one a record forged
    past the head cannot be told from one appended while the walk ran. A full walk also holds
    the chain to every trusted checkpoint; without checkpoints it is the only walk there is.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    # Read before the snapshot begins, so every checkpoint names a record the snapshot sees.
    lines = await _read_checkpoints(settings)
    key = signing.checkpoint_key(settings.secret_key.get_secret_value())
    # Checking every signature of a long store is CPU work: off the event loop.
    store = await asyncio.to_thread(checkpoints.sort_out, lines, key, every=full)
    anchor = None if full or not store.trusted else store.trusted[-1]
    async with database.session(write=False) as session:
        await _begin_snapshot(session)
        report = await verification.walk(
            session,
            anchor=anchor,
            compare=store.trusted if full else (),
            batch_size=batch_size,
        )
        unsealed = await verification.check_unsealed(session, batch_size=batch_size)
    report = report.model_copy(
        update={
            "unsealed_records": unsealed.count,
            "oldest_unsealed_at": unsealed.oldest_at,
            "altered_unsealed_id": unsealed.first_altered,
        }
    )
    if report.ok and unsealed.first_altered is not None:
        report = report.model_copy(update={"ok": False, "reason": "unsealed_record_altered"})
    refused = store.refused[:_REPORTED_REFUSALS]
    if report.ok and refused:
        return report.model_copy(
            update={"ok": False, "reason": "checkpoint_refused", "refused_checkpoints": refused}
        )
    return report.model_copy(update={"refused_checkpoints": refused})


async def _begin_snapshot(session: AsyncSession) -> None:
    """Make every read of the fresh `session` see one snapshot."""
    if session.in_transaction():
        raise RuntimeError("verification needs a session that has not begun")
    if session.get_bind().dialect.name == "sqlite":
        # A SQLite transaction in WAL mode reads one snapshot from its first read on.
        return
    await session.connection(execution_options={"isolation_level": "REPEATABLE READ"})


async def verify_database(
    settings: Settings, *, full: bool = False, batch_size: int = 5000
) -> ChainReport:
    """Open the configured database, verify its chain, close it (`qingeban audit verify`)."""
    database = Database.from_url(settings.database_url, pool_size=1)
    try:
        return await verify_chain(database, settings, full=full, batch_size=batch_size)
    finally:
        await database.dispose()


async def write_checkpoint(database: Database, settings: Settings) -> CheckpointOutcome:
    """Verify the chain from the newest checkpoint and, if it holds, sign its head into the store.

    Nothing is signed over a chain that does not verify: a checkpoint vouches for everything
    up to it. Refused lines in the store do not stop it (they are reported, and anchor
    nothing), or whoever can append junk to the store could stop the anchoring. A head that
    has not moved since the newest checkpoint, or an empty chain, gets no new one.
    """
    store = _store(settings)
    # What waits for the sealer is sealed first, so the checkpoint covers it too.
    if await sealer.pending(database):
        with contextlib.suppress(AuditChainHeadMissing):  # verification reports it
            await sealer.seal(database)
    report = await verify_chain(database, settings)
    if report.reason not in (None, "checkpoint_refused") or not report.head_seq:
        return CheckpointOutcome(report=report, checkpoint=None, written=False)
    if report.checkpoint is not None and report.checkpoint.seq >= report.head_seq:
        return CheckpointOutcome(report=report, checkpoint=report.checkpoint, written=False)
    assert report.head_hash is not None
    key = signing.checkpoint_key(settings.secret_key.get_secret_value())
    candidate = signing.sign(key, seq=report.head_seq, hash_=report.head_hash, created_at=utcnow())

    def decide(lines: list[checkpoints.StoredLine]) -> Checkpoint | None:
        # Another writer may have gone further since the verification: appending behind it
        # would only add an older anchor.
        newest = checkpoints.sort_out(lines, key, every=False).trusted
        return None if newest and newest[-1].seq >= candidate.seq else candidate

    try:
        written = await asyncio.to_thread(store.append, decide)
    except OSError as exc:
        raise CheckpointStoreUnavailable from exc
    return CheckpointOutcome(report=report, checkpoint=written, written=written is not None)


async def seal(database: Database) -> SealOutcome:
    """Seal every record appended unsealed so far (what each process's sealer does)."""
    return await sealer.seal(database)


async def seal_database(settings: Settings) -> SealOutcome:
    """Open the configured database, seal what waits, close it (`qingeban audit seal`)."""
    database = Database.from_url(settings.database_url, pool_size=1)
    try:
        return await sealer.seal(database)
    finally:
        await database.dispose()


async def checkpoint_database(settings: Settings) -> CheckpointOutcome:
    """Open the configured database, write a checkpoint, close it (`qingeban audit checkpoint`)."""
    database = Database.from_url(settings.database_url, pool_size=1)
    try:
        return await write_checkpoint(database, settings)
    finally:
        await database.dispose()


async def list_checkpoints(
    settings: Settings, *, cursor: str | None = None, limit: int = 50
) -> pagination.Page[CheckpointRead]:
    """The checkpoints in the store, newest line first, one keyset page at a time."""
    before_line = _cursor_value(cursor) if cursor is not None else None
    stored = [
        checkpoint
        for checkpoint in reversed(await published_checkpoints(settings))
        if before_line is None or checkpoint.line < before_line
    ]
    page = stored[:limit]
    next_cursor = pagination.encode_cursor([page[-1].line]) if len(stored) > limit else None
    return pagination.Page[CheckpointRead](items=page, next_cursor=next_cursor)


async def published_checkpoints(settings: Settings) -> list[CheckpointRead]:
    """Every checkpoint in the store as written, oldest first; lines that do not parse are left
    out. Signatures are not judged here: auditors check them with `checkpoint_keys`."""
    _store(settings)
    lines = await _read_checkpoints(settings)
    return [item.checkpoint for item in lines if item.checkpoint is not None]


def checkpoint_keys(settings: Settings) -> CheckpointKeys:
    """The JWK Set of the key that signs checkpoints."""
    return CheckpointKeys(keys=[signing.checkpoint_key(settings.secret_key.get_secret_value()).jwk])


def _store(settings: Settings) -> CheckpointStore:
    if settings.audit_checkpoint_path is None:
        raise CheckpointStoreNotConfigured
    return CheckpointStore(settings.audit_checkpoint_path)


async def _read_checkpoints(settings: Settings) -> list[checkpoints.StoredLine]:
    """The store's lines; none when no store is configured."""
    if settings.audit_checkpoint_path is None:
        return []
    store = CheckpointStore(settings.audit_checkpoint_path)
    try:
        return await asyncio.to_thread(store.read)
    except OSError as exc:
        # A store that is configured but cannot be read is an outage, not "no checkpoints":
        # verifying without them would silently drop the anchor.
        raise CheckpointStoreUnavailable from exc


def _cursor_value(cursor: str) -> int:
    try:
        (value,) = pagination.decode_cursor(cursor, arity=1)
    except pagination.InvalidCursor as exc:
        raise InvalidCursor(str(exc)) from exc
    if not isinstance(value, int) or value < 1:
        raise InvalidCursor("cursor does not match the query")
    return value


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
    before_seq = _cursor_value(cursor) if cursor is not None else None
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
