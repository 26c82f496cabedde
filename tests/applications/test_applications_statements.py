"""The statements a 秒批 submission runs, pinned: under a burst the server's CPU goes mostly to
round trips to the database (issue 20), so a statement more per submission is a regression to
see in review, not in a benchmark. PostgreSQL takes the token's state, the reads and the case
number through the driver, counted here too, and writes the rows nobody changes again (the
timeline's steps, the jobs, the events, the reads logged) in one staged statement per
transaction (app.db_staged), where SQLite's unit of work writes one per table. BEGIN and
COMMIT, which the driver sends unseen by SQLAlchemy, are not statements here on either.

Lower the pin when a change saves a statement; raise it only with a reason in the commit."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import asyncpg
import httpx
import pytest
from application_forms import rent_withdrawal
from persona_support import PERSONAS, SignIn, submitted
from sqlalchemy import event

from app.db import Database

RENT = "gjj.withdraw.rent"

# The reads (the token, the account, the entitlement's grants, the registry's licenses for the
# materials), the case number, the filing (case and first step), and the approval: the grant,
# the case, its last two timeline steps, the two events, the jobs queued (the events' fan-outs
# and the payment), the departments' reads logged, then the audit record (appended to the chain
# inline in the tests; the API's sessions defer it, and stage it too). SQLite: the reads logged
# as they are made, then one INSERT per table at the flush; PostgreSQL: the filing's first step
# staged, and the approval's steps, events, jobs and reads logged in one statement.
SUBMISSION_STATEMENTS = {"sqlite": 14, "postgresql": 11}
# The reads, the filing, the approval. (On PostgreSQL the reads, all through the driver, begin
# no transaction: their commit is SQLAlchemy's alone and sends nothing.)
SUBMISSION_COMMITS = 3


@contextmanager
def counting(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The statements run while the block runs: SQLAlchemy's (an executemany is one), and
    those sent past it through asyncpg's own look-ups (app.db.fetch_driver_row); "COMMIT" for
    each commit."""
    seen: list[str] = []

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        if not sql.startswith("BEGIN"):
            seen.append(" ".join(sql.split())[:120])

    def commit(_conn: Any) -> None:
        seen.append("COMMIT")

    for name in ("fetch", "fetchrow", "fetchval"):
        original = getattr(asyncpg.connection.Connection, name)

        async def driver(self: Any, sql: str, *args: Any, _original: Any = original) -> Any:
            seen.append(" ".join(sql.split())[:120])
            return await _original(self, sql, *args)

        monkeypatch.setattr(asyncpg.connection.Connection, name, driver)
    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", commit)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", commit)


async def test_an_auto_approved_submission_runs_its_pinned_statements(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A first submission (referred: the owner has a flat) fills the per-process caches of the
    # service and its ruleset, as any burst's first does.
    owner = await sign_in("flat_owner", face=True)
    await submitted(client, owner, RENT, rent_withdrawal(PERSONAS["flat_owner"]))
    headers = await sign_in("renter", face=True)
    with counting(database, monkeypatch) as seen:
        case = await submitted(client, headers, RENT, rent_withdrawal(PERSONAS["renter"]), [])
    assert case["status"] == "approved"
    statements = [sql for sql in seen if sql != "COMMIT"]
    listing = "\n".join(seen)
    assert len(statements) == SUBMISSION_STATEMENTS[database.dialect], listing
    assert len(seen) - len(statements) == SUBMISSION_COMMITS, listing
