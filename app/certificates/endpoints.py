"""HTTP endpoints of the e-license types (the licenses are in endpoints_licenses.py)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.certificates import service as certificates
from app.certificates.dependencies import IssuerFilter
from app.certificates.errors import LicenseTypeNotFound
from app.certificates.schemas import LicenseTypeRead
from app.config import API_V1
from app.dependencies import SessionDep
from app.errors import InvalidCursor, error_responses
from app.kit.pagination import Page
from app.services.catalog.errors import UnknownDepartment

router = APIRouter(prefix=API_V1, tags=["certificates"])


@router.get(
    "/license-types",
    response_model=Page[LicenseTypeRead],
    status_code=200,
    summary="List license types",
    responses=error_responses(InvalidCursor, UnknownDepartment),
)
async def list_license_types(
    session: SessionDep,
    issuer: IssuerFilter,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Page[LicenseTypeRead]:
    """The e-license types (电子证照类型) the registry knows, ordered by code.

    `issuer` keeps the types one department issues; an unknown department code is answered
    with 422 (`catalog.unknown_department`).
    """
    return await certificates.list_license_types(session, issuer=issuer, cursor=cursor, limit=limit)


@router.get(
    "/license-types/{code}",
    response_model=LicenseTypeRead,
    status_code=200,
    summary="Get a license type",
    responses=error_responses(LicenseTypeNotFound),
)
async def get_license_type(
    session: SessionDep,
    code: Annotated[str, Path(max_length=64, examples=["business-license"])],
) -> LicenseTypeRead:
    """One license type with its issuer, holder kind, validity and fields."""
    return await certificates.get_license_type(session, code)
