"""Recording: what a record holds, how it links, and that it shares the caller's transaction."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic import ValidationError
from sqlalchemy import RowMapping, func, select, update
from sqlalchemy.exc import IntegrityError

from app.audit import repository, service
from app.audit.canonical import GENESIS_HASH, changes_digest
from app.audit.models import AuditChainHead, AuditRecord
from app.audit.schemas import AuditContext, AuditEntry, ChainReport
from app.db import Database

Verify = Callable[..., Awaitable[ChainReport]]

CONTEXT = AuditContext(request_id="req-42", client_address="203.0.113.7")
BEFORE = {"status": "valid", "holder_id": "370202199001011234"}
AFTER = {"status": "revoked", "holder_id": "370202199001011234"}


def revoke(n: int = 1, **overrides: Any) -> AuditEntry:
    fields: dict[str, Any] = {
        "actor_type": "staff",
        "actor_id": "clerk-7",
        "action": "license.revoked",
        "subject_type": "license",
        "subject_id": f"L-{n}",
        "purpose": "fraud",
        "before": BEFORE,
        "after": AFTER,
    }
    fields.update(overrides)
    return CONTEXT.entry(**fields)


async def all_rows(database: Database) -> list[dict[str, Any]]:
    async with database.engine.connect() as connection:
        result = await connection.execute(select(AuditRecord.__table__).order_by(AuditRecord.seq))
        return [dict(row) for row in result.mappings()]


async def test_a_record_holds_the_entry_and_a_digest_but_not_the_values(
    database: Database,
) -> None:
    async with database.session() as session:
        first = await service.record(session, revoke(1))
    async with database.session() as session:
        second = await service.record(session, revoke(2, after={**AFTER, "status": "suspended"}))

    rows = await all_rows(database)
    assert [r["seq"] for r in rows] == [1, 2]
    stored = rows[0]
    assert stored["id"] == first.id
    assert (stored["actor_type"], stored["actor_id"], stored["action"]) == (
        "staff",
        "clerk-7",
        "license.revoked",
    )
    assert (stored["subject_type"], stored["subject_id"], stored["purpose"]) == (
        "license",
        "L-1",
        "fraud",
    )
    assert (stored["request_id"], stored["client_address"]) == ("req-42", "203.0.113.7")
    assert stored["occurred_at"].tzinfo is not None
    assert abs((datetime.now(UTC) - stored["occurred_at"]).total_seconds()) < 60
    # The personal data in before/after is nowhere in the row, only its digest.
    assert not any("370202199001011234" in str(value) for value in stored.values())
    assert stored["changes_digest"] == changes_digest(BEFORE, AFTER)
    assert rows[1]["changes_digest"] != stored["changes_digest"]
    # The chain links: genesis → first → second.
    assert (stored["prev_hash"], stored["hash"]) == (GENESIS_HASH, first.hash)
    assert rows[1]["prev_hash"] == first.hash
    assert rows[1]["hash"] == second.hash != first.hash


async def test_a_rolled_back_change_takes_its_record_with_it(
    database: Database, verify: Verify
) -> None:
    async def audit_then_fail() -> None:
        async with database.session() as session:
            await service.record(session, revoke(1))
            raise RuntimeError("the change failed after it was audited")

    with pytest.raises(RuntimeError):
        await audit_then_fail()

    async with database.session() as session:
        kept = await service.record(session, revoke(2))
    assert (kept.seq, kept.prev_hash) == (1, GENESIS_HASH)
    assert [r["subject_id"] for r in await all_rows(database)] == ["L-2"]
    assert (await verify(full=True)).ok


async def test_many_records_in_one_transaction_chain_in_order(
    database: Database, verify: Verify
) -> None:
    async with database.session() as session:
        records = [await service.record(session, revoke(n)) for n in range(1, 51)]
    assert [r.seq for r in records] == list(range(1, 51))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(records))
    report = await verify(full=True, batch_size=7)
    assert (report.ok, report.records_checked, report.head_seq) == (True, 50, 50)


async def test_concurrent_writers_build_one_unbroken_chain(
    database: Database, verify: Verify
) -> None:
    async def writer(n: int) -> None:
        async with database.session() as session:
            await asyncio.sleep(0)  # let the others start their transactions too
            if n % 2:  # half audit after other work, half as their first statement
                await session.execute(select(func.count()).select_from(AuditRecord))
            await service.record(session, revoke(n))
            # Keep the head locked a moment, so the others queue on it and must then link to
            # the head as the holder leaves it, not as it was when they started waiting.
            await asyncio.sleep(0.005 * (n % 3))

    await asyncio.gather(*(writer(n) for n in range(20)))

    rows = await all_rows(database)
    assert [r["seq"] for r in rows] == list(range(1, 21))
    assert sorted(r["subject_id"] for r in rows) == sorted(f"L-{n}" for n in range(20))
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(rows))
    report = await verify(full=True)
    assert (report.ok, report.records_checked) == (True, 20)


async def test_verification_reads_one_snapshot_while_others_append(
    database: Database, verify: Verify, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with database.session() as session:
        for n in range(1, 7):
            await service.record(session, revoke(n))
    real_batch = repository.chain_batch

    async def batch_then_append(session: Any, **kwargs: Any) -> Sequence[RowMapping]:
        rows = await real_batch(session, **kwargs)
        async with database.session() as writer:  # another connection commits meanwhile
            await service.record(writer, revoke(100 + kwargs["after_seq"]))
        return rows

    monkeypatch.setattr(repository, "chain_batch", batch_then_append)
    report = await verify(full=True, batch_size=2)
    assert (report.ok, report.records_checked, report.head_seq) == (True, 6, 6)

    monkeypatch.undo()
    later = await verify(full=True)
    assert later.ok
    assert later.records_checked == later.head_seq > 6


async def test_the_head_moves_with_every_record(database: Database) -> None:
    async with database.session() as session:
        await service.record(session, revoke(1))
        last = await service.record(session, revoke(2))
    async with database.session(write=False) as session:
        assert await repository.read_head(session) == (2, last.hash)
        count = (await session.execute(select(func.count()).select_from(AuditRecord))).scalar()
    assert count == 2


@pytest.mark.parametrize("after_other_work", [False, True])
async def test_a_record_that_collides_fails_the_transaction_as_an_integrity_error(
    database: Database, after_other_work: bool
) -> None:
    async with database.session() as session:
        for n in range(1, 4):
            await service.record(session, revoke(n))
    async with database.engine.begin() as connection:
        # An operator winds the head back by hand, onto a position that is taken.
        first = (
            await connection.execute(select(AuditRecord.hash).where(AuditRecord.seq == 1))
        ).scalar_one()
        await connection.execute(update(AuditChainHead).values(seq=1, hash=first))

    async def record_again() -> None:
        async with database.session() as session:
            if after_other_work:
                await session.execute(select(func.count()).select_from(AuditRecord))
            await service.record(session, revoke(9))

    with pytest.raises(IntegrityError):
        await record_again()
    assert [r["subject_id"] for r in await all_rows(database)] == ["L-1", "L-2", "L-3"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"action": "revoked"},  # not dotted
        {"action": "License.Revoked"},
        {"actor_type": "robot"},
        {"actor_id": ""},
        {"subject_id": "x" * 129},
        {"purpose": "p" * 256},
    ],
)
def test_malformed_entries_are_refused(overrides: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        revoke(1, **overrides)


async def test_values_that_cannot_be_encoded_are_refused_before_anything_is_written(
    database: Database,
) -> None:
    async def record(entry: AuditEntry) -> None:
        async with database.session() as session:
            await service.record(session, entry)

    with pytest.raises(TypeError):
        await record(revoke(1, after={"blob": object()}))
    with pytest.raises(ValueError, match="naive"):
        await record(revoke(1, after={"at": datetime(2026, 1, 1)}))
    assert await all_rows(database) == []
