"""The job worker: claims due jobs, runs their handlers, retries with backoff, buries the dead.

Claiming is a short transaction of its own that commits before any handler runs, and leases the
job to this worker until `now + job_lease_seconds`. Each job then runs in one write transaction
that also marks it done, guarded by the lease holder, so a worker whose lease was taken over
cannot complete it. A worker killed mid-job leaves a running job with a lease that expires, after
which any worker claims it again: delivery is at least once, and handlers are idempotent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import signal
import socket
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from app.audit.sealer import audit_sealer
from app.config import Settings
from app.db import Database
from app.jobs import repository, schedules
from app.jobs.models import Job
from app.jobs.registry import get_handler
from app.kit.clock import utcnow
from app.kit.masking import redact_text
from app.ops.logging import request_id_var
from app.ops.metrics import JOBS_FINISHED

logger = logging.getLogger("qingeban.jobs")

Outcome = Literal["done", "retry", "dead", "lost"]

_MAX_ERROR_CHARS = 2000
# How long `stop()` lets running handlers finish before cancelling them (their work rolls back).
_STOP_GRACE_SECONDS = 5.0


class LeaseLost(Exception):
    """The job was taken over by another worker while this one ran it."""


@dataclass(frozen=True)
class ClaimedJob:
    """A job leased to this worker: what running it needs."""

    id: uuid.UUID
    kind: str
    payload: dict[str, Any]
    attempts: int
    max_attempts: int
    request_id: str | None = None


def claimed(job: Job) -> ClaimedJob:
    """What running a claimed job row needs, read before its session closes."""
    return ClaimedJob(
        job.id, job.kind, dict(job.payload), job.attempts, job.max_attempts, job.request_id
    )


def describe_error(exc: BaseException) -> str:
    """The stored form of a failure: type and message only, masked and truncated."""
    text = redact_text(f"{type(exc).__name__}: {exc}")
    return text if len(text) <= _MAX_ERROR_CHARS else text[: _MAX_ERROR_CHARS - 1] + "…"


class Worker:
    """Runs due jobs from the database with bounded concurrency."""

    def __init__(
        self,
        database: Database,
        settings: Settings,
        *,
        worker_id: str | None = None,
        batch_size: int = 10,
        concurrency: int = 4,
        backoff_base: float = 1.0,
        backoff_cap: float = 900.0,
        kinds: frozenset[str] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        self.worker_id = worker_id or f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"
        self.batch_size = batch_size
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        # Only these kinds (None: all): a worker dedicated to, say, webhook deliveries.
        self.kinds = kinds
        # The schedules' periods this worker queued already (it writes once per period).
        self._queued_periods: dict[str, datetime] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._stopping = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    def backoff(self, attempts: int) -> float:
        """Seconds to wait before the next attempt after `attempts` failed ones (with jitter)."""
        delay = min(self.backoff_base * 2 ** max(attempts - 1, 0), self.backoff_cap)
        # Jitter spreads out retries of jobs that failed together; not a security concern.
        return float(delay * (0.5 + random.random()))  # noqa: S311

    async def claim(self, limit: int | None = None) -> list[ClaimedJob]:
        """Lease up to `limit` due jobs to this worker, in a transaction that commits now."""
        now = utcnow()
        async with self.database.session(write=True) as session:
            jobs = await repository.claim(
                session,
                worker_id=self.worker_id,
                now=now,
                lease_until=now + timedelta(seconds=self.settings.job_lease_seconds),
                limit=limit or self.batch_size,
                skip_locked=self.database.is_postgresql,
                kinds=self.kinds,
            )
            return [claimed(job) for job in jobs]

    async def execute(self, job: ClaimedJob) -> Outcome:
        """Run one claimed job and record its outcome."""
        handler = get_handler(job.kind)
        try:
            if handler is None:
                raise LookupError(f"no handler is registered for job kind {job.kind!r}")
            async with self.database.session(write=True) as session:
                if (
                    await repository.lock_if_owned(
                        session, job.id, self.worker_id, lock=self.database.is_postgresql
                    )
                    is None
                ):
                    raise LeaseLost
                await handler(session, job.payload)
                if not await repository.mark_done(session, job.id, self.worker_id, now=utcnow()):
                    raise LeaseLost  # rolls the handler's writes back with the session
        except LeaseLost:
            return self._finish(job, "lost", None)
        except Exception as exc:
            return await self._fail(job, exc, retryable=handler is not None)
        return self._finish(job, "done", None)

    async def _fail(self, job: ClaimedJob, exc: Exception, *, retryable: bool) -> Outcome:
        now = utcnow()
        retry = retryable and job.attempts < job.max_attempts
        retry_at = now + timedelta(seconds=self.backoff(job.attempts)) if retry else None
        error = describe_error(exc)
        async with self.database.session(write=True) as session:
            held = await repository.record_failure(
                session, job.id, self.worker_id, now=now, error=error, retry_at=retry_at
            )
        if not held:
            return self._finish(job, "lost", error)
        return self._finish(job, "retry" if retry else "dead", error)

    def _finish(self, job: ClaimedJob, outcome: Outcome, error: str | None) -> Outcome:
        if outcome != "lost":
            JOBS_FINISHED.labels(job.kind, outcome).inc()
        fields = {
            "job_id": str(job.id),
            "kind": job.kind,
            "attempt": job.attempts,
            "outcome": outcome,
            "request_id": job.request_id,
        }
        if error is not None:
            fields["error"] = error
        level = logging.INFO if outcome == "done" else logging.WARNING
        logger.log(level, "job %s", outcome, extra=fields)
        return outcome

    async def _run_bounded(self, job: ClaimedJob) -> None:
        # Each job runs in its own task: the request id set here is this job's alone.
        request_id_var.set(job.request_id)
        async with self._slots:
            try:
                await self.execute(job)
            except Exception:
                # Recording the outcome failed (database away): the lease expires and the job is
                # claimed again, so nothing is lost; the other jobs of the batch carry on.
                logger.exception(
                    "job outcome not recorded", extra={"job_id": str(job.id), "kind": job.kind}
                )

    async def run_once(self) -> int:
        """Claim one batch of due jobs and run them; the number of jobs run."""
        jobs = await self.claim()
        if jobs:
            await asyncio.gather(*(self._run_bounded(job) for job in jobs))
        return len(jobs)

    async def queue_schedules(self) -> None:
        """Queue the periodic jobs whose period began (once per period across all workers)."""
        now = utcnow()
        if not schedules.pending(now, self._queued_periods):
            return  # most polls: nothing began, nothing written
        async with self.database.session(write=True) as session:
            await schedules.queue_due(session, now, queued=self._queued_periods)

    async def run_forever(self) -> None:
        """Poll and run jobs until `request_stop()`; back to back while there is work."""
        logger.info("worker started", extra={"worker_id": self.worker_id})
        while not self._stopping.is_set():
            try:
                if self.settings.schedules_enabled:
                    await self.queue_schedules()
                ran = await self.run_once()
            except Exception:
                # The database may be briefly away (failover, restart): keep polling.
                logger.exception("job polling failed", extra={"worker_id": self.worker_id})
                ran = 0
            if ran == 0:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(
                        self._stopping.wait(), timeout=self.settings.job_poll_seconds
                    )
        logger.info("worker stopped", extra={"worker_id": self.worker_id})

    def request_stop(self) -> None:
        """Ask `run_forever` to return after the batch in hand."""
        self._stopping.set()

    def start(self) -> None:
        """Run `run_forever` as a background task of the running event loop."""
        if self._task is None or self._task.done():
            self._stopping.clear()
            self._task = asyncio.create_task(self.run_forever(), name=f"jobs:{self.worker_id}")

    async def stop(self) -> None:
        """Stop polling; let running handlers finish for a few seconds, then cancel them."""
        task, self._task = self._task, None
        if task is None:
            return
        self.request_stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=_STOP_GRACE_SECONDS)
        except TimeoutError:
            # Cancelled handlers roll back; their jobs are claimed again when the lease expires.
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


async def run_worker(settings: Settings) -> None:
    """The `qingeban worker` process: run jobs until SIGINT or SIGTERM."""
    database = Database.from_url(
        settings.database_url,
        pool_size=settings.database_pool_size,
        audit_sealing=settings.audit_sealing_mode,
    )
    worker = Worker(database, settings)
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, worker.request_stop)
    # Workers seal too, so records are sealed while any API or worker process runs.
    sealer = audit_sealer(database, settings)
    try:
        await worker.run_forever()
    finally:
        if sealer is not None:
            await sealer.stop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)
        await database.dispose()
