"""Every query of the bulk import: set-at-a-time versions of what issuance does row by row.

The import works on one connection and one transaction per batch, so these take the
`AsyncConnection` rather than a session. On PostgreSQL the licenses travel by COPY into a
temporary staging table and on with one INSERT … SELECT; SQLite gets an executemany.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final, NamedTuple, cast

from sqlalchemy import (
    ForeignKeyConstraint,
    String,
    Table,
    UniqueConstraint,
    any_,
    bindparam,
    func,
    insert,
    select,
    text,
    update,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.schema import AddConstraint

from app.certificates.models import License, LicenseSerial, LicenseType, StatusList
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.sealing import Sealed

# The columns of a license record, in the order the importer builds them (a test checks that
# they are exactly the table's).
COLUMNS: tuple[str, ...] = (
    "id",
    "license_no",
    "type_code",
    "issuer_code",
    "holder_kind",
    "holder_name",
    "holder_id_cipher",
    "holder_id_index",
    "holder_id_masked",
    "holder_uscc",
    "fields_cipher",
    "valid_from",
    "valid_until",
    "status",
    "version",
    "serial",
    "supersedes_id",
    "source_record_id",
    "revocation_list_id",
    "revocation_index",
    "suspension_list_id",
    "suspension_index",
    "created_at",
    "updated_at",
)
# The same columns in the order of a COPY text row: those the checking processes fill in, then
# those the writer adds (identity, number, serial, slots, times).
CHECKED_COLUMNS: tuple[str, ...] = (
    "type_code",
    "issuer_code",
    "holder_kind",
    "holder_name",
    "holder_id_cipher",
    "holder_id_index",
    "holder_id_masked",
    "holder_uscc",
    "fields_cipher",
    "valid_from",
    "valid_until",
    "status",
    "version",
    "supersedes_id",
    "source_record_id",
)
FILLED_COLUMNS: tuple[str, ...] = (
    "id",
    "license_no",
    "serial",
    "revocation_list_id",
    "revocation_index",
    "suspension_list_id",
    "suspension_index",
    "created_at",
    "updated_at",
)
COPY_COLUMNS = CHECKED_COLUMNS + FILLED_COLUMNS
CHECKED_INDEXES = tuple(COLUMNS.index(column) for column in CHECKED_COLUMNS)
# Where the importer finds and fills in a record's values.
ID = COLUMNS.index("id")
LICENSE_NO = COLUMNS.index("license_no")
TYPE_CODE = COLUMNS.index("type_code")
ISSUER_CODE = COLUMNS.index("issuer_code")
HOLDER_ID_MASKED = COLUMNS.index("holder_id_masked")
HOLDER_USCC = COLUMNS.index("holder_uscc")
SERIAL = COLUMNS.index("serial")
SOURCE_RECORD_ID = COLUMNS.index("source_record_id")
REVOCATION_LIST_ID = COLUMNS.index("revocation_list_id")
REVOCATION_INDEX = COLUMNS.index("revocation_index")
SUSPENSION_LIST_ID = COLUMNS.index("suspension_list_id")
SUSPENSION_INDEX = COLUMNS.index("suspension_index")
CREATED_AT = COLUMNS.index("created_at")
UPDATED_AT = COLUMNS.index("updated_at")
# A license as a list of values in COLUMNS order: checked in a worker process, numbered and
# given its slots here. Lists, not objects, because millions of them cross between processes.
Record = list[Any]
# A checked row on its way to the writer: (type, issuer, source record, the holder as a
# rejection names it, body). The body holds the CHECKED_COLUMNS: as one row of COPY text in
# UTF-8 (PostgreSQL; the writer appends its columns), or as a tuple of values (SQLite). Bytes,
# not str: a str holding one Chinese character takes two bytes a character, the ciphertexts
# included, and is encoded again to cross between processes and once more for the COPY.
CheckedRow = tuple[str, str, str, str | None, bytes | tuple[Any, ...]]
ROW_TYPE: Final = 0
ROW_ISSUER: Final = 1
ROW_SOURCE: Final = 2
ROW_HOLDER: Final = 3
ROW_BODY: Final = 4
_STAGING = "license_import"
# SQLite caps the bound parameters of one statement well above this.
_IN_CHUNK = 5000


_LICENSES = cast(Table, License.__table__)
# What an initial load builds after the rows are in (PostgreSQL's "Populating a Database"):
# the indexes no uniqueness rests on, the unique keys the importer makes itself (identifiers
# from reserved serials, status-list slots drawn from the free ones under the list's lock:
# sorted once at the end, not kept in order row by row, which cost more than the rest of the
# COPY), and the foreign keys (checked once over the table when added back). The primary key
# and (issuer, source record) stay: the one is what other tables' keys name, the other is
# what finds a repeated row of the file. (An issuance alongside a load is still sound, only
# slower: without the slots' keys its probes for a free slot read the table.)
_DEFERRED_INDEXES = tuple(index for index in _LICENSES.indexes if not index.unique)
_KEPT_UNIQUE = ("issuer_code", "source_record_id")
_DEFERRED_UNIQUES = tuple(
    constraint
    for constraint in _LICENSES.constraints
    if isinstance(constraint, UniqueConstraint) and tuple(constraint.columns.keys()) != _KEPT_UNIQUE
)
_DEFERRED_KEYS = tuple(
    constraint
    for constraint in _LICENSES.constraints
    if isinstance(constraint, ForeignKeyConstraint)
)


_UNIQUE_VIOLATION = "23505"  # SQLSTATE, as the driver reports it


@dataclass(frozen=True, slots=True)
class CopyText:
    """License rows in PostgreSQL's COPY text format, in COPY_COLUMNS order (handed to the
    driver as a memoryview: bytes would be taken for a file's path)."""

    data: bytes
    rows: int


