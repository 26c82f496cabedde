"""The job queue through its public API: enqueue in a transaction, claim, run, retry, die."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.jobs import registry, service
from app.jobs.models import JobState
from app.jobs.registry import JobHandler
from app.jobs.worker import Worker
from app.ops.metrics import REGISTRY

Register = Callable[[str], Callable[[JobHandler], JobHandler]]


@pytest.fixture
def register() -> Iterator[Register]:
    """Register test handlers; they are removed again when the test ends."""
    kinds: list[str] = []

    def register(kind: str) -> Callable[[JobHandler], JobHandler]:
        kinds.append(kind)
        return registry.job_handler(kind)

    yield register
    for kind in kinds:
        registry.unregister(kind)


@pytest.fixture
async def effects(database: Database) -> None:
    """A scratch table handlers write to, to see which of their writes were committed."""
    async with database.session() as session:
        await session.execute(text("CREATE TABLE test_effects (n INTEGER NOT NULL)"))


async def record_effect(session: AsyncSession, n: int) -> None:
    await session.execute(text("INSERT INTO test_effects (n) VALUES (:n)"), {"n": n})


async def effect_rows(database: Database) -> list[int]:
    async with database.session(write=False) as session:
        return list((await session.execute(text("SELECT n FROM test_effects"))).scalars())


async def enqueue(database: Database, kind: str, payload: dict[str, Any], **kwargs: Any) -> Any:
    async with database.session() as session:
        job = await service.enqueue(session, kind, payload, **kwargs)
    return job.id


async def job_of(database: Database, job_id: Any) -> Any:
    async with database.session(write=False) as session:
        return await service.get(session, job_id)


async def counts(database: Database) -> dict[str, int]:
    async with database.session(write=False) as session:
        return await service.count_by_state(session)


async def test_job_enqueued_in_rolled_back_transaction_never_exists(
    database: Database, settings: Settings, register: Register
) -> None:
    ran: list[dict[str, Any]] = []

    @register("test.rollback")
    async def handle(session: AsyncSession, payload: dict[str, Any]) -> None:
        ran.append(payload)

    class Abort(Exception):
        pass

    async def change_that_fails() -> None:
        async with database.session() as session:
            await service.enqueue(session, "test.rollback", {"n": 1})
            raise Abort

    with pytest.raises(Abort):
        await change_that_fails()

    worker = Worker(database, settings)
    assert await worker.run_once() == 0
    assert ran == []
    assert await counts(database) == {"queued": 0, "running": 0, "done": 0, "dead": 0}

    # The same enqueue, committed, does run: the test above could have failed.
    await enqueue(database, "test.rollback", {"n": 2})
    assert await worker.run_once() == 1
    assert ran == [{"n": 2}]
    assert await counts(database) == {"queued": 0, "running": 0, "done": 1, "dead": 0}


async def test_two_workers_run_every_job_exactly_once(
    database: Database, settings: Settings, register: Register, effects: None
) -> None:
    executions: Counter[int] = Counter()

    @register("test.once")
    async def handle(session: AsyncSession, payload: dict[str, Any]) -> None:
        executions[payload["n"]] += 1
        await record_effect(session, payload["n"])
        await asyncio.sleep(0.001)  # let other claimers interleave

    total = 50
    for n in range(total):
        await enqueue(database, "test.once", {"n": n})

    # Separate Database instances (engines, pools) as two worker processes would have.
    first = Database.from_url(settings.database_url)
    second = Database.from_url(settings.database_url)
    workers = [
        Worker(first, settings, worker_id="worker-a", batch_size=3, concurrency=2),
        Worker(second, settings, worker_id="worker-b", batch_size=3, concurrency=2),
    ]

    async def drain(worker: Worker) -> int:
        ran, idle = 0, 0
        while idle < 3:
            batch = await worker.run_once()
            ran += batch
            idle = 0 if batch else idle + 1
        return ran

    try:
        per_loop = await asyncio.gather(*(drain(w) for w in workers for _ in range(3)))
    finally:
        await first.dispose()
        await second.dispose()

    assert sum(per_loop) == total
    assert executions == Counter(range(total))
    assert sorted(await effect_rows(database)) == list(range(total))
    assert await counts(database) == {"queued": 0, "running": 0, "done": total, "dead": 0}


async def test_handler_writes_commit_only_together_with_completion(
    database: Database, settings: Settings, register: Register, effects: None
) -> None:
    @register("test.write_then_fail")
    async def fail(session: AsyncSession, payload: dict[str, Any]) -> None:
        await record_effect(session, payload["n"])
        raise ValueError("downstream said no")

    @register("test.write")
    async def succeed(session: AsyncSession, payload: dict[str, Any]) -> None:
        await record_effect(session, payload["n"])

    failing = await enqueue(database, "test.write_then_fail", {"n": 1})
    worker = Worker(database, settings)
    assert await worker.run_once() == 1

    assert await effect_rows(database) == []
    job = await job_of(database, failing)
    assert job.state == JobState.QUEUED
    assert job.attempts == 1
    assert job.last_error == "ValueError: downstream said no"

    done = await enqueue(database, "test.write", {"n": 2})
    assert await worker.run_once() == 1
    assert await effect_rows(database) == [2]
    assert (await job_of(database, done)).state == JobState.DONE


async def test_expired_lease_is_taken_over_and_the_late_worker_is_refused(
    database: Database, settings: Settings, register: Register, effects: None
) -> None:
    runs: list[int] = []

    @register("test.lease")
    async def handle(session: AsyncSession, payload: dict[str, Any]) -> None:
        runs.append(payload["n"])
        await record_effect(session, payload["n"])

    short = settings.model_copy(update={"job_lease_seconds": 0.3})
    other = Database.from_url(settings.database_url)
    crashed = Worker(database, short, worker_id="worker-a")
    survivor = Worker(other, short, worker_id="worker-b")
    try:
        job_id = await enqueue(database, "test.lease", {"n": 7})
        (claimed,) = await crashed.claim()  # ... and then the process "dies"
        assert claimed.id == job_id

        assert await survivor.run_once() == 0  # the lease still holds
        await asyncio.sleep(0.4)
        assert await survivor.run_once() == 1  # expired: taken over

        job = await job_of(database, job_id)
        assert job.state == JobState.DONE
        assert job.attempts == 2
        # The first worker comes back and tries to finish its job: refused, nothing written.
        assert await crashed.execute(claimed) == "lost"
    finally:
        await other.dispose()

    assert runs == [7]
    assert await effect_rows(database) == [7]
    assert (await job_of(database, job_id)).state == JobState.DONE


async def test_slow_handler_past_its_lease_is_not_run_twice(
    database: Database, settings: Settings, register: Register
) -> None:
    started: list[int] = []

    @register("test.slow")
    async def handle(session: AsyncSession, payload: dict[str, Any]) -> None:
        started.append(payload["n"])
        await asyncio.sleep(0.6)

    short = settings.model_copy(update={"job_lease_seconds": 0.2})
    other = Database.from_url(settings.database_url)
    slow = Worker(database, short, worker_id="worker-a")
    eager = Worker(other, short, worker_id="worker-b")
    try:
        job_id = await enqueue(database, "test.slow", {"n": 1})
        running = asyncio.create_task(slow.run_once())
        await asyncio.sleep(0.35)  # the lease has expired, the handler still runs
        assert await eager.run_once() == 0
        assert await running == 1
    finally:
        await other.dispose()
    assert started == [1]
    assert (await job_of(database, job_id)).state == JobState.DONE


async def test_enqueue_with_the_same_dedupe_key_yields_one_job(database: Database) -> None:
    async with database.session() as session:
        first = await service.enqueue(session, "test.dedupe", {"v": 1}, dedupe_key="case-42")
        again = await service.enqueue(session, "test.dedupe", {"v": 2}, dedupe_key="case-42")
        other = await service.enqueue(session, "test.dedupe", {"v": 3}, dedupe_key="case-43")
        assert again.id == first.id
        assert other.id != first.id
    async with database.session() as session:
        later = await service.enqueue(session, "test.dedupe", {"v": 4}, dedupe_key="case-42")
    assert later.id == first.id
    assert later.payload == {"v": 1}
    assert (await counts(database))["queued"] == 2


async def test_concurrent_enqueues_with_the_same_dedupe_key(
    database: Database, settings: Settings
) -> None:
    other = Database.from_url(settings.database_url)

    async def enqueue_in(db: Database) -> Any:
        return await enqueue(db, "test.dedupe", {}, dedupe_key="same-work")

    try:
        ids = await asyncio.gather(*(enqueue_in(db) for db in (database, other) for _ in range(3)))
    finally:
        await other.dispose()
    assert len(set(ids)) == 1
    assert (await counts(database))["queued"] == 1


async def test_unknown_kind_goes_dead_with_a_clear_error(
    database: Database, settings: Settings
) -> None:
    def finished(outcome: str) -> float:
        labels = {"kind": "test.nobody_handles_this", "outcome": outcome}
        return REGISTRY.get_sample_value("qingeban_jobs_finished_total", labels) or 0.0

    before = finished("dead")
    job_id = await enqueue(database, "test.nobody_handles_this", {}, max_attempts=5)
    assert await Worker(database, settings).run_once() == 1

    job = await job_of(database, job_id)
    assert job.state == JobState.DEAD
    assert job.attempts == 1
    assert job.finished_at is not None
    assert "test.nobody_handles_this" in (job.last_error or "")
    assert "no handler" in (job.last_error or "")
    assert finished("dead") == before + 1


async def test_stored_error_masks_personal_data_and_is_truncated(
    database: Database, settings: Settings, register: Register
) -> None:
    @register("test.leaky")
    async def handle(session: AsyncSession, payload: dict[str, Any]) -> None:
        raise RuntimeError("no record for 370202199001011234 " + "x" * 5000)

    job_id = await enqueue(database, "test.leaky", {})
    await Worker(database, settings).run_once()
    error = (await job_of(database, job_id)).last_error or ""
    assert error.startswith("RuntimeError: no record for 370202********1234")
    assert "199001011234" not in error
    assert len(error) <= 2000


def test_backoff_grows_exponentially_with_jitter_up_to_the_cap(settings: Settings) -> None:
    worker = Worker(Database.__new__(Database), settings, backoff_base=2.0, backoff_cap=60.0)
    for attempts, nominal in [(1, 2.0), (2, 4.0), (3, 8.0), (5, 32.0), (6, 60.0), (20, 60.0)]:
        delays = [worker.backoff(attempts) for _ in range(200)]
        assert all(0.5 * nominal <= d <= 1.5 * nominal for d in delays)
        assert max(delays) - min(delays) > 0.1 * nominal  # jittered, not constant


async def test_started_worker_polls_runs_and_stops(
    database: Database, settings: Settings, register: Register
) -> None:
    done = asyncio.Event()

    @register("test.background")
    async def handle(session: AsyncSession, payload: dict[str, Any]) -> None:
        done.set()

    worker = Worker(database, settings)
    worker.start()
    try:
        await asyncio.sleep(0.1)  # idle polling first
        job_id = await enqueue(database, "test.background", {})
        await asyncio.wait_for(done.wait(), timeout=5)
    finally:
        await asyncio.wait_for(worker.stop(), timeout=6)
    for _ in range(50):  # the completion commits just after the handler returns
        if (await job_of(database, job_id)).state == JobState.DONE:
            break
        await asyncio.sleep(0.02)
    assert (await job_of(database, job_id)).state == JobState.DONE
