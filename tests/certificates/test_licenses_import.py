"""Bulk import (`qingeban licenses import FILE`): NDJSON and CSV, idempotent per source record,
bad rows reported by line and never written, batches atomic, identifiers and slots unique."""

from __future__ import annotations

import csv
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
from import_support import (
    cli_environment,  # noqa: F401 - autouse: the command line sees the test's database
    enterprise_row,
    imported_licenses,
    person_row,
    run_cli,
    write_ndjson,
)
from license_support import (
    ENTERPRISE_TYPE,
    PERSON_TYPE,
    Headers,
    MakeHeaders,
    enterprise_license,
    enterprise_uscc,
    id_number,
    person_license,
)
from sqlalchemy import func, select

from app.audit.canonical import changes_digest
from app.audit.models import AuditRecord
from app.certificates import bulk, import_rows, import_slots, importer
from app.certificates.models import License, LicenseSerial, StatusList
from app.config import Settings
from app.db import Database
from app.kit.license_id import is_valid_license_id


async def test_an_ndjson_import_is_readable_by_the_issuer_and_in_the_wallet(
    tmp_path: Path,
    client: httpx.AsyncClient,
    database: Database,
    scjg_clerk: Headers,
    citizen: MakeHeaders,
) -> None:
    holder = id_number()
    path = write_ndjson(
        tmp_path / "registry.ndjson",
        [
            person_row("REC-1", holder),
            person_row("REC-2", id_number(), status="revoked"),
            enterprise_row("BL-1", enterprise_uscc(7)),
        ],
    )
    code, summary, _ = await run_cli(str(path))
    assert code == 0
    assert summary["read"] == 3
    assert summary["imported"] == 3
    assert summary["rejected"] == 0

    licenses = await imported_licenses(database)
    by_source = {row.source_record_id: row for row in licenses}
    first = by_source["REC-1"]
    assert first.issuer_code == "scjg"
    assert by_source["BL-1"].issuer_code == "xzsp"
    response = await client.get(f"/api/v1/licenses/{first.license_no}", headers=scjg_clerk)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "valid"
    assert body["fields"]["operation_item"] == "叉车司机"
    assert body["valid_until"] == "2030-02-28", "the type's four-year term from valid_from"
    revoked = by_source["REC-2"].license_no
    response = await client.get(f"/api/v1/licenses/{revoked}", headers=scjg_clerk)
    assert response.json()["status"] == "revoked"

    wallet = await client.get("/api/v1/me/licenses", headers=await citizen("13700001111", holder))
    assert [item["license_no"] for item in wallet.json()["items"]] == [first.license_no]


async def test_a_csv_import_reads_field_columns_and_numbers(
    tmp_path: Path, client: httpx.AsyncClient, database: Database, department_client: MakeHeaders
) -> None:
    uscc = enterprise_uscc(3)
    fields = enterprise_license(uscc)["fields"]
    path = tmp_path / "registry.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["type", "source_record_id", "holder_name", "holder_uscc", "valid_from", "status"]
            + [f"field.{name}" for name in fields]
        )
        row = [ENTERPRISE_TYPE, "BL-9", fields["name"], uscc, "2020-06-01", ""]
        writer.writerow(row + [str(value) for value in fields.values()])
        writer.writerow([*row[:1], "BL-10", "某公司", uscc, "2020-06-01", "cancelled", "x"])
    code, summary, _ = await run_cli(str(path))
    assert code == 0
    assert (summary["imported"], summary["rejected"]) == (1, 1)
    assert summary["rejections"][0]["line"] == 3
    assert "cells" in summary["rejections"][0]["reason"]

    (license_,) = await imported_licenses(database)
    headers = await department_client("xzsp", ["licenses:issue"])
    response = await client.get(f"/api/v1/licenses/{license_.license_no}", headers=headers)
    assert response.status_code == 200, response.text
    assert response.json()["fields"]["registered_capital"] == 500
    assert response.json()["valid_until"] is None


async def test_a_rerun_imports_nothing_new(tmp_path: Path, database: Database) -> None:
    path = write_ndjson(
        tmp_path / "a.jsonl", [person_row(f"REC-{n}", id_number()) for n in range(5)]
    )
    assert (await run_cli(str(path)))[1]["imported"] == 5
    path = write_ndjson(
        tmp_path / "b.ndjson",
        [person_row(f"REC-{n}", id_number()) for n in range(7)],  # two new records
    )
    code, summary, err = await run_cli(str(path))
    assert code == 0
    assert (summary["imported"], summary["already_present"]) == (2, 5)
    assert "5 already present" in err
    assert len(await imported_licenses(database)) == 7


