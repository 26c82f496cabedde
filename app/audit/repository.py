"""Every query of the audit log."""

from __future__ import annotations

import functools
import hashlib
import sqlite3
from collections.abc import Sequence
from typing import Any, cast

from sqlalchemy import (
    Insert,
    RowMapping,
    Table,
    Text,
    bindparam,
    event,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy import cast as cast_
from sqlalchemy.dialects.sqlite.aiosqlite import AsyncAdapt_aiosqlite_connection
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.pool import ConnectionPoolEntry

from app.audit.canonical import RECORD_FIELDS, SeqTemplate, seq_template
from app.audit.errors import AuditChainHeadMissing
from app.audit.models import AuditChainHead, AuditRecord
from app.db import stage

HEAD_ID = 1
# pg_try_advisory_xact_lock key of the sealer: one sealing pass at a time, the others skip.
_SEALER_LOCK = 0x51450004

_RECORDS = cast(Table, AuditRecord.__table__)
_HEAD = cast(Table, AuditChainHead.__table__)
_READ_HEAD = select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID)
# What the caller knows of a record before it is linked to the chain.
_FREE_COLUMNS = tuple(
    c.key for c in _RECORDS.columns if c.key not in {"seq", "prev_hash", "hash", "body_digest"}
)
_SQLITE_SHA256 = "qe_audit_sha256_hex"
_SQLITE_CONNECTIONS = (sqlite3.Connection, AsyncAdapt_aiosqlite_connection)

# The columns verification reads: plain rows rather than entities, so that streaming millions
# of records neither fills the identity map nor pays for ORM instances.
_CHAIN_COLUMNS = (
    AuditRecord.seq,
    AuditRecord.id,
    AuditRecord.occurred_at,
    AuditRecord.actor_type,
    AuditRecord.actor_id,
    AuditRecord.action,
    AuditRecord.subject_type,
    AuditRecord.subject_id,
    AuditRecord.purpose,
    AuditRecord.request_id,
    AuditRecord.client_address,
    AuditRecord.changes_digest,
    AuditRecord.prev_hash,
    AuditRecord.hash,
)
# An unsealed record's content: every hashed field but seq, and the digest it was appended with.
_UNSEALED_COLUMNS = (
    *(getattr(AuditRecord, name) for name in RECORD_FIELDS if name != "seq"),
    AuditRecord.body_digest,
)
_UNSEALED_ORDER = (AuditRecord.occurred_at, AuditRecord.id)
_SEAL = (
    update(_RECORDS)
    .where(_RECORDS.c.id == bindparam("record_id"))
    .values(
        seq=bindparam("new_seq"),
        prev_hash=bindparam("new_prev_hash"),
        hash=bindparam("new_hash"),
        body_digest=None,
    )
)


def _sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


