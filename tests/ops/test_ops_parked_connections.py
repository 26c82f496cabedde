"""Driver connections parked between uses (app/db_parked.py): lent again without the pool's
checkout, and never in the way of a session waiting on the pool."""

from __future__ import annotations

import asyncio

import pytest
from pool_support import checked_out
from sqlalchemy import text

from app import db_parked
from app.db import Database


async def _backend(db: Database) -> int:
    async with db.driver_connection() as driver:
        return int(await driver.fetchval("SELECT pg_backend_pid()"))


async def test_a_driver_connection_is_lent_again_without_the_pool(small: Database) -> None:
    first = await _backend(small)
    assert checked_out(small) == 1, "parked, still counted by the pool"
    assert await _backend(small) == first
    assert checked_out(small) == 1


async def test_nothing_is_parked_when_the_pool_has_no_other_connection(
    database_url: str,
) -> None:
    db = Database.from_url(database_url, pool_size=1)
    if not db.is_postgresql:
        await db.dispose()
        pytest.skip("driver connections are asyncpg's: PostgreSQL only")
    try:
        await _backend(db)
        assert checked_out(db) == 0
        async with db.session() as session:  # gets it at once
            assert await session.scalar(text("SELECT 1")) == 1
    finally:
        await db.dispose()


async def test_the_parked_go_back_when_the_pool_lends_its_last_free_one(small: Database) -> None:
    await _backend(small)
    assert checked_out(small) == 1
    async with small.session() as first:
        await first.execute(text("SELECT 1"))  # the pool's last free connection
        await asyncio.sleep(0)  # the parked one goes back on the next turn of the loop
        assert checked_out(small) == 1
        async with small.session() as second:
            # Had the parked connection stayed, this would wait the pool's 30 s timeout.
            one = await asyncio.wait_for(second.scalar(text("SELECT 1")), timeout=5)
            assert one == 1


async def test_an_unused_parked_connection_goes_back(
    small: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db_parked, "PARKED_SECONDS", 0.05)
    await _backend(small)
    assert checked_out(small) == 1
    await asyncio.sleep(0.3)
    assert checked_out(small) == 0


async def test_a_failed_statement_returns_its_connection_to_the_pool(small: Database) -> None:
    with pytest.raises(Exception, match="division by zero"):
        async with small.driver_connection() as driver:
            await driver.fetchval("SELECT 1 / 0")
    assert checked_out(small) == 0


async def test_disposing_returns_the_parked(small: Database) -> None:
    await _backend(small)
    await small.dispose()
    assert checked_out(small) == 0
