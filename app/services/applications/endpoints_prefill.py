"""HTTP endpoint of prefill: a service's form filled from verified identity, department data
and the e-license registry, each value with its source and time (DESIGN §5)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from app.auth.dependencies import CITIZEN_AUTH_ERRORS, CitizenApiPrincipal
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep
from app.errors import error_responses
from app.services.applications import prefill as prefills
from app.services.applications.errors import NotAnApplicant
from app.services.applications.schemas_prefill import PrefillRead
from app.services.catalog.errors import ServiceNotFound

router = APIRouter(
    prefix=API_V1, tags=["applications"], responses=error_responses(*CITIZEN_AUTH_ERRORS)
)


@router.get(
    "/services/{code}/prefill",
    response_model=PrefillRead,
    status_code=200,
    summary="Get a service's form, prefilled",
    responses=error_responses(*CITIZEN_AUTH_ERRORS, NotAnApplicant, ServiceNotFound),
)
async def get_prefill(
    code: Annotated[str, Path(max_length=100, description="The service's code")],
    principal: CitizenApiPrincipal,
    session: SessionDep,
    settings: SettingsDep,
) -> PrefillRead:
    """The service's form as the platform can fill it for the signed-in applicant (or the
    enterprise they act for): every field with its value, where the value came from, when, and
    whether the applicant may change it. Government-verified fields (name, ID number, the
    account's phone, the enterprise's credit code) are locked: a submission that changes one is
    refused. Fields read from department data (the housing-fund account, the enterprise's
    registration) are editable; reading them is logged in the citizen's data-access log under
    `application:<code>`. A material is `satisfied_by` a valid license in the registry, or
    `null` when it is to be uploaded."""
    return await prefills.prefill(session, settings, principal, code)
