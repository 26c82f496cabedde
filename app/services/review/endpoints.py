"""HTTP endpoints of the clerks' review: the department's queue, claim, approve, reject, ask
for a supplement. A case of another department is 404, like one that does not exist."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query, Response

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import AUTH_ERRORS, RequireStaff
from app.auth.models import StaffRole
from app.auth.principals import Staff
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep, WriteSessionDep
from app.errors import InvalidCursor, error_responses
from app.kit.pagination import Page
from app.services.applications import materials
from app.services.applications import service as applications
from app.services.applications.errors import (
    AmountRequired,
    ApplicationNotFound,
    NothingToRenew,
    OutcomeUnavailable,
    StatusConflict,
)
from app.services.applications.schemas import (
    ApplicationStatus,
    Rejection,
    ReviewCaseRead,
    ReviewCaseSummary,
    ReviewDecision,
    SupplementRequest,
)
from app.services.applications.status import Status
from app.uploads.endpoints import DOWNLOAD_RESPONSES, download_response
from app.uploads.errors import UploadNotFound

router = APIRouter(
    prefix=f"{API_V1}/review", tags=["review"], responses=error_responses(*AUTH_ERRORS)
)
Clerk = Annotated[Staff, Depends(RequireStaff(StaffRole.CLERK, StaffRole.DEPARTMENT_ADMIN))]
CaseId = Annotated[str, Path(max_length=64)]
UploadId = Annotated[str, Path(max_length=64)]
_ACTION_ERRORS = error_responses(ApplicationNotFound, StatusConflict)


@router.get(
    "/cases",
    response_model=Page[ReviewCaseSummary],
    summary="The department's queue",
    responses=error_responses(InvalidCursor),
)
async def queue(
    clerk: Clerk,
    session: SessionDep,
    status: Annotated[list[ApplicationStatus] | None, Query()] = None,
    service: Annotated[str | None, Query(max_length=100)] = None,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[ReviewCaseSummary]:
    """The cases of the clerk's department, earliest statutory deadline first; by default the
    ones waiting for a clerk (a commitment found broken included) or in review (`status` to
    choose others)."""
    statuses = status or ["pending_review", "resubmitted", "commitment_breached", "in_review"]
    return await applications.review_queue(
        session, clerk, statuses=statuses, service_code=service, cursor=cursor, limit=limit
    )


@router.get(
    "/cases/{case_id}",
    response_model=ReviewCaseRead,
    summary="A case, with its decision's explanation",
    responses=error_responses(ApplicationNotFound),
)
async def case(
    case_id: CaseId, clerk: Clerk, session: WriteSessionDep, audit: AuditContextDep
) -> ReviewCaseRead:
    """The whole case: form, materials, the rules' explanation (every criterion with the value
    found, the requirement and its source) and the timeline. The only view of a case with its
    personal data unmasked, and every read of it is audited
    (`application.personal_data_viewed`)."""
    return await applications.review_case(session, clerk, case_id, audit_context=audit)


@router.get(
    "/cases/{case_id}/materials/{upload_id}",
    response_class=Response,
    status_code=200,
    summary="Download a material of a case",
    responses={**DOWNLOAD_RESPONSES, **error_responses(ApplicationNotFound, UploadNotFound)},
)
async def material(
    case_id: CaseId, upload_id: UploadId, clerk: Clerk, session: WriteSessionDep,
    audit: AuditContextDep,
) -> Response:  # fmt: skip
    """A file the applicant uploaded for a material of the case (as an attachment); 404 for a
    case of another department or an upload the case does not name. Every download is
    audited."""
    return download_response(
        await materials.case_upload(session, clerk, case_id, upload_id, audit_context=audit)
    )


@router.post(
    "/cases/{case_id}/claim", response_model=ReviewCaseRead, summary="Claim a case",
    responses=_ACTION_ERRORS,
)  # fmt: skip
async def claim(
    case_id: CaseId, clerk: Clerk, session: SessionDep, settings: SettingsDep,
    audit: AuditContextDep,
) -> ReviewCaseRead:  # fmt: skip
    """Take a waiting case: one clerk at a time, for QE_REVIEW_CLAIM_MINUTES (409 while another
    clerk holds it). The answer has the case's ID, phone and account numbers masked, as every
    answer of the actions here has: the case's own page shows them."""
    return await applications.claim_case(session, settings, clerk, case_id, audit_context=audit)


@router.post(
    "/cases/{case_id}/approve", response_model=ReviewCaseRead, summary="Approve a case",
    responses=error_responses(
        ApplicationNotFound, StatusConflict, NothingToRenew, AmountRequired, OutcomeUnavailable
    ),
)  # fmt: skip
async def approve(
    case_id: CaseId, data: ReviewDecision, clerk: Clerk, session: SessionDep,
    settings: SettingsDep, audit: AuditContextDep,
) -> ReviewCaseRead:  # fmt: skip
    """Approve a claimed case; the approval's outcome runs (e.g. the license is issued). A
    withdrawal is paid once per entitlement to the card on the fund centre's record: the amount
    the rules computed, or the `amount` the clerk states (required when the rules could not
    compute one); 409 when the same entitlement was granted to another case meanwhile."""
    return await applications.decide_case(
        session, settings, clerk, case_id, Status.APPROVED, note=data.note, amount=data.amount,
        audit_context=audit,
    )  # fmt: skip


@router.post(
    "/cases/{case_id}/reject", response_model=ReviewCaseRead, summary="Reject a case",
    responses=_ACTION_ERRORS,
)  # fmt: skip
async def reject(
    case_id: CaseId, data: Rejection, clerk: Clerk, session: SessionDep,
    settings: SettingsDep, audit: AuditContextDep,
) -> ReviewCaseRead:  # fmt: skip
    """Reject a claimed case; the reason is required and shown to the applicant."""
    return await applications.decide_case(
        session, settings, clerk, case_id, Status.REJECTED, note=data.reason, audit_context=audit
    )


@router.post(
    "/cases/{case_id}/request-supplement", response_model=ReviewCaseRead,
    summary="Ask the applicant for more", responses=_ACTION_ERRORS,
)  # fmt: skip
async def request_supplement(
    case_id: CaseId, data: SupplementRequest, clerk: Clerk, session: SessionDep,
    settings: SettingsDep, audit: AuditContextDep,
) -> ReviewCaseRead:  # fmt: skip
    """Ask for a supplement (补正): the items are shown to the applicant, who answers with
    `POST /api/v1/applications/{id}/supplement`."""
    note = "；".join(item.strip() for item in data.items if item.strip())
    return await applications.decide_case(
        session, settings, clerk, case_id, Status.SUPPLEMENT_REQUESTED, note=note,
        audit_context=audit,
    )  # fmt: skip
