"""The per-address verification limit across API processes: counted in each process, added up in
Redis (or the database) in batches, a refusal once the limit is reached (within the bound of
app.auth.ratelimit_batched), and the database holding the counts when Redis is unreachable."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager

import httpx
import pytest
from redis.asyncio import Redis
from redis_support import free_port, redis_server
from sqlalchemy import select, text

from app.auth.models import RateLimitCounter
from app.config import Settings
from app.db import Database
from app.main import create_app

VERIFY = "/api/v1/licenses/verify"
ADDRESS = "203.0.113.9"
LIMIT = 20  # a batch of 1 (a twentieth): at most LIMIT + P over it across P processes
# A well-formed number nobody holds: looked up, and answered `invalid`.
GUESS = {"license_no": "1.2.156.3005.2.SCJG.000000000000000000.0000000001.001.X",
         "holder_name": "李娜"}  # fmt: skip


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private redis-server for the module."""
    with redis_server() as url:
        yield url


@pytest.fixture(autouse=True)
def mid_minute(travel: Callable[[str], None]) -> None:
    """Every verification of a test in one window of the limit: the clock at :05 of a minute."""
    travel("2026-11-24T09:00:05+08:00")


@asynccontextmanager
async def processes(
    settings: Settings, database: Database, count: int
) -> AsyncIterator[list[httpx.AsyncClient]]:
    """`count` API processes (apps of their own) and a scanner at ADDRESS on each; every
    process adds what it counted when it stops."""
    tight = settings.model_copy(update={"license_verify_rate_limit": LIMIT})
    async with AsyncExitStack() as stack:
        scanners = []
        for _ in range(count):
            app = create_app(tight, database=database)
            await stack.enter_async_context(app.router.lifespan_context(app))
            transport = httpx.ASGITransport(app=app, client=(ADDRESS, 4000))
            scanners.append(
                await stack.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://testserver")
                )
            )
        yield scanners


async def verified_until_refused(scanners: list[httpx.AsyncClient]) -> int:
    """Verifications taking turns on the processes until each has refused one; how many were
    answered."""
    answered, refused = 0, set()
    for turn in range(10 * LIMIT):
        process = turn % len(scanners)
        response = await scanners[process].post(VERIFY, json=GUESS)
        if response.status_code == 429:
            assert response.json()["code"] == "licenses.rate_limited"
            assert int(response.headers["retry-after"]) >= 1
            refused.add(process)
            if len(refused) == len(scanners):
                return answered
        else:
            assert response.status_code == 200, response.text
            answered += 1
    raise AssertionError("never refused")


async def database_counts(database: Database) -> list[int]:
    key = f"licenses.verify.address:{ADDRESS}:%"
    async with database.session(write=False) as session:
        hits = await session.scalars(
            select(RateLimitCounter.hits).where(RateLimitCounter.key.like(key))
        )
        return list(hits)


async def test_one_process_refuses_past_the_limit_exactly(
    settings: Settings, database: Database
) -> None:
    async with processes(settings, database, 1) as scanners:
        assert await verified_until_refused(scanners) == LIMIT
    assert await database_counts(database) == [LIMIT]


async def test_two_processes_share_the_limit_in_redis(
    settings: Settings, database: Database, redis_url: str
) -> None:
    await Redis.from_url(redis_url).flushdb()
    shared = settings.model_copy(update={"redis_url": redis_url})
    async with processes(shared, database, 2) as scanners:
        answered = await verified_until_refused(scanners)
    assert LIMIT <= answered <= LIMIT + 2
    redis = Redis.from_url(redis_url)
    keys = await redis.keys(f"qe:rl:licenses.verify.address:{ADDRESS}:*")
    assert len(keys) == 1
    assert int(await redis.get(keys[0]) or 0) == answered  # every answered one, added up
    assert 0 < await redis.ttl(keys[0]) <= 61
    assert await database_counts(database) == []  # Redis held the count, not the database


async def test_two_processes_share_the_limit_in_the_database(
    settings: Settings, database: Database
) -> None:
    async with processes(settings, database, 2) as scanners:
        answered = await verified_until_refused(scanners)
    assert LIMIT <= answered <= LIMIT + 2
    assert await database_counts(database) == [answered]


async def test_the_database_takes_over_when_redis_is_unreachable(
    settings: Settings, database: Database
) -> None:
    down = settings.model_copy(update={"redis_url": f"redis://127.0.0.1:{free_port()}/0"})
    async with processes(down, database, 2) as scanners:
        answered = await verified_until_refused(scanners)
    assert LIMIT <= answered <= LIMIT + 2
    assert await database_counts(database) == [answered]


async def test_a_lost_database_connection_on_the_lookup_is_a_503_to_retry(
    settings: Settings, database: Database, redis_url: str
) -> None:
    """Verification by number reads on the driver's own connection: after a database restart
    a stale pooled one fails once, is dropped from the pool, and the caller is told to retry
    (503, Retry-After), as on every other route; the next verification is answered. (The
    limit counts in Redis here, so that no sync of it meets the stale connection first.)"""
    if not database.is_postgresql:
        pytest.skip("PostgreSQL only: SQLite reads through a session, with no server to lose")
    await Redis.from_url(redis_url).flushdb()
    counted_in_redis = settings.model_copy(update={"redis_url": redis_url})
    async with (
        database.engine.connect() as other,  # held, so the scanner's connection is another
        processes(counted_in_redis, database, 1) as (scanner,),
    ):
        assert (await scanner.post(VERIFY, json=GUESS)).status_code == 200
        await other.execute(text(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        ))  # fmt: skip
        lost = await scanner.post(VERIFY, json=GUESS)
        assert lost.status_code == 503, lost.text
        assert lost.headers["content-type"] == "application/problem+json"
        assert lost.headers["retry-after"] == "1"
        assert lost.json()["code"] == "service.database_unavailable"
        assert (await scanner.post(VERIFY, json=GUESS)).status_code == 200