# What a COPY text value must escape (with the backslash itself, first).
_COPY_ESCAPES = (("\\", "\\\\"), ("\t", "\\t"), ("\n", "\\n"), ("\r", "\\r"))


def copy_value(value: Any) -> str:
    """A value as COPY text writes it: NULL as \\N, dates in ISO form, the rest as text."""
    if value is None:
        return "\\N"
    # A datetime is a date too.
    text = value.isoformat() if isinstance(value, date) else str(value)
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        for plain, escaped in _COPY_ESCAPES:
            text = text.replace(plain, escaped)
    return text


def copy_text(values: Sequence[Any]) -> str:
    """Values as (part of) a COPY text row, without the line's end."""
    return "\t".join(map(copy_value, values))


class Clash(Exception):
    """A row of an initial load repeats a unique key (COPY stops at the first)."""


class OpenList(NamedTuple):
    """A status list with free slots, as locked for the batch."""

    id: uuid.UUID
    size: int
    allocated: int


async def license_types(session: AsyncSession) -> Sequence[LicenseType]:
    """Every license type (the importer checks rows against all of them)."""
    return (await session.scalars(select(LicenseType).order_by(LicenseType.code))).all()


async def present_source_records(
    connection: AsyncConnection, issuer_code: str, source_record_ids: Sequence[str]
) -> dict[str, datetime]:
    """Which of these record ids the issuer already has a license for, and when it was made."""
    found: dict[str, datetime] = {}
    columns = (License.source_record_id, License.created_at)
    if connection.dialect.name == "postgresql":
        # One array parameter: no statement with thousands of placeholders to compile.
        ids = bindparam("ids", list(source_record_ids), type_=postgresql.ARRAY(String))
        query = select(*columns).where(
            License.issuer_code == issuer_code, License.source_record_id == any_(ids)
        )
        found.update((row[0], row[1]) for row in await connection.execute(query) if row[0])
        return found
    for start in range(0, len(source_record_ids), _IN_CHUNK):
        query = select(*columns).where(
            License.issuer_code == issuer_code,
            License.source_record_id.in_(source_record_ids[start : start + _IN_CHUNK]),
        )
        found.update((row[0], row[1]) for row in await connection.execute(query) if row[0])
    return found


