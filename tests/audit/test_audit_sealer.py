"""Deferred sealing: records appended unsealed without a lock, linked into the chain afterwards
by the sealer, in one gapless chain that verifies as strictly as one built inline."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import repository, sealer, service
from app.audit.models import AuditRecord
from app.audit.schemas import AuditContext, AuditEntry, ChainReport
from app.config import Settings
from app.db import Database

Verify = Callable[..., Awaitable[ChainReport]]
Tamper = Callable[[Callable[[AsyncConnection], Awaitable[None]]], Awaitable[None]]
Cli = Callable[..., Awaitable[tuple[int, Any]]]

CONTEXT = AuditContext(request_id="req-7", client_address="10.1.2.3")


def entry(n: int) -> AuditEntry:
    """A licence revocation, numbered so that every record differs."""
    return CONTEXT.entry(
        actor_type="staff",
        actor_id=f"clerk-{n}",
        action="license.revoked",
        subject_type="license",
        subject_id=f"L-{n:04d}",
        before={"status": "valid"},
        after={"status": "revoked"},
    )


@pytest.fixture
async def deferred(settings: Settings) -> AsyncIterator[Database]:
    """The test's database as the API and workers open it on PostgreSQL: appends unsealed."""
    db = Database.from_url(settings.database_url, audit_sealing="deferred")
    yield db
    await db.dispose()


async def append(database: Database, *numbers: int) -> None:
    """Append one record per number, each in its own committed transaction."""
    for n in numbers:
        async with database.session() as session:
            await service.record(session, entry(n))


async def rows(database: Database) -> list[dict[str, Any]]:
    """Every record, sealed ones in chain order first, then the unsealed."""
    statement = select(AuditRecord.__table__).order_by(
        AuditRecord.seq.is_(None), AuditRecord.seq, AuditRecord.occurred_at
    )
    async with database.engine.connect() as connection:
        return [dict(row) for row in (await connection.execute(statement)).mappings()]


def assert_gapless(chain: list[dict[str, Any]], length: int) -> None:
    assert [r["seq"] for r in chain] == list(range(1, length + 1))
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(chain))
    assert all(r["body_digest"] is None for r in chain)


async def edit_unsealed(connection: AsyncConnection, record_id: Any, **values: Any) -> None:
    """Edit an unsealed record behind the triggers' back, as the table owner could, and leave
    the triggers as they were (the sealer must still be able to seal the others)."""
    if connection.dialect.name == "postgresql":
        await connection.execute(text("SET LOCAL session_replication_role = replica"))
        await connection.execute(
            update(AuditRecord).where(AuditRecord.id == record_id).values(**values)
        )
        return
    guard = "audit_records_no_update"
    sql = (
        await connection.execute(
            text("SELECT sql FROM sqlite_master WHERE name = :name"), {"name": guard}
        )
    ).scalar_one()
    await connection.execute(text(f"DROP TRIGGER {guard}"))
    await connection.execute(
        update(AuditRecord).where(AuditRecord.id == record_id).values(**values)
    )
    await connection.execute(text(sql))


async def test_concurrent_appends_are_sealed_into_one_gapless_chain(
    deferred: Database, verify: Verify
) -> None:
    async def writer(n: int) -> None:
        async with deferred.session() as session:
            await asyncio.sleep(0)
            record = await service.record(session, entry(n))
            # Unsealed: no link yet, and nothing to wait for.
            assert (record.seq, record.prev_hash, record.hash) == (None, None, None)
            await asyncio.sleep(0.002 * (n % 3))

    await asyncio.gather(*(writer(n) for n in range(1, 31)))
    waiting = await verify(full=True)
    assert (waiting.ok, waiting.head_seq, waiting.unsealed_records) == (True, 0, 30)
    assert waiting.oldest_unsealed_at is not None

    outcome = await service.seal(deferred)
    assert (outcome.sealed, outcome.altered, outcome.busy) == (30, [], False)
    chain = await rows(deferred)
    assert_gapless(chain, 30)
    assert sorted(r["subject_id"] for r in chain) == sorted(f"L-{n:04d}" for n in range(1, 31))
    report = await verify(full=True, batch_size=7)
    assert (report.ok, report.records_checked, report.head_seq, report.unsealed_records) == (
        True,
        30,
        30,
        0,
    )
    assert report.head_hash == chain[-1]["hash"]


