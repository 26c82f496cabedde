"""Tampering with the stored chain — editing, deleting, reordering, inserting — is detected."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, insert, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import service
from app.audit.canonical import RECORD_FIELDS, chain_hash, record_body
from app.audit.errors import AuditChainHeadMissing
from app.audit.models import AuditChainHead, AuditRecord
from app.audit.schemas import AuditEntry, ChainReport
from app.db import Database

MakeChain = Callable[[int], Awaitable[None]]
Tamper = Callable[[Callable[[AsyncConnection], Awaitable[None]]], Awaitable[None]]
Verify = Callable[..., Awaitable[ChainReport]]


async def row(connection: AsyncConnection, seq: int) -> dict[str, Any]:
    result = await connection.execute(select(AuditRecord.__table__).where(AuditRecord.seq == seq))
    return dict(result.mappings().one())


async def set_fields(connection: AsyncConnection, at: int, **values: Any) -> None:
    await connection.execute(update(AuditRecord).where(AuditRecord.seq == at).values(**values))


async def delete_records(connection: AsyncConnection, *seqs: int) -> None:
    await connection.execute(delete(AuditRecord).where(AuditRecord.seq.in_(seqs)))


def assert_broken(report: ChainReport, seq: int, reason: str) -> None:
    assert (report.ok, report.first_broken_seq, report.reason) == (False, seq, reason)


async def test_an_untouched_chain_verifies(verify: Verify, make_chain: MakeChain) -> None:
    empty = await verify(full=True)
    assert (empty.ok, empty.records_checked, empty.head_seq) == (True, 0, 0)
    assert empty.head_hash == "0" * 64

    await make_chain(7)
    report = await verify(full=True, batch_size=3)  # batches end mid-chain and at its end
    assert (report.ok, report.records_checked, report.first_broken_seq, report.reason) == (
        True,
        7,
        None,
        None,
    )
    assert report.head_seq == 7


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("action", "license.reinstated"),
        ("actor_id", "clerk-99"),
        ("actor_type", "system"),
        ("subject_id", "L-9999"),
        ("subject_type", "application"),
        ("purpose", None),
        ("request_id", "req-2"),
        ("client_address", "10.9.9.9"),
        ("changes_digest", "f" * 64),
        ("id", uuid.UUID("01900000-0000-7000-8000-000000000000")),
    ],
)
async def test_editing_a_field_breaks_that_record(
    verify: Verify,
    make_chain: MakeChain,
    tamper: Tamper,
    column: str,
    value: Any,
) -> None:
    await make_chain(5)

    async def edit(connection: AsyncConnection) -> None:
        await set_fields(connection, 3, **{column: value})

    await tamper(edit)
    report = await verify(full=True, batch_size=2)
    assert_broken(report, 3, "hash_mismatch")
    assert report.records_checked == 3


async def test_shifting_the_time_by_a_microsecond_is_detected(
    verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(4)

    async def edit(connection: AsyncConnection) -> None:
        original = await row(connection, 2)
        await set_fields(
            connection, 2, occurred_at=original["occurred_at"] + timedelta(microseconds=1)
        )

    await tamper(edit)
    assert_broken(await verify(full=True), 2, "hash_mismatch")


@pytest.mark.parametrize(("deleted", "broken_at"), [((3,), 4), ((1,), 2), ((2, 3), 4)])
async def test_deleting_records_leaves_a_gap(
    verify: Verify,
    make_chain: MakeChain,
    tamper: Tamper,
    deleted: tuple[int, ...],
    broken_at: int,
) -> None:
    await make_chain(5)

    async def remove(connection: AsyncConnection) -> None:
        await delete_records(connection, *deleted)

    await tamper(remove)
    assert_broken(await verify(full=True), broken_at, "sequence_gap")


@pytest.mark.parametrize(("deleted", "broken_at"), [((5,), 5), ((4, 5), 4), ((1, 2, 3, 4, 5), 1)])
async def test_deleting_the_newest_records_disagrees_with_the_head(
    verify: Verify,
    make_chain: MakeChain,
    tamper: Tamper,
    deleted: tuple[int, ...],
    broken_at: int,
) -> None:
    await make_chain(5)

    async def remove(connection: AsyncConnection) -> None:
        await delete_records(connection, *deleted)

    await tamper(remove)
    report = await verify(full=True)
    assert_broken(report, broken_at, "head_mismatch")
    assert report.head_seq == 5


async def test_swapping_the_contents_of_two_records_is_detected_at_the_first(
    verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(6)

    async def swap(connection: AsyncConnection) -> None:
        second, fourth = await row(connection, 2), await row(connection, 4)
        del second["seq"], fourth["seq"]
        await set_fields(connection, 4, id=uuid.uuid4())  # the unique id moves via a placeholder
        await set_fields(connection, 2, **fourth)
        await set_fields(connection, 4, **second)

    await tamper(swap)
    assert_broken(await verify(full=True), 2, "prev_hash_mismatch")


async def test_swapping_the_positions_of_two_records_is_detected_at_the_first(
    verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(6)

    async def swap(connection: AsyncConnection) -> None:
        await set_fields(connection, 3, seq=-1)
        await set_fields(connection, 5, seq=3)
        await set_fields(connection, -1, seq=5)

    await tamper(swap)
    assert_broken(await verify(full=True), 3, "prev_hash_mismatch")


async def test_editing_a_link_is_detected(
    verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(4)

    async def relink(connection: AsyncConnection) -> None:
        await set_fields(connection, 3, prev_hash=(await row(connection, 1))["hash"])

    await tamper(relink)
    assert_broken(await verify(full=True), 3, "prev_hash_mismatch")


async def test_a_forger_who_rehashes_an_edited_record_breaks_the_next_link(
    verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(4)

    async def forge(connection: AsyncConnection) -> None:
        record = await row(connection, 2)
        record["action"] = "license.reinstated"
        body = record_body(**{name: record[name] for name in RECORD_FIELDS})
        await set_fields(connection, 2, action="license.reinstated")
        await set_fields(connection, 2, hash=chain_hash(record["prev_hash"], body))

    await tamper(forge)
    assert_broken(await verify(full=True), 3, "prev_hash_mismatch")


async def test_a_record_inserted_mid_chain_is_detected(
    verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(3)

    async def insert_between(connection: AsyncConnection) -> None:
        # Shift 2 and 3 up, then put a forged record (a copy of 2, rehashed) at 2.
        for seq in (3, 2):
            await set_fields(connection, seq, seq=seq + 1)
        forged = await row(connection, 3)
        forged.update(seq=2, id=uuid.uuid4(), action="license.issued")
        forged["hash"] = chain_hash(
            forged["prev_hash"], record_body(**{name: forged[name] for name in RECORD_FIELDS})
        )
        await connection.execute(insert(AuditRecord).values(**forged))

    await tamper(insert_between)
    assert_broken(await verify(full=True), 3, "prev_hash_mismatch")


async def test_a_record_appended_behind_the_heads_back_is_detected(
    verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(3)

    async def append(connection: AsyncConnection) -> None:
        last = await row(connection, 3)
        forged = {**last, "seq": 4, "id": uuid.uuid4(), "prev_hash": last["hash"]}
        forged["hash"] = chain_hash(
            last["hash"], record_body(**{name: forged[name] for name in RECORD_FIELDS})
        )
        await connection.execute(insert(AuditRecord).values(**forged))

    await tamper(append)
    assert_broken(await verify(full=True), 4, "head_mismatch")


async def test_an_edited_head_is_detected(
    verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(3)

    async def edit(connection: AsyncConnection) -> None:
        await connection.execute(update(AuditChainHead).values(hash="a" * 64))

    await tamper(edit)
    assert_broken(await verify(full=True), 3, "head_mismatch")


async def test_without_its_head_the_chain_reports_it_and_refuses_writes(
    verify: Verify, database: Database, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(2)

    async def remove(connection: AsyncConnection) -> None:
        await connection.execute(delete(AuditChainHead))

    await tamper(remove)
    report = await verify(full=True)
    assert (report.ok, report.reason, report.records_checked) == (False, "head_missing", 2)
    with pytest.raises(AuditChainHeadMissing):
        async with database.session() as session:
            await service.record(session, _entry())


def _entry() -> AuditEntry:
    return AuditEntry(
        actor_type="system", actor_id="test", action="test.done", subject_type="t", subject_id="1"
    )


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_records SET action = 'license.reinstated' WHERE seq = 1",
        "DELETE FROM audit_records WHERE seq = 1",
        "DELETE FROM audit_chain_head",
    ],
)
async def test_the_database_itself_refuses_edits_and_deletions(
    verify: Verify, database: Database, make_chain: MakeChain, statement: str
) -> None:
    await make_chain(2)
    with pytest.raises(DBAPIError, match="append-only"):
        async with database.engine.begin() as connection:
            await connection.execute(text(statement))
    report = await verify(full=True)
    assert (report.ok, report.records_checked) == (True, 2)


async def test_the_database_refuses_a_record_that_does_not_extend_the_head(
    verify: Verify, database: Database, make_chain: MakeChain
) -> None:
    await make_chain(2)
    async with database.engine.connect() as connection:
        last = await row(connection, 2)
    forged = {**last, "seq": 3, "id": uuid.uuid4(), "prev_hash": "b" * 64}
    forged["hash"] = chain_hash(
        forged["prev_hash"], record_body(**{name: forged[name] for name in RECORD_FIELDS})
    )
    with pytest.raises(DBAPIError, match="does not extend the chain head"):
        async with database.engine.begin() as connection:
            await connection.execute(insert(AuditRecord).values(**forged))
    report = await verify(full=True)
    assert (report.ok, report.records_checked, report.head_seq) == (True, 2, 2)
