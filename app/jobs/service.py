"""Durable background jobs: enqueue in the caller's transaction, list, count, retry.

Other domains call `enqueue` in the same session as the change that causes the work, so the
change and its job commit together or not at all (the transactional outbox). The worker
(`app.jobs.worker`) runs them.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.errors import InvalidCursor
from app.jobs import repository
from app.jobs.errors import JobNotDead, JobNotFound
from app.jobs.models import Job, JobState
from app.jobs.schemas import JobRead
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.kit.pagination import Page
from app.ops.logging import request_id_var


async def enqueue(
    session: AsyncSession,
    kind: str,
    payload: dict[str, Any],
    *,
    run_after: datetime | None = None,
    dedupe_key: str | None = None,
    max_attempts: int | None = None,
) -> Job:
    """Queue a job in the caller's transaction (staged, never committed: see repository.add).

    With a `dedupe_key`, enqueueing the same key again returns the existing job unchanged
    (whatever its state), so a retried request does not queue the same work twice.
    """
    now = utcnow()
    if max_attempts is None:
        max_attempts = get_settings().job_max_attempts
    values: dict[str, Any] = {
        "id": new_id(),
        "kind": kind,
        "payload": payload,
        "state": JobState.QUEUED.value,
        "attempts": 0,
        "max_attempts": max_attempts,
        "run_after": run_after or now,
        "created_at": now,
        "updated_at": now,
        "dedupe_key": dedupe_key,
        "request_id": request_id_var.get(),
    }
    if dedupe_key is None:
        job = Job(**values)
        await repository.add(session, job)
        return job
    await repository.insert_unless_duplicate(session, values)
    existing = await repository.get_by_dedupe_key(session, dedupe_key)
    if existing is None:  # only if the row vanished between the two statements
        raise RuntimeError(f"job with dedupe key {dedupe_key!r} disappeared while enqueueing")
    return existing


async def get(session: AsyncSession, job_id: uuid.UUID) -> Job:
    """A job by id."""
    job = await repository.get(session, job_id)
    if job is None:
        raise JobNotFound(f"任务 {job_id} 不存在", f"job {job_id} does not exist")
    return job


async def count_by_state(session: AsyncSession) -> dict[str, int]:
    """How many jobs are in each state (every state present, zero included)."""
    counts = await repository.count_by_state(session)
    return {state.value: counts.get(state.value, 0) for state in JobState}


async def list_jobs(
    session: AsyncSession, state: JobState | None, cursor: str | None, limit: int
) -> Page[JobRead]:
    """Jobs newest first, optionally in one state, a page at a time."""
    before_id: uuid.UUID | None = None
    if cursor:
        try:
            (value,) = pagination.decode_cursor(cursor, arity=1)
            before_id = uuid.UUID(str(value))
        except ValueError as exc:
            raise InvalidCursor("分页游标无效", "the cursor is not valid for this list") from exc
    jobs = await repository.list_newest_first(
        session, state=state, before_id=before_id, limit=limit + 1
    )
    items = [JobRead.model_validate(job) for job in jobs[:limit]]
    next_cursor = pagination.encode_cursor([str(items[-1].id)]) if len(jobs) > limit else None
    return Page[JobRead](items=items, next_cursor=next_cursor)


async def retry(session: AsyncSession, job_id: uuid.UUID) -> Job:
    """Give a dead job a fresh set of attempts, due now."""
    job = await repository.requeue_dead(session, job_id, now=utcnow())
    if job is not None:
        return job
    existing = await get(session, job_id)
    raise JobNotDead(
        f"任务状态为 {existing.state}，只有 dead 状态的任务可以重试",
        f"the job is {existing.state}; only a dead job can be retried",
        extra={"state": existing.state},
    )