async def test_inline_and_deferred_appends_share_one_chain(
    database: Database, deferred: Database, verify: Verify
) -> None:
    await append(deferred, 1, 2)
    await append(database, 3)  # inline: linked at once, ahead of the two still waiting
    await service.seal(deferred)
    await append(deferred, 4)
    await append(database, 5)
    await service.seal(deferred)
    chain = await rows(deferred)
    assert_gapless(chain, 5)
    assert [r["subject_id"] for r in chain] == ["L-0003", "L-0001", "L-0002", "L-0005", "L-0004"]
    assert (await verify(full=True)).ok


async def test_a_crash_between_append_and_seal_loses_nothing(
    deferred: Database, verify: Verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    await append(deferred, 1, 2, 3)
    real_seal = repository.seal_pending

    async def seal_then_die(session: Any, **kwargs: Any) -> Any:
        await real_seal(session, **kwargs)
        raise ConnectionError("the process died before the sealing transaction committed")

    monkeypatch.setattr(repository, "seal_pending", seal_then_die)
    with pytest.raises(ConnectionError):
        await service.seal(deferred)
    monkeypatch.undo()
    assert [r["seq"] for r in await rows(deferred)] == [None, None, None]

    await append(deferred, 4)
    assert (await service.seal(deferred)).sealed == 4
    assert_gapless(await rows(deferred), 4)
    report = await verify(full=True)
    assert (report.ok, report.records_checked, report.unsealed_records) == (True, 4, 0)


async def test_an_edited_unsealed_record_is_reported_and_never_sealed(
    deferred: Database, verify: Verify
) -> None:
    await append(deferred, 1, 2, 3)
    second = (await rows(deferred))[1]
    async with deferred.engine.begin() as connection:
        await edit_unsealed(connection, second["id"], action="license.reinstated")

    report = await verify(full=True)
    assert (report.ok, report.reason, report.altered_unsealed_id) == (
        False,
        "unsealed_record_altered",
        second["id"],
    )
    outcome = await service.seal(deferred)
    assert (outcome.sealed, outcome.altered) == (2, [str(second["id"])])
    after = await verify(full=True)
    # The chain of the other two holds; the altered record stays out of it, and reported.
    assert (after.records_checked, after.head_seq, after.unsealed_records) == (2, 2, 1)
    assert (after.ok, after.reason, after.altered_unsealed_id) == (
        False,
        "unsealed_record_altered",
        second["id"],
    )


async def test_an_edited_sealed_record_breaks_the_chain(
    deferred: Database, verify: Verify, tamper: Tamper
) -> None:
    await append(deferred, 1, 2, 3)
    await service.seal(deferred)

    async def edit(connection: AsyncConnection) -> None:
        await connection.execute(
            update(AuditRecord).where(AuditRecord.seq == 2).values(actor_id="clerk-99")
        )

    await tamper(edit)
    report = await verify(full=True)
    assert (report.ok, report.first_broken_seq, report.reason) == (False, 2, "hash_mismatch")


@pytest.mark.parametrize(
    "change",
    [
        # Sealing while changing the content.
        {"seq": 1, "prev_hash": "0" * 64, "hash": "a" * 64, "body_digest": None, "action": "x.y"},
        # A link that does not extend the head.
        {"seq": 2, "prev_hash": "0" * 64, "hash": "a" * 64, "body_digest": None},
        # Content edited, left unsealed.
        {"actor_id": "clerk-99"},
    ],
    ids=["content-changed", "not-extending-the-head", "unsealed-edit"],
)
async def test_the_database_allows_an_unsealed_record_nothing_but_a_seal(
    deferred: Database, verify: Verify, change: dict[str, Any]
) -> None:
    await append(deferred, 1)
    record_id = (await rows(deferred))[0]["id"]
    with pytest.raises(DBAPIError):
        async with deferred.engine.begin() as connection:
            await connection.execute(
                update(AuditRecord).where(AuditRecord.id == record_id).values(**change)
            )
    with pytest.raises(DBAPIError, match="append-only"):
        async with deferred.engine.begin() as connection:
            await connection.execute(delete(AuditRecord).where(AuditRecord.id == record_id))
    assert (await service.seal(deferred)).sealed == 1
    assert (await verify(full=True)).records_checked == 1


async def test_sealers_running_at_once_do_not_fork_the_chain(
    deferred: Database, settings: Settings, verify: Verify
) -> None:
    others = [Database.from_url(settings.database_url) for _ in range(3)]
    try:

        async def keep_appending() -> None:
            for n in range(1, 61):
                await append(deferred, n)

        async def keep_sealing(database: Database) -> None:
            for _ in range(15):
                await sealer.seal(database, batch_size=4)
                await asyncio.sleep(0)

        await asyncio.gather(
            keep_appending(), keep_sealing(deferred), *(keep_sealing(db) for db in others)
        )
    finally:
        for db in others:
            await db.dispose()
    await service.seal(deferred)
    assert_gapless(await rows(deferred), 60)
    report = await verify(full=True)
    assert (report.ok, report.records_checked, report.unsealed_records) == (True, 60, 0)


async def test_the_sealer_of_a_process_seals_within_its_interval(
    deferred: Database, verify: Verify
) -> None:
    running = sealer.Sealer(deferred, interval=0.05)
    running.start()
    try:
        await append(deferred, 1, 2, 3)
        for _ in range(500):  # 10 s at most, for a sealer due every 0.05 s
            if all(r["seq"] is not None for r in await rows(deferred)):
                break
            await asyncio.sleep(0.02)
    finally:
        await running.stop()
    assert_gapless(await rows(deferred), 3)
    assert (await verify(full=True)).ok


async def test_the_records_list_shows_sealed_records(deferred: Database) -> None:
    await append(deferred, 1)
    await service.seal(deferred)
    await append(deferred, 2)
    async with deferred.session(write=False) as session:
        before = await service.list_records(session)
    assert [(item.seq, item.subject_id) for item in before.items] == [(1, "L-0001")]
    await service.seal(deferred)
    async with deferred.session(write=False) as session:
        after = await service.list_records(session)
    assert [(item.seq, item.subject_id) for item in after.items] == [(2, "L-0002"), (1, "L-0001")]


async def test_operators_seal_by_hand_and_checkpoints_cover_what_waited(
    deferred: Database, cli: Cli
) -> None:
    await append(deferred, 1, 2)
    code, out = await cli("audit", "seal")
    assert (code, out) == (0, {"sealed": 2, "altered": [], "busy": False})
    await append(deferred, 3)
    code, out = await cli("audit", "checkpoint")
    assert (code, out["written"], out["checkpoint"]["seq"]) == (0, True, 3)
    assert out["report"]["unsealed_records"] == 0


def test_deferred_sealing_is_the_default_on_postgresql_only(settings: Settings) -> None:
    pg = settings.model_copy(update={"database_url": "postgresql+asyncpg://db/qe"})
    lite = settings.model_copy(update={"database_url": "sqlite+aiosqlite:///qe.db"})
    assert (pg.audit_sealing_mode, lite.audit_sealing_mode) == ("deferred", "inline")
    forced = lite.model_copy(update={"audit_sealing": "deferred"})
    assert forced.audit_sealing_mode == "deferred"


async def test_a_record_that_commits_after_a_seal_is_sealed_by_the_next(
    deferred: Database, verify: Verify
) -> None:
    if not deferred.is_postgresql:
        pytest.skip("PostgreSQL only: SQLite's writers are serial, none commits behind another")
    # The late record is appended first (its occurred_at is older) but commits last: a sealer
    # that kept a high-water mark would pass it by for good.
    async with deferred.session() as late:
        await service.record(late, entry(1))
        await late.flush()
        await append(deferred, 2)
        assert (await service.seal(deferred)).sealed == 1
    assert (await service.seal(deferred)).sealed == 1
    chain = await rows(deferred)
    assert_gapless(chain, 2)
    assert [r["subject_id"] for r in chain] == ["L-0002", "L-0001"]
    assert (await verify(full=True)).ok
