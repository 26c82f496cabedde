"""HTTP endpoints of bundles (一件事一次办): the merged form, filing, confirming, the case with
every step, and the clerks' queue of steps. A case is 404 to anyone but its parties."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import AUTH_ERRORS, CITIZEN_AUTH_ERRORS, CitizenApiPrincipal
from app.auth.errors import RealnameLevelRequired
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep
from app.errors import error_responses
from app.idempotency.middleware import IDEMPOTENCY_KEY_DOC
from app.services.bundles import service as bundles
from app.services.bundles.dependencies import BundleCode, CaseId, Clerk
from app.services.bundles.errors import (
    BundleNotFound,
    CaseNotFound,
    ConfirmationClosed,
    ConfirmationExpired,
    InvalidBundleForm,
    NotAParty,
    StepNotFound,
    StepStatusConflict,
)
from app.services.bundles.schemas import (
    BundleApplicationCreate,
    BundleCaseRead,
    BundlePrefillRead,
    ClerkDecision,
    ClerkStepRead,
)

router = APIRouter(
    prefix=f"{API_V1}/bundles", tags=["bundles"], responses=error_responses(*CITIZEN_AUTH_ERRORS)
)
review_router = APIRouter(
    prefix=f"{API_V1}/review/bundle-steps", tags=["review"], responses=error_responses(*AUTH_ERRORS)
)
_PARTY_ERRORS = (NotAParty, RealnameLevelRequired)


@router.get(
    "/applications/{case_id}",
    response_model=BundleCaseRead,
    status_code=200,
    summary="Get a bundle case",
    responses=error_responses(*CITIZEN_AUTH_ERRORS, *_PARTY_ERRORS, CaseNotFound),
)
async def get_case(
    case_id: CaseId, principal: CitizenApiPrincipal, session: SessionDep, settings: SettingsDep
) -> BundleCaseRead:
    """A bundle case with every party (confirmed or not) and every step: its status, the
    department carrying it out, its deadline and its outcome. Shown to every party (a party
    named but not yet confirmed included); 404 to anyone else."""
    return await bundles.get(session, settings, principal, case_id)


@router.post(
    "/applications/{case_id}/confirm",
    response_model=BundleCaseRead,
    status_code=200,
    summary="Confirm a bundle case as a party",
    responses=error_responses(
        *CITIZEN_AUTH_ERRORS, *_PARTY_ERRORS, CaseNotFound, ConfirmationClosed, ConfirmationExpired
    ),
)
async def confirm_case(
    case_id: CaseId,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> BundleCaseRead:
    """Confirm (co-sign) a case the caller is named in. The role is the caller's own, known
    by their verified identity, never chosen in the request: nobody confirms for another. The
    caller's verified name and phone fill the form's fields about them; the last confirmation
    starts the steps. Confirming again answers the case as it is; 409 past the time to confirm
    (the case lapses) or once the case is over."""
    return await bundles.confirm(session, settings, principal, case_id, audit_context=audit)


@router.get(
    "/{code}/prefill",
    response_model=BundlePrefillRead,
    status_code=200,
    summary="Get a bundle's merged form, prefilled",
    responses=error_responses(*CITIZEN_AUTH_ERRORS, *_PARTY_ERRORS, BundleNotFound),
)
async def get_prefill(
    code: BundleCode, principal: CitizenApiPrincipal, session: SessionDep, settings: SettingsDep
) -> BundlePrefillRead:
    """The bundle's one form, each field asked once across its steps, filled for the
    initiator as single services are (verified identity locked, department data with its
    source and time, choices among verified options); the other parties' own data is filled
    when they confirm. Lists the parties and the steps with their dependencies."""
    return await bundles.prefill(session, settings, principal, code)


@router.post(
    "/{code}/applications",
    openapi_extra=IDEMPOTENCY_KEY_DOC,
    response_model=BundleCaseRead,
    status_code=status.HTTP_201_CREATED,
    summary="File a bundle",
    responses=error_responses(
        *CITIZEN_AUTH_ERRORS, *_PARTY_ERRORS, BundleNotFound, InvalidBundleForm
    ),
)
async def file_bundle(
    code: BundleCode,
    data: BundleApplicationCreate,
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> BundleCaseRead:
    """File a bundle as its initiator with the merged form; the other parties it names are
    asked to confirm in their own app before anything is sent to a department. Send an
    `Idempotency-Key`: a retry returns the first answer and never files a second case."""
    return await bundles.file(session, settings, principal, code, data, audit_context=audit)


@review_router.get(
    "",
    response_model=list[ClerkStepRead],
    status_code=200,
    summary="The department's bundle steps",
)
async def step_queue(
    clerk: Clerk,
    session: SessionDep,
    step_status: Annotated[
        Literal["with_clerk", "retrying", "queued", "done", "rejected"], Query(alias="status")
    ] = "with_clerk",
    limit: Annotated[int, Query(ge=1, le=100)] = 50,
) -> list[ClerkStepRead]:
    """Steps of bundle cases carried out by the clerk's department, oldest first; by default
    those waiting for a clerk (a system that kept failing, with its error, or a registration
    the verified data did not carry)."""
    return await bundles.clerk_queue(session, clerk, status=step_status, limit=limit)


@review_router.post(
    "/{step_id}/decision",
    response_model=ClerkStepRead,
    status_code=200,
    summary="Decide a bundle step",
    responses=error_responses(StepNotFound, StepStatusConflict),
)
async def decide_step(
    step_id: Annotated[uuid.UUID, Path(description="The step's id")],
    decision: ClerkDecision,
    clerk: Clerk,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> ClerkStepRead:
    """A clerk's word on a step waiting for them: `retry` (send it to the department's system
    again), `approve` (a registration's certificate is issued; another step the clerk carried
    out), `reject` (nothing depending on it starts). 404 for another department's step."""
    return await bundles.clerk_decide(
        session, settings, clerk, step_id, decision, audit_context=audit
    )
