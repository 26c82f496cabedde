"""Statement-wise sessions (Database.autocommit_session) on PostgreSQL: one that only lent its
database to driver look-ups is not closed (there is nothing to release) and the next block takes
it again; one that used a connection, loaded objects or noted something in its `info` is closed
or dropped, as `async with` would, and never lent again."""

from __future__ import annotations

import pytest
from pool_support import checked_out
from sqlalchemy import inspect, select, text

from app.auth import token_states
from app.db import Database
from app.services.catalog.models import Department


async def test_sessions_that_only_lend_their_database_leave_the_pool_whole(
    small: Database,
) -> None:
    # More sessions than the pool has connections: one kept by a session would starve the rest.
    for _ in range(10):
        async with small.autocommit_session() as session:
            state = await token_states.access_token_state(
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


async def test_an_untouched_session_is_lent_again_and_only_then(small: Database) -> None:
    async with small.autocommit_session() as first:
        await token_states.access_token_state(
            first, jti="none", claims_digest="0" * 64, client_id="none", grant_id=None
        )
    async with small.autocommit_session() as second:
        assert second is first
        # Two blocks at once never share one.
        async with small.autocommit_session() as third:
            assert third is not second


async def test_a_session_that_held_something_is_not_lent_again(small: Database) -> None:
    async with small.autocommit_session() as loaded:
        assert await loaded.scalar(select(Department).limit(1)) is not None
    async with small.autocommit_session() as noted:
        assert noted is not loaded
        assert not noted.identity_map
        noted.info["a request's own note"] = True
    async with small.autocommit_session() as after:
        assert after is not noted
        assert "a request's own note" not in after.info


async def test_a_session_whose_block_failed_is_not_lent_again(small: Database) -> None:
    with pytest.raises(RuntimeError, match="the request failed"):
        async with small.autocommit_session() as failed:
            raise RuntimeError("the request failed")
    async with small.autocommit_session() as after:
        assert after is not failed
