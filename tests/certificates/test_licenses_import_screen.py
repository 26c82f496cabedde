"""The import's quick check (`import_screen`) against the full one (`Checker.check`, the checks
of `POST /api/v1/licenses`): the same rows accepted with the same values, the same rows
rejected for the same reasons; and the checked rows' COPY text is what their values spell."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from import_support import (
    cli_environment,  # noqa: F401 - autouse: the command line sees the test's database
    imported_licenses,
    person_row,
    run_cli,
    write_ndjson,
)
from license_support import enterprise_uscc, id_number

from app import sealing
from app.certificates import bulk, holders, import_rows, lifecycle
from app.certificates.import_checks import Checker, TypeInfo
from app.certificates.import_rows import Block, Rejection
from app.certificates.import_screen import TypeRules, screen
from app.certificates.models import FIELDS_CONTEXT
from app.config import Settings
from app.db import Database
from app.kit.license_id import LicenseIdSeries, make_license_id

PERSON_FIELDS = [
    {"name": "holder_name", "type": "string"},
    {"name": "id_number", "type": "string"},
    {"name": "item", "type": "string"},
    {"name": "issued_on", "type": "date"},
    {"name": "score", "type": "number"},
]
ENTERPRISE_FIELDS = [
    {"name": "holder_name", "type": "string"},
    {"name": "uscc", "type": "string"},
    {"name": "capital", "type": "number"},
    {"name": "note", "type": "string"},
]
TYPES = [
    TypeInfo("op", "370200TZ0001", "scjg", enterprise_uscc(7), "person", 4, PERSON_FIELDS),
    TypeInfo(
        "biz", "370200YY0001", "xzsp", enterprise_uscc(8), "enterprise", None, ENTERPRISE_FIELDS
    ),
    TypeInfo("pending", "370200PP0001", "nobody", None, "person", 4, PERSON_FIELDS),
]  # fmt: skip
PERSON_ID = id_number()
USCC = enterprise_uscc(3)


def _person(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "type": "op",
        "source_record_id": "P-1",
        "holder_name": "李娜",
        "holder_id_number": PERSON_ID,
        "valid_from": "2026-03-01",
        "fields": {"item": "叉车司机", "issued_on": "2026-03-01", "score": 90},
    }
    row.update(changes)
    return row


def _enterprise(**changes: Any) -> dict[str, Any]:
    row: dict[str, Any] = {
        "type": "biz",
        "source_record_id": "E-1",
        "holder_name": "青岛海韵印务有限公司",
        "holder_uscc": USCC,
        "valid_from": "2020-06-01",
        "fields": {"uscc": USCC, "capital": 500, "note": "印刷"},
    }
    row.update(changes)
    return row


def _fields(**changes: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"item": "叉车司机", "issued_on": "2026-03-01", "score": 90}
    fields.update(changes)
    return {name: value for name, value in fields.items() if value is not ...}


ROWS: list[dict[str, Any] | str] = [
    _person(),
    _person(status="revoked"),
    _person(status="superseded"),
    _person(status=5),
    _person(status=None),
    _person(status=["valid"]),
    _person(holder_name=" 李娜 "),
    _person(holder_name="\u3000李娜"),
    _person(holder_name=""),
    _person(holder_name="名" * 200),
    _person(holder_name="名" * 201),
    _person(holder_name=5),
    _person(holder_id_number=PERSON_ID[:17] + "x" if PERSON_ID[17] == "X" else PERSON_ID.lower()),
    _person(holder_id_number=f" {PERSON_ID} "),
    _person(holder_id_number=PERSON_ID[:17] + ("0" if PERSON_ID[17] != "0" else "1")),
    _person(holder_id_number=PERSON_ID + "1"),
    _person(holder_id_number=int(PERSON_ID[:17])),
    _person(holder_id_number=None),
    _person(holder_uscc=USCC),
    _person(holder_uscc=None),
    _person(fields=_fields(holder_name="李娜", id_number=PERSON_ID.lower())),
    _person(fields=_fields(holder_name=" 李娜 ")),
    _person(fields=_fields(holder_name="王海")),
    _person(fields=_fields(id_number=id_number())),
    _person(fields=_fields(score="90")),
    _person(fields=_fields(score=True)),
    _person(fields=_fields(score=2**70)),
    _person(fields=_fields(score=1.5)),
    _person(fields=_fields(score=None)),
    _person(fields=_fields(item="")),
    _person(fields=_fields(item="  ")),
    _person(fields=_fields(item=5)),
    _person(fields=_fields(item="长" * 2000)),
    _person(fields=_fields(item="长" * 2001)),
    _person(fields=_fields(item=["叉车"])),
    _person(fields=_fields(issued_on="2026-02-30")),
    _person(fields=_fields(issued_on="20260301")),
    _person(fields=_fields(issued_on=" 2026-03-01")),
    _person(fields=_fields(extra="x")),
    _person(fields=_fields(item=...)),
    _person(fields=[]),
    _person(fields={f"f{n}": "x" for n in range(101)}),
    _person(valid_from="2026-3-1"),
    _person(valid_from="2026-03-01T00:00:00"),
    _person(valid_from=20260301),
    _person(valid_from=None),
    _person(valid_from="1899-12-31"),
    _person(valid_from="2024-02-29"),
    _person(valid_from="2026-03-01", valid_until="2026-02-28"),
    _person(valid_until="2199-12-31"),
    _person(valid_until="2200-01-01"),
    _person(valid_until=None),
    _person(source_record_id=""),
    _person(source_record_id="R" * 128),
    _person(source_record_id="R" * 129),
    _person(source_record_id=7),
    _person(source_record_id=None),
    _person(type="nope"),
    _person(type="pending"),
    _person(type=None),
    _person(colour="red"),
    _enterprise(),
    _enterprise(holder_uscc=USCC.lower()),
    _enterprise(holder_uscc=USCC, holder_id_number=PERSON_ID),
    _enterprise(holder_uscc=USCC[:17] + ("0" if USCC[17] != "0" else "1")),
    _enterprise(fields={"uscc": USCC, "capital": 1.5e3, "holder_name": "青岛海韵印务有限公司"}),
    _enterprise(fields={"uscc": USCC, "capital": 1, "note": "x"}, valid_until="2030-01-01"),
    # JSON escapes: the full check reads them, and their values are escaped in COPY text.
    json.dumps(_person(holder_name="李\t娜\\", source_record_id="R\n1"), ensure_ascii=True),
    json.dumps(_person(holder_name="Zoë"), ensure_ascii=True),
    json.dumps(_person(holder_name="\ud800"), ensure_ascii=True),
    json.dumps(_person(fields=_fields(score=float("nan")))),
    '{"type": "op", "fields": {}',
    "[1, 2]",
    "null",
]  # fmt: skip


def _lines() -> list[str]:
    return [row if isinstance(row, str) else json.dumps(row, ensure_ascii=False) for row in ROWS]


def _opened(settings: Settings, column: str, value: Any) -> Any:
    """A column's value with its ciphertext opened (nonces differ from one sealing to the next)."""
    secret = settings.secret_key.get_secret_value()
    if value is None or value == "\\N":
        return None
    if column == "fields_cipher":
        return json.loads(sealing._cipher(secret).decrypt(value, context=FIELDS_CONTEXT))
    if column == "holder_id_cipher":
        return holders._cipher(secret).decrypt(value, context=holders._CIPHER_CONTEXT)
    return value


