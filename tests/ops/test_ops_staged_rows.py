"""Staged rows (app.db.stage, app.db_staged): in a PostgreSQL unit of work the rows nobody
changes again — jobs, notification events, unsealed audit records, timeline steps, the
data-access log — are written together in one statement, before the session's next statement
or at its commit; a query in the transaction sees them, a rollback drops them, a savepoint
rolled back keeps those staged before it. On SQLite they are ORM objects as before, and the
same tests hold."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import bindparam, event, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import access_log
from app.adapters.models import DataAccessRecord
from app.adapters.schemas import DataAccessEntry, SubjectRef
from app.audit import service as audit
from app.audit.models import AuditRecord
from app.audit.schemas import AuditEntry
from app.db import AUDIT_SEALING_KEY, Database, DriverStatement, fetch_driver_row
from app.jobs import repository as job_rows
from app.jobs import service as jobs
from app.jobs.models import Job
from app.kit.clock import utcnow
from app.notifications import events
from app.notifications import service as notifications
from app.notifications.models import Event


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The statements SQLAlchemy sends while the block runs (an executemany is one)."""
    seen: list[str] = []

    def sent(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen.append(" ".join(sql.split()))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", sent)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", sent)


def _read(number: int) -> DataAccessEntry:
    return DataAccessEntry(
        calling_system="qingeban",
        actor_type="system",
        actor_id="test",
        subject=SubjectRef(kind="person", index=f"{number:064x}", masked="1101**********0011"),
        department="gjj",
        dataset="account",
        purpose="application:gjj.withdraw.rent",
        outcome="found",
    )


async def _count(database: Database, model: Any, *where: Any) -> int:
    async with database.session(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model).where(*where)))


async def test_an_approvals_rows_are_written_in_one_statement_at_commit(
    database: Database,
) -> None:
    run_after = utcnow() + timedelta(hours=1)
    async with database.session() as session:
        session.info[AUDIT_SEALING_KEY] = "deferred"  # as the API's sessions on PostgreSQL
        job = await jobs.enqueue(session, "test.pay", {"amount": 1500, "note": "租房"},
                                 run_after=run_after)  # fmt: skip
        event_id = await notifications.publish(
            session, events.APPLICATION_DECIDED, subject="application/1", payload={"n": 1}
        )
        await access_log.record_many(session, [_read(1), _read(2)])
        record = await audit.record(
            session,
            AuditEntry(
                actor_type="system",
                actor_id="test",
                action="test.staged",
                subject_type="job",
                subject_id="1",
            ),
        )
        with statements(database) as seen:
            await session.commit()
    inserts = [sql for sql in seen if "INSERT" in sql]
    if database.is_postgresql:
        # One statement for five rows of four tables (the published event's fan-out is a job).
        assert len(inserts) == 1, seen
        assert inserts[0].startswith("WITH staged_0 AS (INSERT INTO")
    else:
        # The ORM's flush, one per table (the reads were logged by an INSERT of their own).
        assert len(inserts) == 3, seen
    async with database.session(write=False) as session:
        stored = await session.get(Job, job.id)
        assert stored is not None
        # Values go through their columns' types: JSON, the UTC timestamp.
        assert stored.payload == {"amount": 1500, "note": "租房"}
        assert stored.run_after == run_after
        assert stored.state == "queued"
        assert await session.get(Event, event_id) is not None
        unsealed = await session.get(AuditRecord, record.id)
        assert unsealed is not None
        assert unsealed.seq is None
        assert unsealed.body_digest
    assert await _count(database, DataAccessRecord, DataAccessRecord.actor_id == "test") == 2
    assert await _count(database, Job) == 2  # the payment and the event's fan-out


async def test_a_query_in_the_transaction_sees_the_staged_rows(database: Database) -> None:
    async with database.session() as session:
        job = await jobs.enqueue(session, "test.seen", {})
        found = await session.scalar(select(Job.kind).where(Job.id == job.id))
        assert found == "test.seen"
        # An ORM object of another table staged after the query: written at the commit.
        await jobs.enqueue(session, "test.later", {})
    assert await _count(database, Job) == 2


