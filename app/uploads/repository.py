"""Every query of the uploads domain; the owner's scope is applied here."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ColumnElement, and_, delete, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import undefer

from app.uploads.models import Upload


def _owned(account_id: uuid.UUID, uscc: str | None) -> ColumnElement[bool]:
    # Acting for an enterprise is another capacity than acting for oneself: an upload made in
    # one is not the other's.
    uscc_matches = Upload.owner_uscc.is_(None) if uscc is None else Upload.owner_uscc == uscc
    return and_(Upload.owner_account_id == account_id, uscc_matches)


def _live(now: datetime) -> ColumnElement[bool]:
    return Upload.expires_at.is_(None) | (Upload.expires_at > now)


async def add(session: AsyncSession, upload: Upload) -> None:
    """Stage a new upload and flush it."""
    session.add(upload)
    await session.flush()


async def owners_upload(
    session: AsyncSession,
    upload_id: uuid.UUID,
    account_id: uuid.UUID,
    uscc: str | None,
    now: datetime,
    *,
    with_data: bool = False,
    for_update: bool = False,
) -> Upload | None:
    """One live upload of this owner (None for anyone else's, or an expired one)."""
    query = select(Upload).where(Upload.id == upload_id, _owned(account_id, uscc), _live(now))
    if with_data:
        query = query.options(undefer(Upload.data))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def attached_upload(session: AsyncSession, upload_id: uuid.UUID) -> Upload | None:
    """An upload attached to a case, with its bytes (whose case it is, the caller checked)."""
    query = (
        select(Upload)
        .where(Upload.id == upload_id, Upload.attached_at.is_not(None))
        .options(undefer(Upload.data))
    )
    return (await session.scalars(query)).first()


async def purge_expired(session: AsyncSession, now: datetime) -> int:
    """Delete the uploads whose expiry has passed (attached ones have none); return how many."""
    result = await session.execute(delete(Upload).where(Upload.expires_at <= now))
    return int(getattr(result, "rowcount", 0) or 0)