@pytest.mark.parametrize("copy_text", [True, False])
def test_the_quick_check_decides_and_writes_as_the_full_check(
    settings: Settings, copy_text: bool
) -> None:
    lines = _lines()
    checker = Checker(TYPES, settings, copy_text=copy_text)
    checked = checker.check_chunk(Block(1, "\n".join(lines).encode("utf-8")))
    full = [checker.check(number, line) for number, line in enumerate(lines, start=1)]
    rejected = [found for found in full if isinstance(found, Rejection)]
    accepted = [(n, found) for n, found in enumerate(full, start=1) if isinstance(found, list)]
    assert checked.rejected == rejected
    assert checked.lines == [n for n, _ in accepted]
    # Both kinds well covered, and most accepted rows taken by the quick check.
    assert len(accepted) >= 20
    assert len(rejected) >= 40
    rules = {
        info.code: TypeRules(
            info.holder_kind, info.validity_years, {f["name"]: f["type"] for f in info.fields}
        )
        for info in TYPES
        if info.issuer_uscc is not None
    }
    quick = [screen(line, rules, lifecycle.today()) for line in lines]
    assert sum(found is not None for found in quick) >= len(accepted) * 2 // 3
    for row, (_, record) in zip(checked.rows, accepted, strict=True):
        expected = [record[index] for index in bulk.CHECKED_INDEXES]
        body = row[bulk.ROW_BODY]
        if isinstance(body, bytes):  # COPY text: the record's values as COPY text writes them
            values: list[Any] = body.decode("utf-8").split("\t")
            expected = [bulk.copy_value(value) for value in expected]
        else:
            values = list(body)
        assert isinstance(body, bytes) == copy_text
        for column, value, wanted in zip(bulk.CHECKED_COLUMNS, values, expected, strict=True):
            assert _opened(settings, column, value) == _opened(settings, column, wanted), column
        shown = record[bulk.HOLDER_ID_MASKED] or record[bulk.HOLDER_USCC]
        assert row[: bulk.ROW_BODY] == (
            record[bulk.TYPE_CODE], record[bulk.ISSUER_CODE], record[bulk.SOURCE_RECORD_ID], shown
        )  # fmt: skip