async def test_a_driver_look_up_on_the_sessions_connection_sees_the_staged_rows(
    database: Database,
) -> None:
    if not database.is_postgresql:
        pytest.skip("driver look-ups are asyncpg's")
    lookup = DriverStatement(select(Job.kind).where(Job.kind == bindparam("kind")))
    async with database.session() as session:
        await session.connection()  # the look-up then runs on the session's own connection
        await jobs.enqueue(session, "test.driver", {})
        row = await fetch_driver_row(session, lookup, {"kind": "test.driver"})
        assert row is not None
        assert row["kind"] == "test.driver"


async def test_rolled_back_rows_are_never_written(database: Database) -> None:
    async with database.session() as session:
        await jobs.enqueue(session, "test.dropped", {})
        await session.rollback()
        await jobs.enqueue(session, "test.kept", {})
    async with database.session(write=False) as session:
        assert list(await session.scalars(select(Job.kind))) == ["test.kept"]
    with pytest.raises(RuntimeError):
        await _failed_request(database)
    assert await _count(database, Job) == 1


async def _failed_request(database: Database) -> None:
    async with database.session() as session:
        await jobs.enqueue(session, "test.failed_request", {})
        raise RuntimeError("the request failed")


async def test_a_conflict_in_the_staged_statement_loses_nothing_else(database: Database) -> None:
    async with database.session() as session:
        first = await jobs.enqueue(session, "test.one", {})
        session.info[AUDIT_SEALING_KEY] = "deferred"
        await audit.record(
            session,
            AuditEntry(
                actor_type="system", actor_id="t", action="x.y", subject_type="job", subject_id="1"
            ),
        )
        await jobs.enqueue(session, "test.same_id", {})
        clash = Job(id=first.id, kind="test.clash", payload={}, state="queued", attempts=0,
                    max_attempts=1, run_after=utcnow(), created_at=utcnow(),
                    updated_at=utcnow())  # fmt: skip
        await job_rows.add(session, clash)
        with pytest.raises(IntegrityError):
            await session.commit()
        await session.rollback()
        # The session goes on: nothing of the failed transaction is staged any more.
        await jobs.enqueue(session, "test.after", {})
    async with database.session(write=False) as session:
        assert list(await session.scalars(select(Job.kind))) == ["test.after"]
    assert await _count(database, AuditRecord, AuditRecord.action == "x.y") == 0


async def test_a_savepoint_rolled_back_keeps_what_was_staged_before_it(
    database: Database,
) -> None:
    async with database.session() as session:
        await jobs.enqueue(session, "test.before", {})
        with pytest.raises(IntegrityError):
            await _failed_savepoint(session, database)
        # Released normally, a savepoint leaves them staged too.
        async with session.begin_nested():
            await jobs.enqueue(session, "test.in_released", {})
    async with database.session(write=False) as session:
        kinds = sorted(await session.scalars(select(Job.kind)))
    assert kinds == ["test.before", "test.in_released"]


async def _failed_savepoint(session: AsyncSession, database: Database) -> None:
    async with session.begin_nested():
        await jobs.enqueue(session, "test.inside", {})  # added to the session here
        # A query inside the savepoint does not write what was staged before it (PostgreSQL);
        # on SQLite the job before it is an ORM object, flushed when the savepoint began.
        seen = await session.scalar(select(func.count()).select_from(Job))
        assert seen == (1 if database.is_postgresql else 2)
        session.add(Event(id=uuid.UUID(int=1), type="x", subject="s", occurred_at=None,
                          payload={}, audience={}))  # fmt: skip
        await session.flush()


async def test_many_rows_of_one_table_are_written_apart(database: Database) -> None:
    # A campaign logs many reads at once: more than one statement holds (one per count would
    # fill the statement caches), so they go by themselves.
    async with database.session() as session:
        await jobs.enqueue(session, "test.with_them", {})
        await access_log.record_many(session, [_read(number) for number in range(100)])
    assert await _count(database, DataAccessRecord) == 100
    assert await _count(database, Job) == 1
