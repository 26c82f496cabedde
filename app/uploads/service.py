"""The uploads domain's logic; other domains call only this module.

An upload is stored for its owner: the signed-in person, in the capacity they signed in with
(for themselves, or acting for an enterprise). Only the owner reads it back here; the clerks of
a case read it through the applications domain, which checks that it is attached to that case.
What a file is comes from its bytes (sniff.py); the client's type and name are not believed.
An upload nobody attached is deleted after UNATTACHED_LIFETIME (`purge_expired`).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import ActorType, AuditContext
from app.auth.errors import RoleRequired
from app.auth.principals import Principal
from app.auth.ratelimit import Limit, limiter
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.uploads import reading, repository, sniff
from app.uploads.errors import (
    InvalidUpload,
    TooManyUploads,
    UnsupportedUploadType,
    UploadNotFound,
)
from app.uploads.models import Upload
from app.uploads.names import safe_file_name
from app.uploads.schemas import Attached, UploadContent, UploadRead

UNATTACHED_LIFETIME = timedelta(hours=24)


def _owner(principal: Principal) -> tuple[uuid.UUID, str | None]:
    if principal.kind != "person":
        raise RoleRequired(
            "文件须由群众本人或代表企业的经办人上传",
            "uploads are made by citizens and people acting for an enterprise",
        )
    return uuid.UUID(principal.id), principal.enterprise


async def _within_rate_limit(
    session: AsyncSession, settings: Settings, account_id: uuid.UUID
) -> None:
    limit = Limit("uploads.account", settings.uploads_per_hour, 3600)
    verdict = await limiter(session, settings).hit(limit, str(account_id))
    if not verdict.allowed:
        raise TooManyUploads(verdict.retry_after)


def _read(upload: Upload) -> UploadRead:
    return UploadRead.model_validate(upload, from_attributes=True)


async def upload(
    session: AsyncSession,
    settings: Settings,
    principal: Principal,
    *,
    content_type: str | None,
    content_length: str | None,
    chunks: AsyncIterator[bytes],
    audit_context: AuditContext,
) -> UploadRead:
    """Store the `file` field of a multipart body for the caller; UploadTooLarge (413),
    UnsupportedUploadType (415, not a PDF, JPEG or PNG), InvalidUpload (422, empty or
    malformed), TooManyUploads (429)."""
    account_id, uscc = _owner(principal)
    reading.check_declared_length(content_length, settings.upload_max_bytes)
    await _within_rate_limit(session, settings, account_id)
    # The reads of authentication and the rate limit's count end here: a phone may take many
    # seconds to send the file, and no transaction (on SQLite: the write lock) may be held
    # while it does. The upload is written in a transaction of its own afterwards.
    await session.commit()
    received = await reading.read_file_field(
        content_type, chunks, max_bytes=settings.upload_max_bytes
    )
    data = bytes(received.data)
    if not data:
        raise InvalidUpload("文件为空", "the file is empty")
    media_type = sniff.content_type(data[: sniff.HEAD_BYTES])
    if media_type is None:
        raise UnsupportedUploadType(
            "仅支持 PDF、JPEG、PNG 格式的文件", "only PDF, JPEG and PNG files are accepted",
            extra={"accepted": sorted(sniff.EXTENSIONS)},
        )  # fmt: skip
    now = utcnow()
    stored = Upload(
        id=new_id(),
        owner_account_id=account_id,
        owner_uscc=uscc,
        content_type=media_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        file_name=safe_file_name(received.file_name, sniff.EXTENSIONS[media_type]),
        data=data,
        created_at=now,
        expires_at=now + UNATTACHED_LIFETIME,
        attached_at=None,
    )
    await repository.add(session, stored)
    # Neither the bytes nor the file name: a name such as "张三身份证.jpg" is personal data.
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person", actor_id=str(account_id), action="upload.created",
            subject_type="upload", subject_id=str(stored.id),
            after={"content_type": media_type, "size": stored.size, "sha256": stored.sha256},
        ),
    )  # fmt: skip
    return _read(stored)


def _parse(upload_id: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(upload_id)
    except ValueError:
        return None


def _not_found() -> UploadNotFound:
    return UploadNotFound("未找到该文件", "no such upload")


async def owners_content(
    session: AsyncSession, principal: Principal, upload_id: str
) -> UploadContent:
    """The bytes of one of the caller's uploads; UploadNotFound (404) for anyone else's."""
    account_id, uscc = _owner(principal)
    parsed = _parse(upload_id)
    found = (
        await repository.owners_upload(session, parsed, account_id, uscc, utcnow(), with_data=True)
        if parsed is not None
        else None
    )
    if found is None:
        raise _not_found()
    return UploadContent(found.id, found.content_type, found.file_name, found.data)


async def attach(
    session: AsyncSession, upload_id: uuid.UUID, *, account_id: uuid.UUID, uscc: str | None
) -> Attached | None:
    """Attach a live upload of this owner to a case: it no longer expires. None when the owner
    has no such upload (another's reads the same as none)."""
    now = utcnow()
    found = await repository.owners_upload(
        session, upload_id, account_id, uscc, now, for_update=True
    )
    if found is None:
        return None
    if found.attached_at is None:
        found.attached_at = now
    found.expires_at = None
    return Attached(found.id, found.content_type, found.size, found.sha256)


async def case_content(
    session: AsyncSession,
    upload_id: str,
    *,
    reader: tuple[ActorType, str],
    purpose: str,
    audit_context: AuditContext,
) -> UploadContent:
    """The bytes of an attached upload, for a party to a case that names it (the caller checked
    that: the case was only ever given its applicant's uploads); the read is audited with its
    purpose. UploadNotFound (404) for an upload attached to nothing."""
    parsed = _parse(upload_id)
    found = await repository.attached_upload(session, parsed) if parsed is not None else None
    if found is None:
        raise _not_found()
    await audit.record(
        session,
        audit_context.entry(
            actor_type=reader[0], actor_id=reader[1], action="upload.downloaded",
            subject_type="upload", subject_id=str(found.id), purpose=purpose,
        ),
    )  # fmt: skip
    return UploadContent(found.id, found.content_type, found.file_name, found.data)


async def purge_expired(session: AsyncSession) -> int:
    """Delete the uploads never attached to a case whose time is up; return how many."""
    return await repository.purge_expired(session, utcnow())
