"""Endpoints of the audit log: verify the chain and browse the records (platform admins), and
the chain's signed checkpoints with their key (auditors)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.audit import service
from app.audit.errors import (
    CheckpointStoreNotConfigured,
    CheckpointStoreUnavailable,
    SubjectIdWithoutType,
)
from app.audit.schemas import AuditRecordRead, ChainReport, CheckpointKeys, CheckpointRead
from app.auth.errors import AUTH_ERRORS
from app.config import API_V1
from app.dependencies import AuditReader, DatabaseDep, PlatformAdmin, SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.kit.pagination import Page

router = APIRouter(
    prefix=f"{API_V1}/admin/audit",
    tags=["audit"],
    dependencies=[PlatformAdmin],
    responses=error_responses(*AUTH_ERRORS),
)

auditors_router = APIRouter(
    prefix=f"{API_V1}/audit",
    tags=["audit"],
    dependencies=[AuditReader],
    responses=error_responses(*AUTH_ERRORS),
)


@router.get(
    "/verify",
    response_model=ChainReport,
    status_code=status.HTTP_200_OK,
    summary="Verify the audit chain",
    responses=error_responses(CheckpointStoreUnavailable),
)
async def verify_audit_chain(
    database: DatabaseDep,
    settings: SettingsDep,
    full: Annotated[
        bool, Query(description="Walk the whole chain and compare every checkpoint with it")
    ] = False,
) -> ChainReport:
    """Recompute the hash chain and report the first broken link, if any.

    By default from the newest trusted signed checkpoint to the head (the chain must still
    hold the checkpoint's position and hash); `full=true` walks the whole chain and compares
    every checkpoint. Exactly what `qingeban audit verify [--full]` does. Answers 200 either
    way; `ok` says whether the chain is intact, `first_broken_seq` with `reason` where and how
    it breaks. (Platform admins.)
    """
    # Not the request's session: verification reads through a snapshot of its own.
    return await service.verify_chain(database, settings, full=full)


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


@auditors_router.get(
    "/checkpoints",
    response_model=Page[CheckpointRead],
    status_code=status.HTTP_200_OK,
    summary="List the audit chain's signed checkpoints",
    responses=error_responses(
        CheckpointStoreNotConfigured, CheckpointStoreUnavailable, InvalidCursor
    ),
)
async def list_audit_checkpoints(
    settings: SettingsDep,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> Page[CheckpointRead]:
    """The signed checkpoints of the chain head, newest first, as the store holds them.

    Keep copies: a checkpoint you hold proves what the chain was at its position, whatever
    happens to the database later. Check each `signature` (ES256, detached payload: the
    canonical JSON of `created_at`, `hash`, `seq`) with the key of `GET /api/v1/audit/jwks`,
    pinned once. (Platform admins and auditors.)
    """
    return await service.list_checkpoints(settings, cursor=cursor, limit=limit)


@auditors_router.get(
    "/jwks",
    response_model=CheckpointKeys,
    status_code=status.HTTP_200_OK,
    summary="The key that signs audit checkpoints",
)
async def audit_checkpoint_keys(settings: SettingsDep) -> CheckpointKeys:
    """The JWK Set of the checkpoint signing key; its `kid` is its RFC 7638 thumbprint.
    (Platform admins and auditors.)"""
    return service.checkpoint_keys(settings)
