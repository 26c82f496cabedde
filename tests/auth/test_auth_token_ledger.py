"""The token ledger (app.auth.token_ledger): records of concurrent client-credentials requests
committed together, and a failed insert failing every request of its batch."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.auth.models import AccessToken
from app.auth.token_ledger import TokenLedger, ledger_for
from app.db import Database
from app.kit.clock import utcnow


async def _recorded(database: Database, jtis: list[str]) -> int:
    async with database.session(write=False) as session:
        statement = select(func.count()).where(AccessToken.jti.in_(jtis))
        return int((await session.execute(statement)).scalar_one())


async def test_sqlite_has_no_ledger_and_postgresql_one_per_database(database: Database) -> None:
    ledger = ledger_for(database)
    if not database.is_postgresql:
        # The request's unit of work holds SQLite's one write lock; a ledger would wait on it.
        assert ledger is None
        return
    assert isinstance(ledger, TokenLedger)
    assert ledger_for(database) is ledger


async def test_a_batch_commits_together_or_fails_every_waiting_request(
    database: Database,
) -> None:
    ledger = ledger_for(database)
    if ledger is None:
        pytest.skip("PostgreSQL only: SQLite records tokens in the request's unit of work")
    expires_at = utcnow() + timedelta(minutes=5)
    first = [f"ledger-a-{n}" for n in range(10)]
    await asyncio.gather(
        *(ledger.record(jti=jti, claims_digest="0" * 64, expires_at=expires_at) for jti in first)
    )
    assert await _recorded(database, first) == 10
    # One record of the next batch repeats a recorded jti: the insert fails as a whole, every
    # request waiting on it is told so, and none of its other records exists.
    doomed = [f"ledger-b-{n}" for n in range(5)]
    outcomes = await asyncio.gather(
        *(
            ledger.record(jti=jti, claims_digest="0" * 64, expires_at=expires_at)
            for jti in [*doomed, first[0]]
        ),
        return_exceptions=True,
    )
    assert all(isinstance(outcome, IntegrityError) for outcome in outcomes)
    assert await _recorded(database, doomed) == 0
    # The ledger carries on with the next batch.
    await ledger.record(jti="ledger-c", claims_digest="0" * 64, expires_at=expires_at)
    assert await _recorded(database, ["ledger-c"]) == 1
