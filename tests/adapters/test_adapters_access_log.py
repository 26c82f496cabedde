"""The data-access log: what a record keeps, who can list it, and that it shares the caller's
transaction."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, func, select, text

from app.adapters import access_log
from app.adapters.models import DataAccessRecord
from app.adapters.schemas import DataAccessEntry
from app.config import Settings
from app.db import Database
from app.errors import InvalidCursor
from app.kit.crypto import BlindIndex, derive_key

ALICE = "37020219900101123X"
BOB = "370203198505052345"
NOBODY = "370211200001017777"
T0 = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)


@pytest.fixture
def index(settings: Settings) -> BlindIndex:
    return access_log.blind_index_from_settings(settings)


def entry(index: BlindIndex, id_number: str, n: int = 0, **overrides: Any) -> DataAccessEntry:
    fields: dict[str, Any] = {
        "calling_system": "qingeban",
        "actor_type": "system",
        "actor_id": "gjj.withdraw.rent",
        "subject": access_log.subject_ref("person", id_number, index),
        "department": "gjj",
        "dataset": "fund-account",
        "purpose": "application:gjj.withdraw.rent",
        "case_id": f"case-{n}",
        "outcome": "found",
        "request_id": f"req-{n}",
        "occurred_at": T0 + timedelta(minutes=n),
    }
    fields.update(overrides)
    return DataAccessEntry(**fields)


def test_the_key_is_derived_from_the_secret(settings: Settings, index: BlindIndex) -> None:
    key = derive_key(settings.secret_key.get_secret_value(), "blind-index")
    assert index.compute(ALICE) == BlindIndex(key).compute(ALICE)
    ref = access_log.subject_ref("person", " 37020219900101123x ", index)
    assert ref.index == index.compute(ALICE)
    assert ref.masked == "370202********123X"


def test_an_unmasked_subject_is_rejected(index: BlindIndex) -> None:
    with pytest.raises(ValueError, match="masked"):
        entry(index, ALICE, subject={"kind": "person", "index": "0" * 64, "masked": ALICE})


async def test_no_full_id_number_is_stored(database: Database, index: BlindIndex) -> None:
    async with database.session() as session:
        await access_log.record_access(session, entry(index, ALICE, reason="none"))
        await access_log.record_many(session, [entry(index, ALICE, 1), entry(index, BOB, 2)])
    async with database.session(write=False) as session:
        rows = (await session.execute(text("SELECT * FROM data_access_records"))).all()
    assert len(rows) == 3
    for row in rows:
        for value in row:
            assert ALICE not in str(value).upper()
            assert BOB not in str(value)
            assert ALICE[:-1] not in str(value)  # nor the digits without the check character
    masked = sorted(row._mapping["subject_masked"] for row in rows)
    assert masked == ["370202********123X", "370202********123X", "370203********2345"]


async def test_records_are_listed_for_their_subject_only_newest_first_without_gaps(
    database: Database, index: BlindIndex
) -> None:
    # Pairs share a timestamp so the id breaks ties across page boundaries.
    alice = [entry(index, ALICE, n // 2, case_id=f"case-{n}") for n in range(11)]
    staff_read = entry(
        index, ALICE, 20, actor_type="staff", actor_id="clerk-7", purpose="review", case_id="c"
    )
    person_read = entry(index, ALICE, 21, actor_type="person", actor_id="buyer-9", case_id="p")
    async with database.session() as session:
        for item in alice:
            await access_log.record_access(session, item)
        await access_log.record_many(session, [staff_read, person_read])
        await access_log.record_many(session, [entry(index, BOB, n) for n in range(4)])

    seen = []
    cursor = None
    async with database.session(write=False) as session:
        while True:
            page = await access_log.list_for_subject(
                session, subject_value=ALICE, blind_index=index, cursor=cursor, limit=3
            )
            assert len(page.items) <= 3
            seen.extend(page.items)
            if page.next_cursor is None:
                break
            cursor = page.next_cursor
        bob = await access_log.list_for_subject(
            session, subject_value=BOB.lower(), blind_index=index, cursor=None, limit=50
        )
        nobody = await access_log.list_for_subject(
            session, subject_value=NOBODY, blind_index=index, cursor=None, limit=50
        )

    assert len(seen) == 13
    assert len({item.id for item in seen}) == 13
    keys = [(item.occurred_at, item.id) for item in seen]
    assert keys == sorted(keys, reverse=True)
    assert {item.case_id for item in seen} == {f"case-{n}" for n in range(11)} | {"c", "p"}
    assert seen[0].actor_type == "person"
    assert seen[0].actor_id is None
    assert seen[1].actor_type == "staff"
    assert seen[1].actor_id == "clerk-7"
    assert seen[1].purpose == "review"
    assert seen[1].department == "gjj"
    assert seen[-1].actor_id == "gjj.withdraw.rent"
    assert seen[-1].occurred_at == T0
    assert [item.case_id for item in bob.items] == ["case-3", "case-2", "case-1", "case-0"]
    assert bob.next_cursor is None
    assert nobody.items == []


async def test_record_many_writes_every_row_in_one_statement(
    database: Database, index: BlindIndex
) -> None:
    inserts: list[bool] = []

    def count(_conn: Any, _cursor: Any, statement: str, _p: Any, _c: Any, many: bool) -> None:
        if statement.lstrip().upper().startswith("INSERT INTO DATA_ACCESS_RECORDS"):
            inserts.append(many)

    event.listen(database.engine.sync_engine, "before_cursor_execute", count)
    try:
        async with database.session() as session:
            written = await access_log.record_many(
                session, [entry(index, f"3702021990010{n:05d}", n) for n in range(250)]
            )
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)
    assert written == 250
    assert len(inserts) == 1
    async with database.session(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(DataAccessRecord)) == 250


async def test_rollback_of_the_callers_transaction_leaves_no_record(
    database: Database, index: BlindIndex
) -> None:
    async def fail_after_recording() -> None:
        async with database.session() as session:
            await access_log.record_access(session, entry(index, ALICE))
            await access_log.record_many(session, [entry(index, ALICE, 1)])
            count = select(func.count()).select_from(DataAccessRecord)
            assert await session.scalar(count) == 2  # flushed into the caller's transaction
            raise RuntimeError("the case failed")

    with pytest.raises(RuntimeError, match="the case failed"):
        await fail_after_recording()
    async with database.session(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(DataAccessRecord)) == 0


@pytest.mark.parametrize("cursor", ["garbage", "WyJ4Il0", "WyIyMDI2LTExLTIzVDA4OjAwOjAwIiwieCJd"])
async def test_a_bad_cursor_is_refused(database: Database, index: BlindIndex, cursor: str) -> None:
    async with database.session(write=False) as session:
        with pytest.raises(InvalidCursor):
            await access_log.list_for_subject(
                session, subject_value=ALICE, blind_index=index, cursor=cursor, limit=5
            )
