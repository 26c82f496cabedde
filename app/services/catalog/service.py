"""The service catalog's logic; other domains call only this module."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import database_of
from app.errors import InvalidCursor, InvalidInput
from app.kit import pagination
from app.kit.crypto import sha256_hex
from app.kit.pagination import Page
from app.reference import license_types
from app.reference.license_types import LicenseTypeRef
from app.services.catalog import repository
from app.services.catalog.errors import (
    BundleNotFound,
    ServiceNotFound,
    UnknownDepartment,
    UnknownDistrict,
)
from app.services.catalog.repository import (
    LEVEL_EXACT,
    LEVEL_TEXT,
    AnyRow,
    Keyset,
    ServiceFilter,
)
from app.services.catalog.schemas import (
    BundleMembership,
    BundleRead,
    BundleRef,
    BundleStepRead,
    CatalogSummary,
    DepartmentRead,
    DepartmentRef,
    DistrictCopy,
    DistrictRead,
    DistrictRef,
    MaterialRead,
    ServiceDetail,
    ServicePage,
    ServiceSummary,
)
from app.services.catalog.search_terms import alternatives

MODES = ("auto", "instant", "manual")

# Where a signed-in caller lives (a district code, or None): told by the applications domain,
# which reads citizens' records on their behalf. Registered rather than imported, because the
# applications import the catalog; the caller is opaque here for the same reason.
ResidenceLookup = Callable[[AsyncSession, Settings, object], Awaitable[str | None]]
_residence_lookups: list[ResidenceLookup] = []


def register_residence_lookup(lookup: ResidenceLookup) -> None:
    """Name the function that finds where a signed-in caller lives (app.tasks imports it)."""
    _residence_lookups[:] = [lookup]


async def residence_district(
    session: AsyncSession, settings: Settings, caller: object
) -> str | None:
    """The district a signed-in caller lives in, when it is known (see ResidenceLookup)."""
    if not _residence_lookups:
        return None
    return await _residence_lookups[0](session, settings, caller)


async def list_departments(session: AsyncSession) -> Page[DepartmentRead]:
    """Every department, ordered by code, with how many services it offers."""
    rows = await repository.departments_with_counts(session)
    return Page[DepartmentRead](items=[DepartmentRead.model_validate(row._mapping) for row in rows])


async def list_districts(session: AsyncSession) -> Page[DistrictRead]:
    """The ten districts, ordered by code, with how many district-level services each has."""
    rows = await repository.districts_with_counts(session)
    return Page[DistrictRead](items=[DistrictRead.model_validate(row._mapping) for row in rows])


async def require_department(session: AsyncSession, code: str, *, param: str) -> None:
    """Raise UnknownDepartment (naming the request parameter) unless the department exists."""
    if not await repository.department_exists(session, code):
        raise UnknownDepartment(
            f"部门代码 {code} 不存在",
            f"there is no department with code {code!r}",
            extra={"invalid_params": [{"name": param, "reason": "unknown department code"}]},
        )


async def department_uscc(session: AsyncSession, code: str) -> str | None:
    """The unified social credit code of a department (None when it has none)."""
    return await repository.department_uscc(session, code)


async def department_name(session: AsyncSession, code: str) -> str | None:
    """The name of a department (None when there is no such department)."""
    return await repository.department_name(session, code)


async def department_names(session: AsyncSession) -> dict[str, str]:
    """Every department's name, by code."""
    return await repository.department_names(session)


async def require_district(session: AsyncSession, code: str, *, param: str) -> None:
    """Raise UnknownDistrict (naming the request parameter) unless the district exists."""
    if not await repository.district_exists(session, code):
        raise UnknownDistrict(
            f"区（市）代码 {code} 不存在",
            f"there is no district with code {code!r}",
            extra={"invalid_params": [{"name": param, "reason": "unknown district code"}]},
        )


def _fingerprint(criteria: ServiceFilter) -> str:
    """Ties a cursor to the query it was made for, so it cannot be replayed on another one."""
    parts = [*criteria.terms, "|", criteria.department, criteria.district, criteria.mode]
    return sha256_hex(repr(parts).encode("utf-8"))[:12]