async def reserve_serials(connection: AsyncConnection, counts: dict[str, int]) -> dict[str, int]:
    """The first of `counts[type]` consecutive serials reserved per type, in one upsert.

    Like `repository.next_serial`, the upsert locks the counters until the transaction ends.
    """
    if not counts:
        return {}
    dialect = connection.dialect.name
    statement = postgresql.insert if dialect == "postgresql" else sqlite.insert
    rows = [{"type_code": code, "last_serial": count} for code, count in sorted(counts.items())]
    values = statement(LicenseSerial).values(rows)
    upsert = values.on_conflict_do_update(
        index_elements=[LicenseSerial.type_code],
        set_={"last_serial": LicenseSerial.last_serial + values.excluded.last_serial},
    ).returning(LicenseSerial.type_code, LicenseSerial.last_serial)
    result = await connection.execute(upsert)
    return {row.type_code: row.last_serial - counts[row.type_code] + 1 for row in result}


async def open_status_list(connection: AsyncConnection, purpose: str) -> OpenList | None:
    """The newest list of `purpose` with free slots, locked until the transaction ends."""
    query = (
        select(StatusList.id, StatusList.size, StatusList.allocated)
        .where(StatusList.purpose == purpose, StatusList.allocated < StatusList.size)
        .order_by(StatusList.created_at.desc(), StatusList.id.desc())
        .limit(1)
        .with_for_update()
    )
    row = (await connection.execute(query)).first()
    return None if row is None else OpenList(row.id, row.size, row.allocated)


async def open_new_status_list(connection: AsyncConnection, purpose: str, size: int) -> OpenList:
    """A new, empty status list of `purpose`."""
    list_id = new_id()
    await connection.execute(
        insert(StatusList).values(
            id=list_id, purpose=purpose, size=size, allocated=0, created_at=utcnow()
        )
    )
    return OpenList(list_id, size, 0)


async def status_slots_taken(
    connection: AsyncConnection, purpose: str, list_id: uuid.UUID
) -> set[int]:
    """Every held slot of a status list."""
    if purpose == "revocation":
        list_column, index_column = License.revocation_list_id, License.revocation_index
    else:
        list_column, index_column = License.suspension_list_id, License.suspension_index
    query = select(index_column).where(list_column == list_id)
    return set((await connection.scalars(query)).all())


async def set_allocated(connection: AsyncConnection, list_id: uuid.UUID, allocated: int) -> None:
    """Record how many slots of a list are held."""
    await connection.execute(
        update(StatusList).where(StatusList.id == list_id).values(allocated=allocated)
    )


async def insert_licenses(connection: AsyncConnection, records: Sequence[Record] | CopyText) -> int:
    """Insert licenses: COPY text on PostgreSQL, records on SQLite; how many were new.

    A record clashing with a license already there (the same source record, number or slot,
    from an import running alongside) is left out; the caller compares the count.
    """
    if isinstance(records, CopyText) != (connection.dialect.name == "postgresql"):
        raise TypeError("COPY text is for PostgreSQL, records for SQLite")
    if not isinstance(records, CopyText):
        if not records:
            return 0
        rows = [_sqlite_row(record) for record in records]
        statement = sqlite.insert(License).on_conflict_do_nothing()
        result = await connection.execute(statement, rows)
        return int(result.rowcount)
    if not records.rows:
        return 0
    # ON COMMIT DELETE ROWS: each batch's transaction finds the staging table empty.
    await connection.execute(
        text(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (LIKE licenses) ON COMMIT DELETE ROWS"
        )
    )
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # an open connection of the pool
    await driver.copy_to_table(_STAGING, source=memoryview(records.data), columns=COPY_COLUMNS)
    columns = ", ".join(COLUMNS)
    # Only this module's constant names go into the statement; the rows travelled by COPY.
    move = f"INSERT INTO licenses ({columns}) SELECT {columns} FROM {_STAGING}"  # noqa: S608
    result = await connection.execute(text(f"{move} ON CONFLICT DO NOTHING"))
    return int(result.rowcount)