async def test_a_record_written_alongside_fails_the_batch_which_is_tried_again(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Between the look for present records and the insert, another writer can add one of
    them: the insert fails as a whole, the batch is rolled back and tried again."""
    first = write_ndjson(tmp_path / "a.ndjson", [person_row("REC-0", id_number())])
    assert (await run_cli(str(first)))[1]["imported"] == 1
    looks = 0
    real = bulk.present_source_records

    async def blind_first_time(*args: Any) -> dict[str, datetime]:
        nonlocal looks
        looks += 1
        return {} if looks == 1 else await real(*args)

    monkeypatch.setattr(bulk, "present_source_records", blind_first_time)
    again = write_ndjson(
        tmp_path / "b.ndjson",
        [person_row("REC-0", id_number()), *(person_row(f"REC-{n}", id_number()) for n in (1, 2))],
    )
    code, summary, _ = await run_cli(str(again))
    assert code == 0
    assert (summary["imported"], summary["already_present"], looks) == (2, 1, 2)
    assert sorted(row.source_record_id or "" for row in await imported_licenses(database)) == [
        "REC-0", "REC-1", "REC-2"
    ]  # fmt: skip


async def test_a_repeat_of_a_row_written_in_an_earlier_batch_is_rejected(
    tmp_path: Path, database: Database
) -> None:
    """The importer keeps only the keys of rows not yet written (its memory stays flat however
    long the file): a repeat of a row an earlier batch wrote is found in the database."""
    holder = id_number()  # one holder of many certificates: the ID numbers' sequence is short
    row_bytes = len(json.dumps(person_row("REC-00000", holder), ensure_ascii=False).encode())
    # More rows than one block of the file holds, so that the repeat comes in a later block.
    count = import_rows._BLOCK_BYTES // row_bytes + 100
    rows = [person_row(f"REC-{n:05d}", holder) for n in range(count)]
    path = write_ndjson(tmp_path / "long.ndjson", [*rows, person_row("REC-00000", holder)])
    code, summary, _ = await run_cli(str(path), "--workers", "0", "--batch-rows", "500")
    assert code == 0
    assert (summary["read"], summary["imported"], summary["rejected"]) == (count + 1, count, 1)
    (rejection,) = summary["rejections"]
    assert rejection["line"] == count + 1
    assert rejection["reason"] == "source_record_id: repeats an earlier line of this run"
    assert summary["already_present"] == 0


async def test_bad_rows_are_reported_by_line_and_not_written(
    tmp_path: Path, database: Database
) -> None:
    holder = id_number()
    broken = holder[:17] + ("0" if holder[17] != "0" else "1")
    fields = person_license(holder)["fields"]
    path = write_ndjson(
        tmp_path / "bad.ndjson",
        [
            person_row("OK-1", holder),  # line 1
            '{"type": "special-equipment-operator", ',  # 2: malformed
            {**person_row("X-3", holder), "type": "no-such-type"},  # 3
            person_row("X-4", broken),  # 4: checksum
            {**person_row("X-5", holder), "fields": {"operation_item": "叉车"}},  # 5: missing
            {**person_row("X-6", holder), "valid_from": "2026-02-30"},  # 6: no such day
            person_row("OK-1", id_number()),  # 7: repeats line 1
            {**person_row("X-8", holder), "fields": {**fields, "colour": "red"}},  # 8
            person_row("X-9", holder, valid_until="2020-01-01"),  # 9: ends before it starts
            person_row("X-10", holder, status="lost"),  # 10
            "",  # 11: blank lines are skipped
            "[1, 2]",  # 12
            {**person_row("X-13", holder), "holder_uscc": enterprise_uscc()},  # 13
        ],
    )
    rejects = tmp_path / "rejects.ndjson"
    code, summary, err = await run_cli(str(path), "--rejects", str(rejects))
    assert code == 0, "a file with bad rows was still processed"
    assert (summary["read"], summary["imported"], summary["rejected"]) == (12, 1, 11)
    reasons = {found["line"]: found["reason"] for found in summary["rejections"]}
    assert sorted(reasons) == [2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 13]
    assert reasons[2].startswith("malformed JSON")
    assert reasons[3] == "type: unknown license type"
    assert reasons[4].startswith("holder_id_number: invalid ID number")
    assert reasons[5].startswith("fields: missing fields")
    assert reasons[6].startswith("valid_from:")
    assert reasons[7] == "source_record_id: repeats line 1"
    assert reasons[8] == "fields: unknown fields: colour"
    assert reasons[9] == "valid_until: valid_until is before valid_from"
    assert reasons[10].startswith("status:")
    assert reasons[13].startswith("holder_id_number: a person holder needs id_number")
    written = [json.loads(line) for line in rejects.read_text().splitlines()]
    assert [found["line"] for found in written] == sorted(reasons)
    # No ID number in full anywhere: masked in the report, absent from the messages.
    assert holder not in json.dumps(summary) + err + rejects.read_text()
    assert {found.get("holder") for found in written if found["line"] == 4} == {
        broken[:6] + "********" + broken[-4:]
    }
    assert [row.source_record_id for row in await imported_licenses(database)] == ["OK-1"]


async def test_identifiers_and_status_slots_are_unique_and_lists_exact(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    # Lists of 8 slots, so that 20 licenses fill two of each purpose and start a third.
    monkeypatch.setattr(import_slots, "DEFAULT_SIZE", 8)
    path = write_ndjson(
        tmp_path / "many.ndjson",
        [person_row(f"R-{n}", id_number()) for n in range(14)]
        + [enterprise_row(f"E-{n}", enterprise_uscc(n)) for n in range(6)],
    )
    report = await importer.import_licenses(database, settings, path, workers=0, batch_rows=6)
    assert report.imported == 20
    licenses = await imported_licenses(database)
    numbers = [row.license_no for row in licenses]
    assert len(set(numbers)) == 20
    assert all(is_valid_license_id(no) for no in numbers)
    assert len({(row.revocation_list_id, row.revocation_index) for row in licenses}) == 20
    assert len({(row.suspension_list_id, row.suspension_index) for row in licenses}) == 20
    async with database.session(write=False) as session:
        lists = (await session.execute(select(StatusList.purpose, StatusList.allocated))).all()
        query = select(LicenseSerial.type_code, LicenseSerial.last_serial)
        serials = dict((await session.execute(query)).all())
    for purpose in ("revocation", "suspension"):
        # Seeded lists (of the real size) may exist; the small ones hold 8, 8 and 4.
        assert sorted(a for p, a in lists if p == purpose and a <= 8) == [4, 8, 8]
    assert serials == {PERSON_TYPE: 14, ENTERPRISE_TYPE: 6}
    assert sorted(row.serial for row in licenses if row.type_code == PERSON_TYPE) == list(
        range(1, 15)
    )


async def test_a_failing_batch_leaves_nothing_behind(
    tmp_path: Path, database: Database, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    real_insert = bulk.insert_licenses
    calls = 0

    async def insert_then_fail(connection: Any, records: Any) -> int:
        nonlocal calls
        calls += 1
        inserted = await real_insert(connection, records)
        if calls == 2:
            raise RuntimeError("the database went away")
        return inserted

    monkeypatch.setattr(bulk, "insert_licenses", insert_then_fail)
    path = write_ndjson(
        tmp_path / "two.ndjson", [person_row(f"R-{n}", id_number()) for n in range(4)]
    )
    with pytest.raises(RuntimeError):
        await importer.import_licenses(database, settings, path, workers=0, batch_rows=2)
    licenses = await imported_licenses(database)
    assert [row.source_record_id for row in licenses] == ["R-0", "R-1"]
    async with database.session(write=False) as session:
        serial = await session.scalar(
            select(LicenseSerial.last_serial).where(LicenseSerial.type_code == PERSON_TYPE)
        )
        allocated = await session.scalar(select(func.sum(StatusList.allocated)))
        audit = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.action == "license.imported")
            )
        ).all()
    assert (serial, allocated) == (2, 4), "the failed batch's serials and slots rolled back"
    assert len(audit) == 1, "a run that imported something is audited even when it fails"

    monkeypatch.setattr(bulk, "insert_licenses", real_insert)
    report = await importer.import_licenses(database, settings, path, workers=0, batch_rows=2)
    assert (report.imported, report.already_present) == (2, 2)


async def test_each_run_is_audited_without_personal_data(
    tmp_path: Path, database: Database
) -> None:
    holder = id_number()
    path = write_ndjson(tmp_path / "one.ndjson", [person_row("R-1", holder, name="王小明")])
    assert (await run_cli(str(path)))[0] == 0
    async with database.session(write=False) as session:
        records = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.action == "license.imported")
            )
        ).all()
    assert len(records) == 1
    assert records[0].actor_type == "system"
    assert records[0].subject_type == "license_import"
    counts = {"read": 1, "imported": 1, "already_present": 0, "rejected": 0}
    after = {"file": "one.ndjson", "format": "ndjson", **counts, "completed": True}
    assert records[0].changes_digest == changes_digest(None, after), "the counts, nothing else"


async def test_worker_processes_check_the_rows(
    tmp_path: Path, database: Database, settings: Settings
) -> None:
    path = write_ndjson(
        tmp_path / "pool.ndjson",
        [person_row(f"R-{n}", id_number()) for n in range(3)] + ["not json"],
    )
    report = await importer.import_licenses(database, settings, path, workers=1)
    assert (report.imported, report.rejected) == (3, 1)
    assert report.rejections[0]["line"] == 4


async def test_an_unusable_file_exits_with_2(tmp_path: Path) -> None:
    assert (await run_cli(str(tmp_path / "missing.ndjson")))[0] == 2
    other = tmp_path / "registry.xlsx"
    other.write_text("x")
    code, _, err = await run_cli(str(other))
    assert code == 2
    assert "--format" in err
    header = tmp_path / "bad.csv"
    header.write_text("type,holder\n")
    code, _, err = await run_cli(str(header))
    assert code == 2
    assert "missing columns source_record_id" in err


def test_the_copy_columns_are_the_tables() -> None:
    assert sorted(bulk.COLUMNS) == sorted(column.name for column in License.__table__.columns)
