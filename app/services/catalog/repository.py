"""Every query of the service catalog."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, TypeAlias, TypeVarTuple

from sqlalchemy import (
    ColumnElement,
    Integer,
    Row,
    Select,
    and_,
    case,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.services.catalog.models import (
    Bundle,
    BundleStep,
    Department,
    District,
    Service,
    ServiceContent,
)

AnyRow: TypeAlias = Row[*tuple[Any, ...]]
_Ts = TypeVarTuple("_Ts")

# Relevance ranks, best first; the rank is also the first half of the search keyset.
RANK_EXACT, RANK_PREFIX, RANK_NAME, RANK_OTHER = 0, 1, 2, 3


@dataclass(frozen=True)
class ServiceFilter:
    """What a search asks for; `terms` are lower-cased and must all occur."""

    terms: tuple[str, ...] = ()
    department: str | None = None
    district: str | None = None
    mode: str | None = None


# The columns of a service summary: the service, its department and its district, one query.
_SUMMARY_COLUMNS = (
    Service.code,
    Service.name,
    Service.name_en,
    Service.department_code,
    Department.name.label("department_name"),
    Department.name_en.label("department_name_en"),
    Service.district_code,
    District.name.label("district_name"),
    District.name_en.label("district_name_en"),
    Service.mode,
    Service.time_limit_days,
    Service.realname_level,
    Service.produces_license,
)


def _with_names(query: Select[*_Ts]) -> Select[*_Ts]:
    return (
        query.select_from(Service)
        .join(Department, Department.code == Service.department_code)
        .outerjoin(District, District.code == Service.district_code)
    )


def _contains(
    column: ColumnElement[str] | InstrumentedAttribute[str], term: str, dialect: str
) -> ColumnElement[bool]:
    """`term` occurs in `column` as plain text: `%` and `_` typed by a user are no wildcards."""
    # instr()/strpos() look for the literal text and scan about 20-50% faster than LIKE.
    position = func.instr if dialect == "sqlite" else func.strpos
    return position(column, term) > 0


def _rank(terms: tuple[str, ...], dialect: str) -> ColumnElement[int]:
    """Exact name, then name prefix, then name substring, then alias or keyword only."""
    name = func.lower(Service.name)
    in_name = [_contains(name, term, dialect) for term in terms]
    return case(
        (name == " ".join(terms), _constant(RANK_EXACT)),
        (and_(name.startswith(terms[0], autoescape=True), *in_name[1:]), _constant(RANK_PREFIX)),
        (and_(*in_name), _constant(RANK_NAME)),
        else_=_constant(RANK_OTHER),
    )


def _constant(rank: int) -> ColumnElement[int]:
    # Inline SQL integers rather than bound parameters, so every dialect types the CASE as int.
    return literal_column(str(rank), Integer)


def _conditions(criteria: ServiceFilter, dialect: str) -> list[ColumnElement[bool]]:
    conditions = [_contains(Service.search_text, term, dialect) for term in criteria.terms]
    if criteria.department is not None:
        conditions.append(Service.department_code == criteria.department)
    if criteria.district is not None:
        conditions.append(
            or_(Service.district_code == criteria.district, Service.district_code.is_(None))
        )
    if criteria.mode is not None:
        conditions.append(Service.mode == criteria.mode)
    return conditions


@dataclass(frozen=True)
class SearchPage:
    """Summary rows (each with its `rank`) and, when one query could tell, the total."""

    rows: Sequence[AnyRow]
    total: int | None


async def search_services(
    session: AsyncSession, criteria: ServiceFilter, *, after: tuple[int, str] | None, limit: int
) -> SearchPage:
    """Matching service summaries ordered by (rank, code), after the keyset `after`."""
    if not criteria.terms:
        return SearchPage(await _list_services(session, criteria, after, limit), None)
    # One scan of the text computes the matches, their ranks and their number (a window count
    # over every match, before the keyset narrows them); names are joined to the page alone.
    dialect = session.get_bind().dialect.name
    rank = _rank(criteria.terms, dialect).label("rank")
    matches = (
        select(Service.code, rank, func.count().over().label("total"))
        .where(*_conditions(criteria, dialect))
        .subquery("matches")
    )
    page = select(matches)
    if after is not None:
        after_rank, after_code = after
        page = page.where(
            or_(
                matches.c.rank > after_rank,
                and_(matches.c.rank == after_rank, matches.c.code > after_code),
            )
        )
    ranked = page.order_by(matches.c.rank, matches.c.code).limit(limit).subquery("page")
    query = (
        _with_names(select(*_SUMMARY_COLUMNS, ranked.c.rank, ranked.c.total))
        .join(ranked, ranked.c.code == Service.code)
        .order_by(ranked.c.rank, ranked.c.code)
    )
    rows = (await session.execute(query)).all()
    if rows:
        return SearchPage(rows, rows[0].total)
    # An empty first page means no match at all; past a cursor the total is unknown here.
    return SearchPage(rows, 0 if after is None else None)


async def _list_services(
    session: AsyncSession, criteria: ServiceFilter, after: tuple[int, str] | None, limit: int
) -> Sequence[AnyRow]:
    """Without search terms every match ranks alike: code order, which the primary key gives."""
    conditions = _conditions(criteria, session.get_bind().dialect.name)
    if after is not None:
        conditions.append(Service.code > after[1])
    query = (
        _with_names(select(*_SUMMARY_COLUMNS, _constant(RANK_EXACT).label("rank")))
        .where(*conditions)
        .order_by(Service.code)
        .limit(limit)
    )
    return (await session.execute(query)).all()


async def count_services(session: AsyncSession, criteria: ServiceFilter) -> int:
    """How many services match, over all pages."""
    conditions = _conditions(criteria, session.get_bind().dialect.name)
    query = select(func.count()).select_from(Service).where(*conditions)
    return int(await session.scalar(query) or 0)


async def get_service(session: AsyncSession, code: str) -> AnyRow | None:
    """A service, its content, and its department's and district's names."""
    query = (
        _with_names(
            select(
                Service,
                ServiceContent,
                Department.name.label("department_name"),
                Department.name_en.label("department_name_en"),
                District.name.label("district_name"),
                District.name_en.label("district_name_en"),
            )
        )
        .join(ServiceContent, ServiceContent.service_code == Service.code)
        .where(Service.code == code)
    )
    return (await session.execute(query)).first()


async def bundles_of_service(session: AsyncSession, code: str) -> Sequence[AnyRow]:
    """The bundles a service is a step of, with its position in each."""
    query = (
        select(Bundle.code, Bundle.name, Bundle.name_en, BundleStep.position)
        .join(BundleStep, BundleStep.bundle_code == Bundle.code)
        .where(BundleStep.service_code == code)
        .order_by(Bundle.code, BundleStep.position)
    )
    return (await session.execute(query)).all()


async def department_exists(session: AsyncSession, code: str) -> bool:
    """Whether a department has this code."""
    query = select(Department.code).where(Department.code == code)
    return await session.scalar(query) is not None


async def department_uscc(session: AsyncSession, code: str) -> str | None:
    """A department's unified social credit code (None: unknown department or no code)."""
    return await session.scalar(select(Department.uscc).where(Department.code == code))