def test_copy_values_escape_what_copy_text_reads_specially() -> None:
    assert bulk.copy_value(None) == "\\N"
    assert bulk.copy_value("a\tb\\c\nd\re") == "a\\tb\\\\c\\nd\\re"
    assert bulk.copy_value(date(2026, 3, 1)) == "2026-03-01"
    assert bulk.copy_text(["x", 1, None]) == "x\t1\t\\N"


def test_a_series_numbers_first_versions_as_make_license_id_does() -> None:
    uscc = enterprise_uscc(9)
    series = LicenseIdSeries("370200ZZ0001", uscc)
    for serial in [0, 1, 999, 1000, 1001, 123_456_789, 9_999_999_999, 5, 999_998]:
        for version in (1, 2):
            assert series.make(serial, version) == make_license_id(
                "370200ZZ0001", uscc, serial, version
            )


async def test_a_holder_name_with_a_tab_and_a_backslash_is_stored_as_given(
    tmp_path: Path, database: Database
) -> None:
    """Such a row gets the full check, and its COPY text the escapes."""
    name = "李\t娜\\二"
    path = write_ndjson(tmp_path / "odd.ndjson", [person_row("R-1", id_number(), name=name)])
    code, summary, _ = await run_cli(str(path))
    assert (code, summary["imported"]) == (0, 1)
    [license_] = await imported_licenses(database)
    assert license_.holder_name == name


def test_a_block_is_read_line_by_line_as_bytes_would_be() -> None:
    """A block is decoded whole, and only its lines blank as bytes (ASCII whitespace) are
    skipped; a block with a line that is not UTF-8 still yields every other line."""
    data = 'a\n\n  \n\u3000\n{"x":1}\r\n\x0b\x0c\n\x1c\nlast'.encode()
    assert list(Block(5, data).lines()) == [
        (5, "a"), (8, "\u3000"), (9, '{"x":1}\r'), (11, "\x1c"), (12, "last")
    ]  # fmt: skip
    found = list(Block(1, b"ok\n\xff\xfe\n \nfine\n").lines())
    assert [number for number, _ in found] == [1, 2, 4]
    assert (found[0][1], found[2][1]) == ("ok", "fine")
    assert isinstance(found[1][1], import_rows.BadRow)
