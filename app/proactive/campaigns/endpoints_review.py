"""The pension clerks' side of a campaign: the queue with the evidence, suspensions confirmed in
bulk, and a person found entitled after all."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, status

from app.audit.dependencies import AuditContextDep
from app.auth.errors import AUTH_ERRORS
from app.config import API_V1
from app.dependencies import SessionDep, WriteSessionDep
from app.errors import InvalidCursor, error_responses
from app.proactive.campaigns import service
from app.proactive.campaigns.dependencies import CampaignId, CaseId, Clerk
from app.proactive.campaigns.errors import (
    CampaignNotFound,
    CaseNotFound,
    CaseNotRestorable,
    CaseNotSuspendable,
)
from app.proactive.campaigns.schemas import (
    CasePage,
    CaseRead,
    CaseState,
    RestoreRequest,
    SuspensionRequest,
    SuspensionResult,
)

router = APIRouter(
    prefix=f"{API_V1}/review/campaigns", tags=["campaigns"], responses=error_responses(*AUTH_ERRORS)
)


@router.get(
    "/{campaign_id}/cases",
    response_model=CasePage,
    status_code=status.HTTP_200_OK,
    summary="A campaign's cases for clerks",
    responses=error_responses(CampaignNotFound, InvalidCursor),
)
async def list_cases(
    campaign_id: CampaignId,
    clerk: Clerk,
    session: SessionDep,
    state: Annotated[CaseState | None, Query(description="Only this state")] = None,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> CasePage:
    """By default the clerks' queue: referred (a negative signal, with its evidence) and due
    (the warning period ended without a selfie). ID numbers masked. (Pension clerks.)"""
    return await service.queue(session, campaign_id, state=state, cursor=cursor, limit=limit)


@router.post(
    "/{campaign_id}/suspensions",
    response_model=SuspensionResult,
    status_code=status.HTTP_200_OK,
    summary="Confirm suspensions in bulk",
    responses=error_responses(CampaignNotFound, CaseNotFound, CaseNotSuspendable),
)
async def confirm_suspensions(
    campaign_id: CampaignId,
    data: SuspensionRequest,
    clerk: Clerk,
    session: WriteSessionDep,
    audit: AuditContextDep,
) -> SuspensionResult:
    """Suspend the pensions of these cases (all in the queue, or nothing is done): each gets a
    durable instruction to the pension system and a statutory notice. (Pension clerks.)"""
    ids = await service.suspend(
        session, campaign_id, data.case_ids, reason=data.reason, actor=str(clerk.staff_id),
        context=audit,
    )  # fmt: skip
    return SuspensionResult(suspended=ids, count=len(ids))


@router.post(
    "/{campaign_id}/cases/{case_id}/restore",
    response_model=CaseRead,
    status_code=status.HTTP_200_OK,
    summary="Find a person entitled",
    responses=error_responses(CampaignNotFound, CaseNotFound, CaseNotRestorable),
)
async def restore_case(
    campaign_id: CampaignId,
    case_id: CaseId,
    data: RestoreRequest,
    clerk: Clerk,
    session: WriteSessionDep,
    audit: AuditContextDep,
) -> CaseRead:
    """The person is alive and entitled (seen at a window, a record corrected): qualified for
    a year, and a stopped pension resumed by a durable instruction. (Pension clerks.)"""
    return await service.restore(
        session, campaign_id, case_id, reason=data.reason, actor=str(clerk.staff_id),
        context=audit,
    )  # fmt: skip