# SQLite has no SHA-256 of its own. Registered on every engine's new connections (app, tests,
# CLI) at import of this module, which app.models imports; no pool event names its dialect, so
# SQLite connections are told apart by their type.
@event.listens_for(Engine, "connect")
def _add_sqlite_functions(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    if isinstance(dbapi_connection, _SQLITE_CONNECTIONS):
        dbapi_connection.create_function(_SQLITE_SHA256, 1, _sha256_hex, deterministic=True)


async def read_head(session: AsyncSession) -> tuple[int, str] | None:
    """The head's (seq, hash) without locking it."""
    row = (await session.execute(_READ_HEAD)).one_or_none()
    return None if row is None else (row.seq, row.hash)


async def append(session: AsyncSession, record: AuditRecord, template: SeqTemplate) -> bool:
    """Link `record` to the head, insert it, and attach it to the session; False without a head.

    One statement locks the head, finishes the hash in the database (`SeqTemplate`), inserts
    the record and returns its seq, prev_hash and hash, which are set on `record`. The head
    stays locked until the caller's transaction ends (PostgreSQL: the row lock of FOR UPDATE,
    which waits for and then reads the newest head; SQLite: write transactions begin IMMEDIATE
    and so hold the database's single write lock). The insert trigger (migration 0002) moves
    the head to the record and refuses any record that does not extend it.
    """
    values: dict[str, Any] = {name: getattr(record, name) for name in _FREE_COLUMNS}
    values.update(prefix=template.prefix, suffix=template.suffix)
    statement = _append_statement(session.get_bind().dialect.name)
    row = (await session.execute(statement, values)).one_or_none()
    if row is None:
        return False
    record.seq, record.prev_hash, record.hash = row.seq, row.prev_hash, row.hash
    # Inserted by a core statement rather than the unit of work (which cannot compute a column
    # from another row); the instance joins the session as if it had been loaded, so a later
    # flush does not insert it again.
    make_transient_to_detached(record)
    session.add(record)
    return True


@functools.cache
def _append_statement(dialect_name: str) -> Insert:
    """INSERT … SELECT from the locked head, with SHA-256 in the database's own terms."""
    locked = (
        select(_HEAD.c.seq, _HEAD.c.hash).where(_HEAD.c.id == HEAD_ID).with_for_update().cte("head")
    )
    seq = locked.c.seq + literal_column("1")
    canonical = (
        locked.c.hash.concat(bindparam("prefix", type_=Text))
        .concat(cast_(seq, Text))
        .concat(bindparam("suffix", type_=Text))
    )
    if dialect_name == "sqlite":
        digest = getattr(func, _SQLITE_SHA256)(canonical)
    else:
        utf8 = func.convert_to(canonical, literal_column("'UTF8'"))
        digest = func.encode(func.sha256(utf8), literal_column("'hex'"))
    computed = {
        "seq": seq,
        "prev_hash": locked.c.hash,
        "hash": digest,
        "body_digest": literal_column("NULL"),  # sealed at once: the hash covers the content
    }
    columns = [column.key for column in _RECORDS.columns]
    values = [
        computed[name] if name in computed else bindparam(name, type_=_RECORDS.c[name].type)
        for name in columns
    ]
    return (
        insert(_RECORDS)
        .from_select(columns, select(*values).select_from(locked))
        .returning(_RECORDS.c.seq, _RECORDS.c.prev_hash, _RECORDS.c.hash)
    )


def add_unsealed(session: AsyncSession, record: AuditRecord) -> None:
    """Insert `record` unsealed (no seq, prev_hash or hash) with the caller's other changes.

    No lock is taken and no other row is read: the insert is written with the unit of work's
    other writes (staged: app.db.stage) and commits (or rolls back) with them, and the sealer
    links it into the chain afterwards.
    """
    stage(session, record)


def unsealed_template(fields: RowMapping) -> SeqTemplate:
    """The SeqTemplate of an unsealed record's stored content (its body_digest and, once
    placed, its chain hash)."""
    return seq_template(**{name: fields[name] for name in RECORD_FIELDS if name != "seq"})


async def seal_pending(session: AsyncSession, *, limit: int) -> tuple[int, list[RowMapping]] | None:
    """Link up to `limit` unsealed records to the head, oldest first, in the caller's write
    transaction: (records sealed, unsealed records whose content no longer matches their
    digest, which are left unsealed). None: another sealer holds the chain (PostgreSQL).

    The head is locked FOR UPDATE (SQLite: the write transaction's lock) before the unsealed
    records are read, and under READ COMMITTED that read sees every record committed until
    then: nothing is skipped by a high-water mark, a record that committed late is simply
    sealed by this pass or the next. Each UPDATE passes the 0027 triggers, which refuse it
    unless it extends the head and changes nothing but the link, and move the head.
    """
    postgresql = session.get_bind().dialect.name == "postgresql"
    if postgresql:
        locked = await session.execute(
            text("SELECT pg_try_advisory_xact_lock(:key)"), {"key": _SEALER_LOCK}
        )
        if not locked.scalar_one():
            return None
    head_query = _READ_HEAD.with_for_update() if postgresql else _READ_HEAD
    head = (await session.execute(head_query)).one_or_none()
    if head is None:
        raise AuditChainHeadMissing
    statement = (
        select(*_UNSEALED_COLUMNS)
        .where(AuditRecord.seq.is_(None))
        .order_by(*_UNSEALED_ORDER)
        .limit(limit)
    )
    rows = (await session.execute(statement)).mappings().all()
    seq, prev_hash = head.seq, head.hash
    links: list[dict[str, Any]] = []
    altered: list[RowMapping] = []
    for fields in rows:
        template = unsealed_template(fields)
        if template.body_digest() != fields["body_digest"]:
            altered.append(fields)
            continue
        seq += 1
        digest = template.chain_hash(prev_hash, seq)
        link = {"new_seq": seq, "new_prev_hash": prev_hash, "new_hash": digest}
        links.append({"record_id": fields["id"], **link})
        prev_hash = digest
    if links:
        # One statement per record, in chain order (executemany: pipelined, one round trip's
        # worth of waiting): the triggers move the head record by record.
        await session.execute(_SEAL, links)
    return len(links), altered


async def has_unsealed(session: AsyncSession) -> bool:
    """Whether any record waits for the sealer (one probe of the partial index)."""
    statement = select(AuditRecord.id).where(AuditRecord.seq.is_(None)).limit(1)
    return (await session.execute(statement)).first() is not None


async def unsealed_batch(
    session: AsyncSession, *, after: tuple[Any, Any] | None, limit: int
) -> Sequence[RowMapping]:
    """Up to `limit` unsealed records after the (occurred_at, id) `after`, oldest first."""
    statement = (
        select(*_UNSEALED_COLUMNS)
        .where(AuditRecord.seq.is_(None))
        .order_by(*_UNSEALED_ORDER)
        .limit(limit)
    )
    if after is not None:
        occurred_at, record_id = after
        statement = statement.where(
            (AuditRecord.occurred_at > occurred_at)
            | ((AuditRecord.occurred_at == occurred_at) & (AuditRecord.id > record_id))
        )
    return (await session.execute(statement)).mappings().all()


async def chain_batch(
    session: AsyncSession, *, after_seq: int, upto_seq: int, limit: int
) -> Sequence[RowMapping]:
    """Up to `limit` records with after_seq < seq <= upto_seq, in chain order."""
    statement = (
        select(*_CHAIN_COLUMNS)
        .where(AuditRecord.seq > after_seq, AuditRecord.seq <= upto_seq)
        .order_by(AuditRecord.seq)
        .limit(limit)
    )
    return (await session.execute(statement)).mappings().all()


async def record_hash(session: AsyncSession, seq: int) -> str | None:
    """The stored hash of the record at position `seq`, if there is one."""
    statement = select(AuditRecord.hash).where(AuditRecord.seq == seq)
    value: str | None = (await session.execute(statement)).scalar_one_or_none()
    return value


async def first_seq_after(session: AsyncSession, seq: int) -> int | None:
    """The lowest record position above `seq`, if any."""
    statement = select(func.min(AuditRecord.seq)).where(AuditRecord.seq > seq)
    value: int | None = (await session.execute(statement)).scalar_one()
    return value


async def list_records(
    session: AsyncSession,
    *,
    subject_type: str | None,
    subject_id: str | None,
    before_seq: int | None,
    limit: int,
) -> Sequence[AuditRecord]:
    """Sealed records newest first, optionally of one subject type (and id), below a cursor."""
    statement = (
        select(AuditRecord)
        .where(AuditRecord.seq.is_not(None))
        .order_by(AuditRecord.seq.desc())
        .limit(limit)
    )
    if subject_type is not None:
        statement = statement.where(AuditRecord.subject_type == subject_type)
    if subject_id is not None:
        statement = statement.where(AuditRecord.subject_id == subject_id)
    if before_seq is not None:
        statement = statement.where(AuditRecord.seq < before_seq)
    return (await session.execute(statement)).scalars().all()
