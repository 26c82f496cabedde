"""Admin endpoints of the audit log: verify the chain, browse the records."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.audit import service
from app.audit.errors import SubjectIdWithoutType
from app.audit.schemas import AuditRecordRead, ChainReport
from app.auth.errors import AUTH_ERRORS
from app.config import API_V1
from app.dependencies import PlatformAdmin, SessionDep
from app.errors import InvalidCursor, error_responses
from app.kit.pagination import Page

router = APIRouter(
    prefix=f"{API_V1}/admin/audit",
    tags=["audit"],
    dependencies=[PlatformAdmin],
    responses=error_responses(*AUTH_ERRORS),
)


@router.get(
    "/verify",
    response_model=ChainReport,
    status_code=status.HTTP_200_OK,
    summary="Verify the audit chain",
    responses=error_responses(),
)
async def verify_audit_chain(session: SessionDep) -> ChainReport:
    """Recompute the hash chain and report the first broken link, if any.

    Answers 200 either way; `ok` says whether the chain is intact, and `first_broken_seq` with
    `reason` where and how it breaks. Publish `head_seq`/`head_hash` elsewhere to anchor the chain.
    (Platform admins.)
    """
    return await service.verify(session)


@router.get(
    "/records",
    response_model=Page[AuditRecordRead],
    status_code=status.HTTP_200_OK,
    summary="List audit records",
    responses=error_responses(SubjectIdWithoutType, InvalidCursor),
)
async def list_audit_records(
    session: SessionDep,
    subject_type: Annotated[str | None, Query(max_length=64)] = None,
    subject_id: Annotated[str | None, Query(max_length=128)] = None,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[AuditRecordRead]:
    """Audit records newest first, optionally of one subject (type, or type and id).

    The before/after values of a change are not stored, only their digest.
    (Platform admins.)
    """
    return await service.list_records(
        session, subject_type=subject_type, subject_id=subject_id, cursor=cursor, limit=limit
    )
