"""The initial load of an empty registry (`qingeban licenses import FILE --initial-load`): rows
COPYed straight into the table, the secondary indexes and foreign keys built after them."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from import_support import (
    cli_environment,  # noqa: F401 - autouse: the command line sees the test's database
    imported_licenses,
    person_row,
    run_cli,
    write_ndjson,
)
from license_support import id_number
from sqlalchemy import text

from app.certificates import bulk
from app.db import Database


async def _indexes_and_keys(database: Database) -> set[str]:
    async with database.engine.connect() as connection:
        indexes = await connection.execute(
            text("SELECT indexname FROM pg_indexes WHERE tablename = 'licenses'")
        )
        keys = await connection.execute(
            text(
                "SELECT conname FROM pg_constraint "
                "WHERE conrelid = 'licenses'::regclass AND contype = 'f'"
            )
        )
        return {row[0] for row in indexes} | {row[0] for row in keys}


async def test_an_initial_load_copies_the_rows_and_builds_the_indexes_after_them(
    tmp_path: Path, database: Database, client: httpx.AsyncClient
) -> None:
    if not database.is_postgresql:
        path = write_ndjson(tmp_path / "a.ndjson", [person_row("REC-1", id_number())])
        code, _, err = await run_cli(str(path), "--initial-load")
        assert code == 2
        assert "needs PostgreSQL" in err
        assert await imported_licenses(database) == []
        return
    before = await _indexes_and_keys(database)
    holder = id_number()
    rows = [person_row(f"REC-{n}", holder) for n in range(5)]
    # Line 6 repeats line 1 in a later batch: the COPY clashes, the batch is written again
    # looking first, and the repeat is rejected by name.
    path = write_ndjson(tmp_path / "first.ndjson", [*rows, person_row("REC-0", holder)])
    code, summary, err = await run_cli(str(path), "--initial-load", "--batch-rows", "2")
    assert code == 0, err
    assert (summary["imported"], summary["rejected"], summary["initial_load"]) == (5, 1, True)
    assert summary["rejections"][0]["line"] == 6
    assert summary["index_seconds"] is not None
    assert "indexes and foreign keys built" in err
    assert await _indexes_and_keys(database) == before
    # The loaded licenses answer verification like any other.
    (first, *_) = await imported_licenses(database)
    verified = await client.post(
        "/api/v1/licenses/verify",
        json={"license_no": first.license_no, "holder_name": first.holder_name},
    )
    assert verified.status_code == 200
    assert verified.json()["result"] == "valid"


async def test_an_initial_load_is_refused_once_the_registry_holds_licenses(
    tmp_path: Path, database: Database
) -> None:
    first = write_ndjson(tmp_path / "a.ndjson", [person_row("REC-1", id_number())])
    assert (await run_cli(str(first)))[0] == 0
    again = write_ndjson(tmp_path / "b.ndjson", [person_row("REC-2", id_number())])
    code, _, err = await run_cli(str(again), "--initial-load")
    assert code == 2
    expected = "an initial load is for an empty one" if database.is_postgresql else "PostgreSQL"
    assert expected in err
    assert len(await imported_licenses(database)) == 1


async def test_an_import_builds_what_a_killed_initial_load_left_unbuilt(
    tmp_path: Path, database: Database
) -> None:
    if not database.is_postgresql:
        pytest.skip("PostgreSQL only: SQLite has no initial load, so nothing is dropped there")
    before = await _indexes_and_keys(database)
    async with database.engine.begin() as connection:
        await bulk.defer_indexes(connection)  # where a killed initial load leaves the table
    assert await _indexes_and_keys(database) < before
    path = write_ndjson(tmp_path / "a.ndjson", [person_row("REC-1", id_number())])
    code, summary, _ = await run_cli(str(path))
    assert (code, summary["imported"]) == (0, 1)
    assert await _indexes_and_keys(database) == before
