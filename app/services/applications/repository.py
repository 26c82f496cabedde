"""Every query of the applications domain."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import BindParameter, ColumnElement, and_, bindparam, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import DriverStatement, fetch_driver_row, fetch_driver_row_apart, stage
from app.services.applications.models import (
    Application,
    ApplicationCounter,
    ApplicationEvent,
    EntitlementGrant,
)


async def next_sequence(session: AsyncSession, day: date) -> int:
    """The next number of the day, in one atomic upsert.

    On PostgreSQL the upsert commits on its own (autocommit): held until the submission
    commits, the day's counter row would make every submission wait for the one before it,
    departments' answers included (bench/approval.py). A submission that then fails leaves a
    gap in the day's numbers, which is harmless. SQLite serialises writers anyway.
    """
    params = {"day": day, "one": 1}
    if session.get_bind().dialect.name != "postgresql":
        return int((await session.execute(_SQLITE_COUNTER_UPSERT, params)).scalar_one())
    # Through the driver, a prepared statement: SQLAlchemy's execution cost more than the
    # statement. Between the caller's transactions (a submission commits its reads first) on
    # the session's own connection, before the next transaction begins; within one, on a
    # connection of its own.
    fetch = fetch_driver_row if not session.in_transaction() else fetch_driver_row_apart
    return int((await fetch(session, _DRIVER_COUNTER_UPSERT, params))[0])


def _counter_upsert(insert: Any) -> Any:
    one: BindParameter[int] = bindparam("one")
    return (
        insert(ApplicationCounter)
        .values(day=bindparam("day"), last=one)
        .on_conflict_do_update(
            index_elements=[ApplicationCounter.day], set_={"last": ApplicationCounter.last + one}
        )
        .returning(ApplicationCounter.last)
    )


# Built once: every submission runs one of them.
_SQLITE_COUNTER_UPSERT = _counter_upsert(sqlite.insert)
_DRIVER_COUNTER_UPSERT = DriverStatement(_counter_upsert(postgresql.insert))


# The session.info key of the timelines kept in memory (`keep_timeline`), by case id.
_KEPT_TIMELINES = "qe_kept_timelines"


async def add(session: AsyncSession, *rows: Application | ApplicationEvent) -> None:
    """Stage rows; the unit of work writes them together: the case through the ORM (it changes
    again), its timeline's steps staged (app.db.stage: one statement with the transaction's
    other staged rows)."""
    for row in rows:
        if isinstance(row, ApplicationEvent):
            stage(session, row)
        else:
            session.add(row)
    kept = session.info.get(_KEPT_TIMELINES)
    if kept:
        for row in rows:
            if isinstance(row, ApplicationEvent) and row.application_id in kept:
                kept[row.application_id].append(row)


def keep_timeline(session: AsyncSession, application_id: uuid.UUID) -> None:
    """Keep, from now on, the timeline steps this session adds to a case (anew: a filing that
    is tried again forgets the steps its rollback undid)."""
    session.info.setdefault(_KEPT_TIMELINES, {})[application_id] = []


def kept_timeline(session: AsyncSession, application_id: uuid.UUID) -> list[ApplicationEvent]:
    """The steps kept since `keep_timeline`, oldest first as `events` orders them: for a case
    this session filed, its whole timeline, without a query (the submission's answer)."""
    steps = session.info.get(_KEPT_TIMELINES, {}).get(application_id, [])
    return sorted(steps, key=lambda step: (step.at, step.id))


def _owned(account_id: uuid.UUID, uscc: str | None) -> ColumnElement[bool]:
    # Acting for an enterprise, a person sees the enterprise's cases; otherwise their own
    # personal cases only (not those they made for an enterprise).
    if uscc is not None:
        return Application.applicant_uscc == uscc
    return and_(
        Application.applicant_account_id == account_id, Application.applicant_uscc.is_(None)
    )


async def applicants_application(
    session: AsyncSession,
    application_id: uuid.UUID,
    account_id: uuid.UUID,
    uscc: str | None,
    *,
    for_update: bool = False,
) -> Application | None:
    """One application of this applicant (None for anyone else's)."""
    query = select(Application).where(Application.id == application_id, _owned(account_id, uscc))
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def applicants_applications(
    session: AsyncSession,
    account_id: uuid.UUID,
    uscc: str | None,
    *,
    before: uuid.UUID | None,
    limit: int,
) -> Sequence[Application]:
    """The applicant's applications, newest first (ids are time-ordered)."""
    query = (
        select(Application)
        .where(_owned(account_id, uscc))
        .order_by(Application.id.desc())
        .limit(limit)
    )
    if before is not None:
        query = query.where(Application.id < before)
    return (await session.scalars(query)).all()


async def events(session: AsyncSession, application_id: uuid.UUID) -> Sequence[ApplicationEvent]:
    """A case's timeline, oldest first."""
    query = (
        select(ApplicationEvent)
        .where(ApplicationEvent.application_id == application_id)
        .order_by(ApplicationEvent.at, ApplicationEvent.id)
    )
    return (await session.scalars(query)).all()


async def department_application(
    session: AsyncSession, application_id: uuid.UUID, department_code: str, *, for_update: bool
) -> Application | None:
    """One application decided by this department (None for any other's)."""
    query = select(Application).where(
        Application.id == application_id, Application.department_code == department_code
    )
    if for_update:
        query = query.with_for_update()
    return (await session.scalars(query)).first()


async def department_queue(
    session: AsyncSession,
    department_code: str,
    *,
    statuses: Sequence[str],
    service_code: str | None,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> Sequence[Application]:
    """A department's cases in these statuses by deadline, then id (keyset after `after`);
    served by ix_applications_department_status_deadline."""
    query = (
        select(Application)
        .where(Application.department_code == department_code, Application.status.in_(statuses))
        .order_by(Application.deadline, Application.id)
        .limit(limit)
    )
    if service_code is not None:
        query = query.where(Application.service_code == service_code)
    if after is not None:
        deadline, last_id = after
        query = query.where(
            or_(
                Application.deadline > deadline,
                and_(Application.deadline == deadline, Application.id > last_id),
            )
        )
    return (await session.scalars(query)).all()


async def open_case(session: AsyncSession, service_code: str, open_key: str) -> Application | None:
    """The applicant's open case of a service (the one `uq_applications_open_case` allows)."""
    query = select(Application).where(
        Application.service_code == service_code, Application.open_key == open_key
    )
    return (await session.scalars(query)).first()


@dataclass(frozen=True, slots=True)
class LastGrant:
    """The newest grant of an entitlement to a holder, as a decision reads it."""

    granted_on: date
    granted_at: datetime
    application_id: uuid.UUID


async def grants(
    session: AsyncSession, entitlement: str, holder: str
) -> tuple[int, LastGrant | None]:
    """How many grants of an entitlement the holder has, and the last of them."""
    params = {"entitlement": entitlement, "holder": holder}
    if session.get_bind().dialect.name == "postgresql":
        # One statement through the driver (every 秒批 submission of a payment reads it, with
        # nothing of it staged: grants are inserted by statement, never by the unit of work),
        # so that a submission's reads need no transaction of SQLAlchemy's.
        row = await fetch_driver_row(session, _DRIVER_LAST_GRANT, {**params, "one": 1})
        if row is None:
            return 0, None
        granted_at = row["granted_at"].astimezone(UTC)
        # asyncpg's own UUID type, as SQLAlchemy's Uuid would have given it.
        application_id = uuid.UUID(bytes=row["application_id"].bytes)
        return int(row["count"]), LastGrant(row["granted_on"], granted_at, application_id)
    count = int(await session.scalar(_GRANT_COUNT, params) or 0)
    if count == 0:
        return 0, None
    last = (await session.scalars(_LAST_GRANT, params)).first()
    assert last is not None
    return count, LastGrant(last.granted_on, last.granted_at, last.application_id)


_GRANT_SCOPE = (
    EntitlementGrant.entitlement == bindparam("entitlement"),
    EntitlementGrant.holder == bindparam("holder"),
)
_GRANT_COUNT = select(func.count()).where(*_GRANT_SCOPE)
_LAST_GRANT = (
    select(EntitlementGrant)
    .where(*_GRANT_SCOPE)
    .order_by(EntitlementGrant.sequence.desc())
    .limit(1)
)
# The count over every grant of the holder, on the newest one's row (no row: none yet).
_DRIVER_LAST_GRANT = DriverStatement(
    select(
        func.count().over().label("count"),
        EntitlementGrant.granted_on,
        EntitlementGrant.granted_at,
        EntitlementGrant.application_id,
    )
    .where(*_GRANT_SCOPE)
    .order_by(EntitlementGrant.sequence.desc())
    .limit(bindparam("one"))
)


def _insert_grant(insert: Any) -> Any:
    table = EntitlementGrant.__table__
    return (
        insert(table)
        .values({c.name: bindparam(c.name, type_=c.type) for c in table.columns})
        .on_conflict_do_nothing(index_elements=["entitlement", "holder", "sequence"])
        .returning(table.c.id)
    )


# Built once, per dialect, on the table: one built per call and run through the ORM's DML path
# cost about 0.2 ms of CPU per approval (the statement, its cache key, the ORM's bookkeeping).
_INSERT_GRANT = {
    "postgresql": _insert_grant(postgresql.insert),
    "sqlite": _insert_grant(sqlite.insert),
}


async def insert_grant(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Insert a grant unless its sequence number is taken; whether this one was inserted.

    ON CONFLICT rather than check-then-insert: of two approvals that read the same history, the
    database keeps exactly one (PostgreSQL makes the second wait for the first to commit)."""
    statement = _INSERT_GRANT[session.get_bind().dialect.name]
    # Nothing staged needs writing first (the case the grant names is filed already): the
    # approval's changes are written with the rest of it at the commit, not ahead of the grant.
    with session.no_autoflush:
        return (await session.execute(statement, values)).first() is not None


async def grant_of(session: AsyncSession, application_id: uuid.UUID) -> EntitlementGrant | None:
    """The grant an approved case made, if it made one."""
    query = select(EntitlementGrant).where(EntitlementGrant.application_id == application_id)
    return (await session.scalars(query)).first()


async def by_number(session: AsyncSession, number: str) -> Application | None:
    """A case by its readable number (for the platform's own checks, not for anyone's eyes)."""
    return (await session.scalars(select(Application).where(Application.number == number))).first()


async def by_id(session: AsyncSession, application_id: uuid.UUID) -> Application | None:
    """A case by id, for the platform's own processes (a courier's report on its delivery)."""
    return await session.get(Application, application_id)


async def filed_by_service(session: AsyncSession) -> dict[str, int]:
    """How many applications were ever filed for each service, by service code."""
    query = select(Application.service_code, func.count()).group_by(Application.service_code)
    return {code: int(count) for code, count in await session.execute(query)}
