"""Every query of the campaigns domain.

Campaigns are platform-wide (no citizen owns one); a case is reached through its campaign, and a
person's cases only by their ID number's blind index.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.proactive.campaigns.models import Campaign, CampaignBatch, CampaignCase

_INSERT_BATCHES = insert(CampaignBatch.__table__)  # type: ignore[arg-type]


def _is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def add(session: AsyncSession, row: object) -> None:
    """Insert a row in the caller's transaction."""
    session.add(row)
    await session.flush()


async def insert_batches(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert a campaign's batches in one executemany statement."""
    connection = await session.connection()
    await connection.execute(_INSERT_BATCHES, list(rows))


async def campaign(
    session: AsyncSession, campaign_id: uuid.UUID, *, lock: str | None = None
) -> Campaign | None:
    """A campaign; `lock` "share" (a batch running) or "update" (pause, resume) on PostgreSQL."""
    statement = select(Campaign).where(Campaign.id == campaign_id)
    if lock is not None and _is_postgresql(session):
        statement = statement.with_for_update(read=lock == "share")
    return (await session.execute(statement)).scalar_one_or_none()


async def campaigns(session: AsyncSession, *, limit: int) -> Sequence[Campaign]:
    """The newest campaigns first."""
    statement = select(Campaign).order_by(Campaign.created_at.desc(), Campaign.id).limit(limit)
    return (await session.scalars(statement)).all()


async def batch_for_update(
    session: AsyncSession, campaign_id: uuid.UUID, number: int
) -> CampaignBatch | None:
    """A batch, locked on PostgreSQL (SQLite has one writer at a time anyway)."""
    statement = select(CampaignBatch).where(
        CampaignBatch.campaign_id == campaign_id, CampaignBatch.number == number
    )
    if _is_postgresql(session):
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def insert_cases(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    """Insert cases; one that exists for the person and campaign already is left as it is."""
    if not rows:
        return
    dialect = postgresql if _is_postgresql(session) else sqlite
    statement = dialect.insert(CampaignCase).on_conflict_do_nothing(
        index_elements=["campaign_id", "subject_index"]
    )
    connection = await session.connection()
    await connection.execute(statement, list(rows))


async def deferred_batches(session: AsyncSession, campaign_id: uuid.UUID) -> Sequence[int]:
    """The numbers of the batches found paused, to queue again."""
    statement = select(CampaignBatch.number).where(
        CampaignBatch.campaign_id == campaign_id, CampaignBatch.state == "deferred"
    )
    return (await session.scalars(statement.order_by(CampaignBatch.number))).all()


async def set_batches_state(
    session: AsyncSession, campaign_id: uuid.UUID, numbers: Sequence[int], state: str
) -> None:
    """Set the state of some batches of a campaign."""
    if numbers:
        await session.execute(
            update(CampaignBatch)
            .where(CampaignBatch.campaign_id == campaign_id, CampaignBatch.number.in_(numbers))
            .values(state=state)
        )


async def batch_totals(session: AsyncSession, campaign_id: uuid.UUID) -> dict[str, Any]:
    """Batches done, persons classified and each outcome, summed over the done batches."""
    done = CampaignBatch.state == "done"
    statement = select(
        func.count().filter(done),
        func.coalesce(func.sum(CampaignBatch.persons), 0),
        func.coalesce(func.sum(CampaignBatch.silent), 0),
        func.coalesce(func.sum(CampaignBatch.invited), 0),
        func.coalesce(func.sum(CampaignBatch.referred), 0),
        func.max(CampaignBatch.finished_at),
    ).where(CampaignBatch.campaign_id == campaign_id)
    row = (await session.execute(statement)).one()
    keys = ("batches_done", "persons", "silent", "invited", "referred", "last_finished_at")
    return dict(zip(keys, row, strict=True))


async def case_states(session: AsyncSession, campaign_id: uuid.UUID) -> dict[str, int]:
    """How many cases of the campaign are in each state now."""
    statement = (
        select(CampaignCase.state, func.count())
        .where(CampaignCase.campaign_id == campaign_id)
        .group_by(CampaignCase.state)
    )
    return {str(state): int(count) for state, count in (await session.execute(statement)).all()}


async def cases(
    session: AsyncSession,
    campaign_id: uuid.UUID,
    *,
    states: Sequence[str],
    after: uuid.UUID | None,
    limit: int,
) -> Sequence[CampaignCase]:
    """Cases of a campaign in these states, by id, after a keyset cursor."""
    statement = select(CampaignCase).where(
        CampaignCase.campaign_id == campaign_id, CampaignCase.state.in_(states)
    )
    if after is not None:
        statement = statement.where(CampaignCase.id > after)
    return (await session.scalars(statement.order_by(CampaignCase.id).limit(limit))).all()


async def cases_for_update(
    session: AsyncSession, campaign_id: uuid.UUID, case_ids: Sequence[uuid.UUID]
) -> Sequence[CampaignCase]:
    """These cases of this campaign (others' ids are not found), locked on PostgreSQL."""
    statement = select(CampaignCase).where(
        CampaignCase.campaign_id == campaign_id, CampaignCase.id.in_(case_ids)
    )
    if _is_postgresql(session):
        statement = statement.with_for_update()
    return (await session.scalars(statement.order_by(CampaignCase.id))).all()


async def case(session: AsyncSession, case_id: uuid.UUID) -> CampaignCase | None:
    """One case by id (for its payment job)."""
    return await session.get(CampaignCase, case_id)


async def person_cases(
    session: AsyncSession, subject_index: str, states: Sequence[str]
) -> Sequence[CampaignCase]:
    """The person's cases in these states, in every campaign, locked on PostgreSQL."""
    statement = select(CampaignCase).where(
        CampaignCase.subject_index == subject_index, CampaignCase.state.in_(states)
    )
    if _is_postgresql(session):
        statement = statement.with_for_update()
    return (await session.scalars(statement.order_by(CampaignCase.id))).all()


async def warning_over(session: AsyncSession, now: datetime) -> Sequence[Campaign]:
    """Campaigns whose warning period ended and was not closed yet, locked on PostgreSQL."""
    statement = select(Campaign).where(
        Campaign.warning_until <= now, Campaign.warning_closed_at.is_(None)
    )
    if _is_postgresql(session):
        statement = statement.with_for_update(skip_locked=True)
    return (await session.scalars(statement)).all()


async def hand_over_invited(session: AsyncSession, campaign_id: uuid.UUID, now: datetime) -> int:
    """Move the campaign's still-invited cases to the clerks' queue (due); how many."""
    result = await session.execute(
        update(CampaignCase)
        .where(CampaignCase.campaign_id == campaign_id, CampaignCase.state == "invited")
        .values(state="due", updated_at=now)
    )
    return int(result.rowcount)  # type: ignore[attr-defined]


async def open_campaigns(session: AsyncSession, now: datetime) -> Sequence[Campaign]:
    """Campaigns still in their warning period."""
    statement = select(Campaign).where(Campaign.warning_until > now)
    return (await session.scalars(statement)).all()


async def due_reminders(
    session: AsyncSession, campaign_id: uuid.UUID, sent: int, limit: int
) -> Sequence[CampaignCase]:
    """Invited cases that have had `sent` reminders (the next one is due), locked."""
    statement = select(CampaignCase).where(
        CampaignCase.campaign_id == campaign_id,
        CampaignCase.state == "invited",
        CampaignCase.reminders_sent == sent,
    )
    if _is_postgresql(session):
        statement = statement.with_for_update(skip_locked=True)
    return (await session.scalars(statement.order_by(CampaignCase.id).limit(limit))).all()
