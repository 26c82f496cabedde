"""Every query of bundles, with the caller's scope applied here: a citizen sees a case only as
one of its parties, a clerk only the steps of their department."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.services.bundles.models import BundleCase, CaseParty, CaseStep, StepCompletion


async def add_all(session: AsyncSession, rows: Sequence[object]) -> None:
    """Insert new rows (flushed)."""
    session.add_all(rows)
    await session.flush()


def _party_of(account_id: uuid.UUID, id_index: str | None) -> object:
    # A party that confirmed is its account; one named but not yet confirmed is the person
    # the form names (their ID number's blind index), so they can read what they confirm.
    named = (CaseParty.account_id.is_(None)) & (CaseParty.id_index == id_index)
    return (
        or_(CaseParty.account_id == account_id, named)
        if id_index
        else (CaseParty.account_id == account_id)
    )


async def visible_case(
    session: AsyncSession,
    case_id: uuid.UUID,
    account_id: uuid.UUID,
    id_index: str | None,
    *,
    for_update: bool = False,
) -> BundleCase | None:
    """The case if the caller is one of its parties; None otherwise (the same as no case)."""
    is_party = exists().where(CaseParty.case_id == BundleCase.id, _party_of(account_id, id_index))  # type: ignore[arg-type]
    statement = select(BundleCase).where(BundleCase.id == case_id, is_party)
    if for_update:
        statement = statement.with_for_update()
    result: BundleCase | None = await session.scalar(statement)
    return result


async def case_for_update(session: AsyncSession, case_id: uuid.UUID) -> BundleCase | None:
    """A case by id, row-locked on PostgreSQL (the saga's own use)."""
    result: BundleCase | None = await session.scalar(
        select(BundleCase).where(BundleCase.id == case_id).with_for_update()
    )
    return result


async def parties(session: AsyncSession, case_id: uuid.UUID) -> Sequence[CaseParty]:
    """The parties of a case, as the database has them now (a confirmation is a guarded
    UPDATE that the session's loaded rows would not show)."""
    rows = await session.scalars(
        select(CaseParty)
        .where(CaseParty.case_id == case_id)
        .execution_options(populate_existing=True)
    )
    return rows.all()


async def steps(session: AsyncSession, case_id: uuid.UUID) -> Sequence[CaseStep]:
    """The steps of a case in the bundle's order."""
    rows = await session.scalars(
        select(CaseStep).where(CaseStep.case_id == case_id).order_by(CaseStep.position)
    )
    return rows.all()


async def step_for_update(session: AsyncSession, step_id: uuid.UUID) -> CaseStep | None:
    """A step by id, row-locked on PostgreSQL."""
    result: CaseStep | None = await session.scalar(
        select(CaseStep).where(CaseStep.id == step_id).with_for_update()
    )
    return result


async def confirm(
    session: AsyncSession,
    case_id: uuid.UUID,
    role: str,
    *,
    account_id: uuid.UUID,
    id_index: str,
    at: datetime,
) -> bool:
    """Bind the role to the account and mark it confirmed, if it is this person's and not yet
    confirmed; False otherwise (a second confirmation, a race lost, another's role)."""
    result = await session.execute(
        update(CaseParty)
        .where(
            CaseParty.case_id == case_id,
            CaseParty.role == role,
            CaseParty.id_index == id_index,
            CaseParty.confirmed_at.is_(None),
        )
        .values(account_id=account_id, confirmed_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def unconfirmed(session: AsyncSession, case_id: uuid.UUID) -> int:
    """How many parties of the case have not confirmed."""
    count = await session.scalar(
        select(func.count())
        .select_from(CaseParty)
        .where(CaseParty.case_id == case_id, CaseParty.confirmed_at.is_(None))
    )
    return int(count or 0)


async def move_case(
    session: AsyncSession, case_id: uuid.UUID, *, from_: str, to: str, at: datetime
) -> bool:
    """Change a case's status if it still has `from_`; whether this call changed it (so of
    two racing confirmations exactly one starts the saga)."""
    result = await session.execute(
        update(BundleCase)
        .where(BundleCase.id == case_id, BundleCase.status == from_)
        .values(status=to, updated_at=at)
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0))


async def completed(session: AsyncSession, step_id: uuid.UUID) -> bool:
    """Whether the step has its completion."""
    return (await session.get(StepCompletion, step_id)) is not None


async def department_steps(
    session: AsyncSession, department: str | None, status: str, *, limit: int
) -> Sequence[tuple[CaseStep, str]]:
    """A department's steps in a status (None: every department), oldest first, with their
    cases' numbers."""
    statement = (
        select(CaseStep, BundleCase.number)
        .join(BundleCase, BundleCase.id == CaseStep.case_id)
        .where(CaseStep.status == status)
        .order_by(CaseStep.updated_at, CaseStep.id)
        .limit(limit)
    )
    if department is not None:
        statement = statement.where(CaseStep.department_code == department)
    return [(row[0], row[1]) for row in (await session.execute(statement)).all()]


async def department_step(
    session: AsyncSession, step_id: uuid.UUID, department: str | None
) -> CaseStep | None:
    """A step of the clerk's department (None: any), row-locked; None for another's."""
    statement = select(CaseStep).where(CaseStep.id == step_id).with_for_update()
    if department is not None:
        statement = statement.where(CaseStep.department_code == department)
    result: CaseStep | None = await session.scalar(statement)
    return result


async def due_to_expire(
    session: AsyncSession, now: datetime, *, limit: int
) -> Sequence[BundleCase]:
    """Cases still waiting for confirmations past their time."""
    rows = await session.scalars(
        select(BundleCase)
        .where(BundleCase.status == "awaiting_confirmation", BundleCase.confirm_by < now)
        .limit(limit)
    )
    return rows.all()


async def case_by_number(session: AsyncSession, number: str) -> BundleCase | None:
    """A case by its number (the purpose of its department reads names it)."""
    result: BundleCase | None = await session.scalar(
        select(BundleCase).where(BundleCase.number == number)
    )
    return result


async def add_completion(session: AsyncSession, completion: StepCompletion) -> None:
    """Insert a step's one completion (flushed: a second fails here, on the primary key)."""
    session.add(completion)
    await session.flush()
