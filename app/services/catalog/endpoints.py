"""HTTP endpoints of the service catalog: departments, districts, services, bundles."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from app.auth.errors import InvalidToken
from app.config import API_V1
from app.dependencies import OptionalPrincipalDep, SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.kit.pagination import Page
from app.services.catalog import service as catalog
from app.services.catalog.errors import (
    BundleNotFound,
    ServiceNotFound,
    UnknownDepartment,
    UnknownDistrict,
)
from app.services.catalog.schemas import (
    ApprovalMode,
    BundleRead,
    BundleRef,
    CatalogSummary,
    DepartmentRead,
    DistrictRead,
    ServiceDetail,
    ServicePage,
)

router = APIRouter(prefix=API_V1, tags=["catalog"])

ServiceCode = Annotated[str, Path(max_length=100, examples=["gjj.withdraw.rent"])]


@router.get(
    "/departments",
    response_model=Page[DepartmentRead],
    status_code=200,
    summary="List departments",
    responses=error_responses(),
)
async def list_departments(session: SessionDep) -> Page[DepartmentRead]:
    """Every department and body that offers services, ordered by code, with its service count.

    The list is short and complete, so `next_cursor` is always null.
    """
    return await catalog.list_departments(session)


@router.get(
    "/districts",
    response_model=Page[DistrictRead],
    status_code=200,
    summary="List districts",
    responses=error_responses(),
)
async def list_districts(session: SessionDep) -> Page[DistrictRead]:
    """The ten districts of Qingdao (GB/T 2260 codes), with their district-level service counts.

    The list is complete, so `next_cursor` is always null.
    """
    return await catalog.list_districts(session)


@router.get(
    "/services",
    response_model=ServicePage,
    status_code=200,
    summary="Search services",
    responses=error_responses(InvalidCursor, UnknownDepartment, UnknownDistrict, InvalidToken),
)
async def search_services(
    session: SessionDep,
    settings: SettingsDep,
    caller: OptionalPrincipalDep,
    q: Annotated[
        str | None,
        Query(
            max_length=50,
            description="Search over names, aliases (also as pinyin and initials: "
            "`gongjijin`, `gjj`) and keywords; whitespace-separated terms must all match, "
            "each as typed or as one of its synonyms",
            examples=["公积金 提取"],
        ),
    ] = None,
    department: Annotated[
        str | None, Query(max_length=32, description="Department code", examples=["gjj"])
    ] = None,
    district: Annotated[
        str | None,
        Query(
            max_length=6,
            description="District code: a service each district handles is shown as this "
            "district's copy",
            examples=["370211"],
        ),
    ] = None,
    mode: Annotated[ApprovalMode | None, Query(description="Approval mode")] = None,
    cursor: Annotated[str | None, Query(max_length=1024)] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> ServicePage:
    """Search the service catalog (事项清单).

    Results come best match first: the exact name; then every term as typed in the title (the
    name or an alias, or their pinyin or initials: `gongjijin` and `gjj` find 公积金); then
    every term in the title counting synonyms (取公积金 finds 提取, 户口 finds 落户); then
    services matched by a keyword alone. Within a level, the city's high-frequency services
    (高频事项) come first in their list's order, then the services most applied for on the
    platform, then by code. `%` and `_` in `q` are ordinary characters.

    A service that each district handles too is **one** result: its `district_copies` list
    every district's own code. The result is that `district`'s copy when one is given, else,
    for a signed-in citizen (a bearer token is optional here) whose client may act for them
    (the platform's app, or a client granted `citizen`), the copy of the district they live
    in (their residence on record at public security, read under the purpose
    `citizen-self-service` and shown in their data-access log), else the city-wide item.

    An unknown department or district code is answered with 422
    (`catalog.unknown_department`, `catalog.unknown_district`) rather than an empty list.
    `total` counts the matches over all pages; `next_cursor` fetches the next page of the same
    query (a cursor used with other filters is rejected with 422).
    """
    home = None
    if district is None and caller is not None:
        home = await catalog.residence_district(session, settings, caller)
    return await catalog.search_services(
        session,
        q=q,
        department=department,
        district=district,
        home_district=home,
        mode=mode,
        cursor=cursor,
        limit=limit,
    )


@router.get(
    "/services/{code}",
    response_model=ServiceDetail,
    status_code=200,
    summary="Get a service",
    responses=error_responses(ServiceNotFound),
)
async def get_service(session: SessionDep, code: ServiceCode) -> ServiceDetail:
    """A service item with its materials, form schema, approval mode, time limit, the
    e-license it produces and the bundles it belongs to."""
    return await catalog.get_service(session, code)


@router.get(
    "/bundles",
    response_model=Page[BundleRef],
    status_code=200,
    summary="List bundles",
    responses=error_responses(),
)
async def list_bundles(session: SessionDep) -> Page[BundleRef]:
    """Every bundle of linked services (一件事一次办); the list is complete (`next_cursor` null)."""
    return await catalog.list_bundles(session)


@router.get(
    "/bundles/{code}",
    response_model=BundleRead,
    status_code=200,
    summary="Get a bundle",
    responses=error_responses(BundleNotFound),
)
async def get_bundle(
    session: SessionDep,
    code: Annotated[str, Path(max_length=100, examples=["house-transfer"])],
) -> BundleRead:
    """A bundle, e.g. the second-hand house transfer with its utility transfers, and its
    ordered steps."""
    return await catalog.get_bundle(session, code)


@router.get(
    "/catalog/summary",
    response_model=CatalogSummary,
    status_code=200,
    summary="Catalog summary",
    responses=error_responses(),
)
async def get_catalog_summary(session: SessionDep) -> CatalogSummary:
    """How many departments, districts, services (by approval mode), bundles and license types
    the platform has."""
    return await catalog.summary(session)
