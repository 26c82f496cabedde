"""The data-access log: record every read of a subject's data, and list them for the subject.

Records join the caller's transaction (services flush, the request or job commits), so a case
and the reads it made land together or not at all. Subjects are stored only as a keyed blind
index and a masked form; derive both with `subject_ref` and the key from
`blind_index_from_settings`, so every caller indexes the same value the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import repository
from app.adapters.models import DataAccessRecord
from app.adapters.schemas import DataAccessEntry, DataAccessRead, SubjectKind, SubjectRef
from app.config import Settings
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.crypto import BlindIndex, derive_key
from app.kit.ids import new_id
from app.kit.masking import mask_id_number

BLIND_INDEX_PURPOSE = "blind-index"
# Actors whose id a citizen is shown; see DataAccessRead.
_ACCOUNTABLE_ACTORS = frozenset({"staff", "client", "system"})


def blind_index_from_settings(settings: Settings) -> BlindIndex:
    """The blind index keyed from the platform secret, shared by every caller."""
    return BlindIndex(derive_key(settings.secret_key.get_secret_value(), BLIND_INDEX_PURPOSE))


def subject_ref(kind: SubjectKind, value: str, blind_index: BlindIndex) -> SubjectRef:
    """Reduce an ID number, USCC or address to what the log may keep: blind index and mask."""
    normalized = value.strip().upper()
    return SubjectRef(
        kind=kind, index=blind_index.compute(normalized), masked=mask_id_number(normalized)
    )


def _columns(entry: DataAccessEntry) -> dict[str, Any]:
    return {
        "id": new_id(),
        "occurred_at": entry.occurred_at,
        "calling_system": entry.calling_system,
        "actor_type": entry.actor_type,
        "actor_id": entry.actor_id,
        "subject_kind": entry.subject.kind,
        "subject_index": entry.subject.index,
        "subject_masked": entry.subject.masked,
        "department": entry.department,
        "dataset": entry.dataset,
        "purpose": entry.purpose,
        "case_id": entry.case_id,
        "outcome": entry.outcome,
        "reason": entry.reason,
        "request_id": entry.request_id,
        "datasets": ",".join(entry.datasets) if entry.datasets else None,
    }


async def record_access(session: AsyncSession, entry: DataAccessEntry) -> None:
    """Record one read in the caller's transaction (flushed, not committed)."""
    repository.add(session, DataAccessRecord(**_columns(entry)))
    await session.flush()


async def record_many(session: AsyncSession, entries: Iterable[DataAccessEntry]) -> int:
    """Record many reads (a gathering's, a campaign's batch) in one insert; return how many."""
    rows = [_columns(entry) for entry in entries]
    await repository.insert_many(session, rows)
    return len(rows)


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        at, record_id = pagination.decode_cursor(cursor, arity=2)
        if not isinstance(at, str) or not isinstance(record_id, str):
            raise ValueError("cursor holds unexpected value types")
        occurred_at = datetime.fromisoformat(at)
        if occurred_at.tzinfo is None:
            raise ValueError("cursor time has no offset")
        return occurred_at, uuid.UUID(record_id)
    except ValueError as exc:  # kit's InvalidCursor is a ValueError too
        raise InvalidCursor("分页游标无效", str(exc)) from exc


def _read(record: DataAccessRecord) -> DataAccessRead:
    read = DataAccessRead.model_validate(record)
    if record.actor_type in _ACCOUNTABLE_ACTORS:
        return read
    return read.model_copy(update={"actor_id": None})


async def list_for_subject(
    session: AsyncSession,
    *,
    subject_value: str,
    blind_index: BlindIndex,
    cursor: str | None = None,
    limit: int = 50,
) -> pagination.Page[DataAccessRead]:
    """Reads of one subject's data (ID number or USCC), newest first, one keyset page at a time."""
    subject_index = blind_index.compute(subject_value.strip().upper())
    return await list_for_subject_index(
        session, subject_index=subject_index, cursor=cursor, limit=limit
    )


async def list_for_subject_index(
    session: AsyncSession, *, subject_index: str, cursor: str | None = None, limit: int = 50
) -> pagination.Page[DataAccessRead]:
    """Reads of the subject with this blind index (an account keeps its ID number's index)."""
    if limit < 1:
        raise ValueError("limit must be at least 1")
    before = _decode(cursor) if cursor is not None else None
    records = await repository.list_for_subject(
        session, subject_index=subject_index, before=before, limit=limit + 1
    )
    page = records[:limit]
    next_cursor = None
    if len(records) > limit:
        last = page[-1]
        next_cursor = pagination.encode_cursor([last.occurred_at.isoformat(), str(last.id)])
    return pagination.Page[DataAccessRead](
        items=[_read(record) for record in page], next_cursor=next_cursor
    )