def _decode_keyset(cursor: str, criteria: ServiceFilter) -> Keyset:
    try:
        fingerprint, level, frequency, minus_filed, code = pagination.decode_cursor(cursor, arity=5)
    except pagination.InvalidCursor as exc:
        raise InvalidCursor("分页游标无效", "the cursor is malformed") from exc
    if (
        fingerprint != _fingerprint(criteria)
        or not isinstance(level, int)
        or not LEVEL_EXACT <= level <= LEVEL_TEXT
        or not isinstance(frequency, int)
        or not isinstance(minus_filed, int)
        or not isinstance(code, str)
    ):
        raise InvalidCursor("分页游标与查询条件不符", "the cursor does not belong to this query")
    return level, frequency, minus_filed, code


async def search_services(
    session: AsyncSession,
    *,
    q: str | None = None,
    department: str | None = None,
    district: str | None = None,
    home_district: str | None = None,
    mode: str | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> ServicePage:
    """Search the catalog: every whitespace-separated term of `q` (or one of its synonyms) must
    occur in the name, an alias, their pinyin or initials, or a keyword. Results come best match
    first: the exact name, every term as typed in the title, every term in the title counting
    synonyms, keywords only; then high-frequency services in the list's order; then the
    services most applied for; then by code.

    A service handled by each district is one result: the copy of `district` (else of
    `home_district`, the applicant's) when there is one, else the city-wide item, listing its
    district copies either way."""
    if mode is not None and mode not in MODES:
        raise InvalidInput(
            f"审批方式 {mode} 不存在",
            f"unknown approval mode {mode!r}",
            extra={"invalid_params": [{"name": "query.mode", "reason": "unknown approval mode"}]},
        )
    if district is not None:
        # Checked up front: an unknown district would still match the city-wide services.
        await require_district(session, district, param="query.district")
    criteria = ServiceFilter(
        terms=tuple(alternatives(term) for term in q.lower().split()) if q else (),
        department=department,
        district=district or home_district,
        mode=mode,
    )
    after = _decode_keyset(cursor, criteria) if cursor is not None else None
    found = await repository.search_services(session, criteria, after=after, limit=limit + 1)
    total = found.total
    if total is None:
        total = await repository.count_services(session, criteria)
    if total == 0 and department is not None:
        # An unknown department matches nothing, so only an empty result needs its code
        # checked; the common case saves the look-up.
        await require_department(session, department, param="query.department")
    page = found.rows[:limit]
    licenses = _license_refs(page)
    copies = await _district_copies(session, [row.code for row in page])
    next_cursor = None
    if len(found.rows) > limit:
        last = page[-1]
        keyset = [last.level, last.frequency_rank, last.minus_filed, last.code]
        next_cursor = pagination.encode_cursor([_fingerprint(criteria), *keyset])
    return ServicePage(
        items=[
            _summary(row, licenses, copies.get(row.code, []), criteria.district) for row in page
        ],
        next_cursor=next_cursor,
        total=total,
    )


async def _district_copies(
    session: AsyncSession, families: list[str]
) -> dict[str, list[DistrictCopy]]:
    copies: dict[str, list[DistrictCopy]] = {}
    for row in await repository.district_copies(session, families):
        district = DistrictRef.model_construct(
            code=row.district_code, name=row.district_name, name_en=row.district_name_en
        )
        copies.setdefault(row.family_code, []).append(
            DistrictCopy.model_construct(code=row.code, district=district)
        )
    return copies


async def record_popularity(session: AsyncSession, filed: dict[str, int]) -> int:
    """Store the applications filed per service (district copies count for their family) as
    the search's tiebreak; returns how many families have been applied for."""
    families = await repository.family_of(session, filed)
    by_family: dict[str, int] = {}
    for code, count in filed.items():
        family = families.get(code)
        if family is not None:
            by_family[family] = by_family.get(family, 0) + count
    return await repository.set_popularity(session, by_family)


async def get_service(session: AsyncSession, code: str) -> ServiceDetail:
    """Everything about one service; ServiceNotFound when the code is unknown."""
    row = await repository.get_service(session, code)
    if row is None:
        raise ServiceNotFound(f"服务事项 {code} 不存在", f"there is no service {code!r}")
    service, content = row.Service, row.ServiceContent
    licenses = license_types.refs([service.produces_license] if service.produces_license else [])
    memberships = await repository.bundles_of_service(session, code)
    copies = await _district_copies(session, [service.family_code])
    return ServiceDetail(
        code=service.code,
        name=service.name,
        name_en=service.name_en,
        department=DepartmentRef(
            code=service.department_code, name=row.department_name, name_en=row.department_name_en
        ),
        district=_district(service.district_code, row.district_name, row.district_name_en),
        mode=service.mode,
        time_limit_days=service.time_limit_days,
        realname_level=service.realname_level,
        produces_license=licenses.get(service.produces_license or ""),
        district_copies=copies.get(service.family_code, []),
        category=service.category,
        audience=service.audience,
        aliases=content.aliases,
        keywords=content.keywords,
        description=content.description,
        materials=[MaterialRead.model_validate(material) for material in content.materials],
        form_schema=content.form_schema,
        bundles=[BundleMembership.model_validate(m._mapping) for m in memberships],
    )


# Applications read their service on every submission; services change only when the catalog
# is re-seeded, so a minute's staleness is harmless.
_SERVICE_TTL_SECONDS = 60.0
_services: dict[tuple[str, str], tuple[float, ServiceDetail]] = {}


async def cached_service(session: AsyncSession, code: str) -> ServiceDetail:
    """`get_service`, kept in-process for a minute per database."""
    key = (database_of(session), code)
    now = time.monotonic()
    found = _services.get(key)
    if found is None or found[0] < now:
        found = _services[key] = (now + _SERVICE_TTL_SECONDS, await get_service(session, code))
    return found[1]


async def list_bundles(session: AsyncSession) -> Page[BundleRef]:
    """Every bundle (一件事一次办), ordered by code."""
    rows = await repository.bundles_with_step_counts(session)
    return Page[BundleRef](items=[BundleRef.model_validate(row._mapping) for row in rows])


async def get_bundle(session: AsyncSession, code: str) -> BundleRead:
    """A bundle with its ordered steps; BundleNotFound when the code is unknown."""
    bundle = await repository.get_bundle(session, code)
    if bundle is None:
        raise BundleNotFound(f"联办事项 {code} 不存在", f"there is no bundle {code!r}")
    steps = await repository.bundle_steps(session, code)
    licenses = _license_refs(steps)
    return BundleRead(
        code=bundle.code,
        name=bundle.name,
        name_en=bundle.name_en,
        description=bundle.description,
        step_count=len(steps),
        steps=[
            BundleStepRead(position=step.position, unit=step.unit, service=_summary(step, licenses))
            for step in steps
        ],
    )


async def summary(session: AsyncSession) -> CatalogSummary:
    """Counts of departments, districts, services (by approval mode), bundles, license types."""
    counts = await repository.counts(session)
    by_mode = await repository.services_by_mode(session)
    return CatalogSummary(
        departments=counts["departments"],
        districts=counts["districts"],
        services=sum(by_mode.values()),
        distinct_services=counts["families"],
        services_by_mode={mode: by_mode.get(mode, 0) for mode in MODES},
        bundles=counts["bundles"],
        license_types=len(license_types.license_types()),
    )


def _license_refs(rows: Iterable[AnyRow]) -> dict[str, LicenseTypeRef]:
    # From the reference data, not the registry: the catalog does not import the certificates.
    return license_types.refs({row.produces_license for row in rows if row.produces_license})


def _district(code: str | None, name: str | None, name_en: str | None) -> DistrictRef | None:
    if code is None or name is None or name_en is None:
        return None
    return DistrictRef(code=code, name=name, name_en=name_en)


def _summary(
    row: AnyRow,
    licenses: dict[str, LicenseTypeRef],
    copies: list[DistrictCopy] | None = None,
    district: str | None = None,
) -> ServiceSummary:
    # Built without validation: the row's types are the columns' and FastAPI validates the
    # response once more anyway; validating here too costs a search page about a millisecond.
    copies = copies or []
    code, district_ref = row.code, None
    if row.district_code is not None:
        district_ref = DistrictRef.model_construct(
            code=row.district_code, name=row.district_name, name_en=row.district_name_en
        )
    chosen = next((copy for copy in copies if copy.district.code == district), None)
    if chosen is not None:
        code, district_ref = chosen.code, chosen.district
    return ServiceSummary.model_construct(
        code=code,
        name=row.name,
        name_en=row.name_en,
        department=DepartmentRef.model_construct(
            code=row.department_code, name=row.department_name, name_en=row.department_name_en
        ),
        district=district_ref,
        district_copies=copies,
        mode=row.mode,
        time_limit_days=row.time_limit_days,
        realname_level=row.realname_level,
        produces_license=licenses.get(row.produces_license or ""),
    )
