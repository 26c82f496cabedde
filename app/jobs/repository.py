"""Every query on the `jobs` table, claiming included."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import is_statementwise, stage
from app.jobs.models import Job, JobState


async def add(session: AsyncSession, job: Job) -> None:
    """Stage a job in the caller's transaction: a unit of work writes it with the caller's other
    changes (app.db.stage: on PostgreSQL in one statement with every other staged row; an
    approval queues its payment and the fan-out of two events). A statement-wise session (a
    public verification's on PostgreSQL) writes nothing that is not flushed, so there it is
    flushed at once."""
    stage(session, job)
    if is_statementwise(session):
        await session.flush()


async def insert_unless_duplicate(session: AsyncSession, values: dict[str, Any]) -> None:
    """Insert a job unless one with the same `dedupe_key` exists (or is being inserted)."""
    # ON CONFLICT rather than check-then-insert: two transactions enqueueing the same key at once
    # must not both insert, and must not fail either. PostgreSQL waits for the other insert.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(Job).values(values).on_conflict_do_nothing(index_elements=["dedupe_key"])
    await session.execute(statement)


async def get(session: AsyncSession, job_id: uuid.UUID) -> Job | None:
    """A job by id."""
    return await session.get(Job, job_id)


async def get_by_dedupe_key(session: AsyncSession, dedupe_key: str) -> Job | None:
    """The job enqueued under `dedupe_key`."""
    statement = select(Job).where(Job.dedupe_key == dedupe_key)
    return (await session.execute(statement)).scalar_one_or_none()


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    """How many jobs are in each state that has any."""
    statement = select(Job.state, func.count().label("jobs")).group_by(Job.state)
    # Not dict(result): a Result has .keys(), so dict() would read it as a mapping.
    return {row.state: row.jobs for row in await session.execute(statement)}


async def list_newest_first(
    session: AsyncSession, *, state: JobState | None, before_id: uuid.UUID | None, limit: int
) -> Sequence[Job]:
    """Jobs newest first (ids are UUIDv7, so id order is creation order), after a cursor."""
    statement = select(Job).order_by(Job.id.desc()).limit(limit)
    if state is not None:
        statement = statement.where(Job.state == state.value)
    if before_id is not None:
        statement = statement.where(Job.id < before_id)
    return (await session.execute(statement)).scalars().all()


async def claim(
    session: AsyncSession,
    *,
    worker_id: str,
    now: datetime,
    lease_until: datetime,
    limit: int,
    skip_locked: bool,
    kinds: frozenset[str] | None = None,
) -> list[Job]:
    """Take up to `limit` due jobs (queued, or running with an expired lease) for `worker_id`,
    only of `kinds` when given.

    With `skip_locked` (PostgreSQL) concurrent workers each lock different rows and never wait on
    one another. Without it the caller must hold the database's write lock for the whole
    transaction (SQLite's BEGIN IMMEDIATE), which makes select-then-update atomic.
    """
    due = or_(
        and_(Job.state == JobState.QUEUED.value, Job.run_after <= now),
        and_(Job.state == JobState.RUNNING.value, Job.lease_until < now),
    )
    statement = select(Job).where(due).order_by(Job.run_after).limit(limit)
    if kinds is not None:
        statement = statement.where(Job.kind.in_(sorted(kinds)))
    if skip_locked:
        statement = statement.with_for_update(skip_locked=True)
    jobs = list((await session.execute(statement)).scalars().all())
    for job in jobs:
        job.state = JobState.RUNNING.value
        job.attempts += 1
        job.lease_until = lease_until
        job.locked_by = worker_id
        job.updated_at = now
    await session.flush()
    return jobs


async def lock_if_owned(
    session: AsyncSession, job_id: uuid.UUID, worker_id: str, *, lock: bool
) -> Job | None:
    """The job if `worker_id` still holds it, row-locked (PostgreSQL) for the transaction.

    Holding the row lock while the handler runs keeps other workers' SKIP LOCKED claims away from
    it even after its lease expires, so a slow handler is not run twice at once.
    """
    statement = select(Job).where(
        Job.id == job_id, Job.state == JobState.RUNNING.value, Job.locked_by == worker_id
    )
    if lock:
        statement = statement.with_for_update()
    return (await session.execute(statement)).scalar_one_or_none()


async def mark_done(
    session: AsyncSession, job_id: uuid.UUID, worker_id: str, *, now: datetime
) -> bool:
    """Complete the job if `worker_id` still holds it; False when its lease was taken over."""
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING.value, Job.locked_by == worker_id)
        .values(state=JobState.DONE.value, lease_until=None, finished_at=now, updated_at=now)
        .returning(Job.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def record_failure(
    session: AsyncSession,
    job_id: uuid.UUID,
    worker_id: str,
    *,
    now: datetime,
    error: str,
    retry_at: datetime | None,
) -> bool:
    """Requeue the job for `retry_at`, or make it dead when None; False if no longer held."""
    values: dict[str, Any] = {"last_error": error, "lease_until": None, "updated_at": now}
    if retry_at is None:
        values.update(state=JobState.DEAD.value, finished_at=now)
    else:
        values.update(state=JobState.QUEUED.value, run_after=retry_at, locked_by=None)
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.RUNNING.value, Job.locked_by == worker_id)
        .values(**values)
        .returning(Job.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def requeue_dead(session: AsyncSession, job_id: uuid.UUID, *, now: datetime) -> Job | None:
    """Put a dead job back in the queue with fresh attempts; None when it is not dead."""
    statement = (
        update(Job)
        .where(Job.id == job_id, Job.state == JobState.DEAD.value)
        .values(
            state=JobState.QUEUED.value,
            attempts=0,
            run_after=now,
            lease_until=None,
            locked_by=None,
            finished_at=None,
            updated_at=now,
        )
        .returning(Job)
        .execution_options(populate_existing=True)
    )
    return (await session.execute(statement)).scalar_one_or_none()