async def copy_licenses(connection: AsyncConnection, records: CopyText) -> int:
    """Initial load (PostgreSQL): COPY the records straight into the table, without staging or
    ON CONFLICT; Clash when one repeats a unique key (the batch then rolls back)."""
    raw = await connection.get_raw_connection()
    driver = raw.driver_connection
    assert driver is not None  # an open connection of the pool
    try:
        await driver.copy_to_table(
            "licenses", source=memoryview(records.data), columns=COPY_COLUMNS
        )
    except Exception as exc:
        if getattr(exc, "sqlstate", None) == _UNIQUE_VIOLATION:
            raise Clash from exc
        raise
    return records.rows


async def license_count(connection: AsyncConnection) -> int:
    """How many licenses the registry holds."""
    return int((await connection.execute(select(func.count()).select_from(_LICENSES))).scalar_one())


async def defer_indexes(connection: AsyncConnection) -> None:
    """Drop the secondary indexes and foreign keys of the licenses table (initial load)."""
    preparer = connection.dialect.identifier_preparer
    for index in _DEFERRED_INDEXES:
        await connection.execute(text(f"DROP INDEX IF EXISTS {preparer.format_index(index)}"))
    for constraint in (*_DEFERRED_KEYS, *_DEFERRED_UNIQUES):
        name = preparer.format_constraint(constraint)
        await connection.execute(text(f"ALTER TABLE licenses DROP CONSTRAINT IF EXISTS {name}"))


async def restore_indexes(connection: AsyncConnection) -> list[str]:
    """Build what `defer_indexes` dropped, where it is missing (after a load, or after one that
    was killed); the names built. Then ANALYZE, as autovacuum would after a bulk load."""
    built = await connection.run_sync(_restore)
    if built:
        await connection.execute(text("ANALYZE licenses"))
    return built


def _restore(connection: Any) -> list[str]:
    inspector = sa_inspect(connection)
    present_indexes = {found["name"] for found in inspector.get_indexes("licenses")}
    present_keys = {found["name"] for found in inspector.get_foreign_keys("licenses")}
    present_keys |= {found["name"] for found in inspector.get_unique_constraints("licenses")}
    built = []
    if connection.dialect.name == "postgresql":
        # 32 MB for each of a build's three processes, the leader and two workers (PostgreSQL
        # starts fewer workers when each would get less). Less memory is faster here: each
        # sorts runs that stay in the CPU's caches and merges them, where one large in-memory
        # quicksort waits on memory. Rebuilding them all on 23 million rows took 122-154 s
        # with 64 or 96 MB against 158-181 s with 512 MB and 180 s with 2 or 4 GB, runs
        # alternated. Set here rather than left to the server, whose setting may be sized for
        # VACUUM instead.
        connection.execute(text("SET LOCAL maintenance_work_mem = '96MB'"))
    for index in _DEFERRED_INDEXES:
        if index.name not in present_indexes:
            index.create(connection)
            built.append(str(index.name))
    for constraint in (*_DEFERRED_UNIQUES, *_DEFERRED_KEYS):
        if constraint.name not in present_keys:
            connection.execute(AddConstraint(constraint))
            built.append(str(constraint.name))
    return built


def _sqlite_row(record: Record) -> dict[str, Any]:
    row = dict(zip(COLUMNS, record, strict=True))
    # Sealed by the checker already: the column type must store it as it is, not seal it again.
    row["fields_cipher"] = Sealed(row["fields_cipher"])
    return row
