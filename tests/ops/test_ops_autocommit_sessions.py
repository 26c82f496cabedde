"""Statement-wise sessions (Database.autocommit_session) on PostgreSQL: one that only lent its
database to driver look-ups is not closed (there is nothing to release), and one that used a
connection or loaded objects is, as `async with` would close it."""

from __future__ import annotations

import pytest
from pool_support import checked_out
from sqlalchemy import inspect, select, text

from app.auth import repository
from app.db import Database
from app.services.catalog.models import Department


async def test_sessions_that_only_lend_their_database_leave_the_pool_whole(
    small: Database,
) -> None:
    # More sessions than the pool has connections: one kept by a session would starve the rest.
    for _ in range(10):
        async with small.autocommit_session() as session:
            state = await repository.access_token_state(
                session, jti="none", claims_digest="0" * 64, client_id="none", grant_id=None
            )
            assert state is None
    assert checked_out(small) <= 1  # the driver connection parked for the next look-up
    async with small.session() as session:
        assert await session.scalar(text("SELECT 1")) == 1


async def test_a_session_that_loaded_objects_is_closed(small: Database) -> None:
    async with small.autocommit_session() as session:
        department = await session.scalar(select(Department).limit(1))
        assert department is not None
        assert not inspect(department).detached
    assert inspect(department).detached
    assert checked_out(small) == 0


async def _failing_midway(db: Database) -> None:
    async with db.autocommit_session() as session:
        await session.execute(text("SELECT 1"))
        assert checked_out(db) == 1
        raise RuntimeError("the request failed")


async def test_a_session_that_fails_midway_gives_its_connection_back(small: Database) -> None:
    with pytest.raises(RuntimeError, match="the request failed"):
        await _failing_midway(small)
    assert checked_out(small) == 0
