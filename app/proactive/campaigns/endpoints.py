"""Admin HTTP API of campaigns: start one, follow its progress, pause and resume it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.audit.dependencies import AuditContextDep
from app.auth.errors import AUTH_ERRORS
from app.config import API_V1
from app.dependencies import SessionDep, WriteSessionDep
from app.errors import error_responses
from app.proactive.campaigns import service
from app.proactive.campaigns.dependencies import Admin, CampaignId
from app.proactive.campaigns.errors import (
    CampaignKindUnknown,
    CampaignNotFound,
    CampaignNotPaused,
    CampaignNotRunning,
    PilotOutOfRoster,
    RosterUnavailable,
)
from app.proactive.campaigns.schemas import CampaignCreate, CampaignRead

router = APIRouter(
    prefix=f"{API_V1}/admin/campaigns", tags=["campaigns"], responses=error_responses(*AUTH_ERRORS)
)


@router.post(
    "",
    response_model=CampaignRead,
    status_code=status.HTTP_201_CREATED,
    summary="Start a campaign (静默认证)",
    responses=error_responses(CampaignKindUnknown, PilotOutOfRoster, RosterUnavailable),
)
async def create_campaign(
    data: CampaignCreate, admin: Admin, session: WriteSessionDep, audit: AuditContextDep
) -> CampaignRead:
    """Start re-qualifying every pension recipient: the pension system's roster is cut into
    batches, each a durable job any worker may take. Each person is classified from the
    departments' feeds: activity and no negative signal → qualified silently for a year; no
    signal → invited to verify their face, reminded, and after the warning period handed to a
    clerk; a negative signal (death, cremation, household cancelled, imprisonment) → a clerk's
    queue with the evidence. No payment is stopped without a clerk. (Platform admins.)"""
    return await service.create(session, data, actor=str(admin.staff_id), context=audit)


@router.get(
    "",
    response_model=list[CampaignRead],
    status_code=status.HTTP_200_OK,
    summary="List campaigns",
)
async def list_campaigns(
    admin: Admin,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=50, description="How many, newest first")] = 20,
) -> list[CampaignRead]:
    """The newest campaigns with their progress. (Platform admins.)"""
    return await service.list_campaigns(session, limit)


@router.get(
    "/{campaign_id}",
    response_model=CampaignRead,
    status_code=status.HTTP_200_OK,
    summary="A campaign's progress",
    responses=error_responses(CampaignNotFound),
)
async def get_campaign(campaign_id: CampaignId, admin: Admin, session: SessionDep) -> CampaignRead:
    """Batches done of all, people classified (silent, invited, referred, the silent share)
    and their cases now (pending, qualified, suspended, restored). (Platform admins.)"""
    return await service.get(session, campaign_id)


@router.post(
    "/{campaign_id}/pause",
    response_model=CampaignRead,
    status_code=status.HTTP_200_OK,
    summary="Pause a campaign",
    responses=error_responses(CampaignNotFound, CampaignNotRunning),
)
async def pause_campaign(
    campaign_id: CampaignId, admin: Admin, session: WriteSessionDep, audit: AuditContextDep
) -> CampaignRead:
    """No further batch starts (one being read finishes); 409 unless running. (Platform admins.)"""
    return await service.pause(session, campaign_id, actor=str(admin.staff_id), context=audit)


@router.post(
    "/{campaign_id}/resume",
    response_model=CampaignRead,
    status_code=status.HTTP_200_OK,
    summary="Resume a campaign",
    responses=error_responses(CampaignNotFound, CampaignNotPaused),
)
async def resume_campaign(
    campaign_id: CampaignId, admin: Admin, session: WriteSessionDep, audit: AuditContextDep
) -> CampaignRead:
    """The batches found paused are queued again; 409 unless paused. (Platform admins.)"""
    return await service.resume(session, campaign_id, actor=str(admin.staff_id), context=audit)
