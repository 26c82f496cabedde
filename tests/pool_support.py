"""A PostgreSQL database with a pool of two connections, and how many of them are lent out: for
the tests of what holds a pooled connection and when it goes back."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from sqlalchemy.pool import QueuePool

from app.db import Database


@asynccontextmanager
async def small_database(database_url: str) -> AsyncIterator[Database]:
    """The database with a pool of two connections (the test is skipped on SQLite: driver
    connections and statement-wise sessions are PostgreSQL's)."""
    db = Database.from_url(database_url, pool_size=2)
    if not db.is_postgresql:
        await db.dispose()
        pytest.skip("PostgreSQL only: driver connections and statement-wise sessions")
    try:
        yield db
    finally:
        await db.dispose()


def checked_out(db: Database) -> int:
    """Connections the pool has lent out (parked driver connections among them)."""
    pool = db.engine.sync_engine.pool
    assert isinstance(pool, QueuePool)
    return pool.checkedout()