async def department_name(session: AsyncSession, code: str) -> str | None:
    """A department's name (None: unknown department)."""
    return await session.scalar(select(Department.name).where(Department.code == code))


async def department_names(session: AsyncSession) -> dict[str, str]:
    """Every department's name, by code."""
    rows = await session.execute(select(Department.code, Department.name))
    return {row.code: row.name for row in rows}


async def district_exists(session: AsyncSession, code: str) -> bool:
    """Whether a district has this code."""
    return await session.scalar(select(District.code).where(District.code == code)) is not None


async def departments_with_counts(session: AsyncSession) -> Sequence[AnyRow]:
    """Every department by code, with `service_count`."""
    count = func.count(Service.code).label("service_count")
    columns = (Department.code, Department.name, Department.name_en, Department.kind)
    query = (
        select(*columns, count)
        .outerjoin(Service, Service.department_code == Department.code)
        .group_by(*columns)
        .order_by(Department.code)
    )
    return (await session.execute(query)).all()


async def districts_with_counts(session: AsyncSession) -> Sequence[AnyRow]:
    """Every district by code, with the `service_count` of its own (not city-wide) services."""
    count = func.count(Service.code).label("service_count")
    columns = (District.code, District.name, District.name_en)
    query = (
        select(*columns, count)
        .outerjoin(Service, Service.district_code == District.code)
        .group_by(*columns)
        .order_by(District.code)
    )
    return (await session.execute(query)).all()


async def get_bundle(session: AsyncSession, code: str) -> Bundle | None:
    """One bundle by code."""
    return await session.get(Bundle, code)


async def bundles_with_step_counts(session: AsyncSession) -> Sequence[AnyRow]:
    """Every bundle by code, with `step_count`."""
    count = func.count(BundleStep.position).label("step_count")
    columns = (Bundle.code, Bundle.name, Bundle.name_en, Bundle.description)
    query = (
        select(*columns, count)
        .outerjoin(BundleStep, BundleStep.bundle_code == Bundle.code)
        .group_by(*columns)
        .order_by(Bundle.code)
    )
    return (await session.execute(query)).all()


async def bundle_steps(session: AsyncSession, code: str) -> Sequence[AnyRow]:
    """The steps of a bundle in order, each with its service summary."""
    query = (
        _with_names(select(BundleStep.position, BundleStep.unit, *_SUMMARY_COLUMNS))
        .join(BundleStep, BundleStep.service_code == Service.code)
        .where(BundleStep.bundle_code == code)
        .order_by(BundleStep.position)
    )
    return (await session.execute(query)).all()


async def counts(session: AsyncSession) -> dict[str, int]:
    """Row counts of departments, districts and bundles."""
    query = select(
        select(func.count()).select_from(Department).scalar_subquery().label("departments"),
        select(func.count()).select_from(District).scalar_subquery().label("districts"),
        select(func.count()).select_from(Bundle).scalar_subquery().label("bundles"),
    )
    row = (await session.execute(query)).one()
    return {"departments": row.departments, "districts": row.districts, "bundles": row.bundles}


async def services_by_mode(session: AsyncSession) -> dict[str, int]:
    """How many services each approval mode has."""
    query = select(Service.mode, func.count()).group_by(Service.mode)
    return {mode: int(count) for mode, count in await session.execute(query)}
