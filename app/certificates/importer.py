"""Bulk import of licenses from an issuing system's registry (`qingeban licenses import`).

The file is read in chunks that worker processes check (`import_checks`: the checks of
`POST /api/v1/licenses`, then the ID number encrypted and indexed); the checked rows are
written in batches, one transaction each: the rows whose (issuer, source record) is already
there are counted and left out, a block of serials is reserved per type, status-list slots are
taken in bulk (`import_slots`), and the licenses go in by COPY (PostgreSQL) or executemany
(SQLite). A batch lands whole or not at all, so a re-run after a failure imports exactly what
is missing. One audit record per run says what happened, without personal data.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import time
from collections import Counter, defaultdict, deque
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterator
from concurrent.futures import Executor, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from multiprocessing import get_context
from pathlib import Path
from typing import Any, TextIO

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import service as audit
from app.audit.schemas import ActorType, AuditContext
from app.certificates import bulk, import_copy, import_rows, issuance
from app.certificates.bulk import ROW_HOLDER, ROW_ISSUER, ROW_SOURCE, ROW_TYPE, CheckedRow
from app.certificates.errors import IssuerNotReady
from app.certificates.import_checks import (
    YIELDING_NICENESS,
    Checked,
    Checker,
    TypeInfo,
    check_in_worker,
    start_worker,
)
from app.certificates.import_rows import Block, Chunk, Rejection, Span, UnusableFile
from app.certificates.import_slots import Slot, SlotPool
from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow
from app.kit.ids import new_id, new_id_texts, new_ids
from app.kit.license_id import MAX_SERIAL, LicenseIdSeries

__all__ = ["ImportFailed", "ImportReport", "InitialLoadRefused", "UnusableFile", "import_licenses"]

SHOWN_REJECTIONS = 20
CHUNK_ROWS = 2000
BATCH_ROWS = 20_000
# Below this size worker processes cost more to start than they save.
_POOL_MIN_BYTES = 4 * 1024 * 1024

Progress = Callable[["ImportReport"], None]


class ImportFailed(Exception):
    """The import stopped: the batches written so far stay, the current one was rolled back."""


class InitialLoadRefused(Exception):
    """An initial load was asked of a registry that is not empty, or not on PostgreSQL."""


class _Clash(Exception):
    """A batch met licenses written alongside it (another import): it is rolled back and
    tried again."""


@dataclass
class ImportReport:
    """What an import run did."""

    file: str
    format: str
    read: int = 0
    imported: int = 0
    already_present: int = 0
    rejected: int = 0
    rejections: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0
    initial_load: bool = False
    # An initial load: the time spent building the indexes and keys after the rows.
    index_seconds: float | None = None

    def as_dict(self) -> dict[str, Any]:
        """The summary the command prints (the first rejections only)."""
        return {
            "file": self.file,
            "format": self.format,
            "read": self.read,
            "imported": self.imported,
            "already_present": self.already_present,
            "rejected": self.rejected,
            "seconds": round(self.seconds, 2),
            "rows_per_s": round(self.imported / self.seconds) if self.seconds else 0,
            "initial_load": self.initial_load,
            "index_seconds": None if self.index_seconds is None else round(self.index_seconds, 2),
            "rejections": self.rejections,
        }


async def import_licenses(
    database: Database,
    settings: Settings,
    path: Path,
    *,
    file_format: str | None = None,
    rejects: TextIO | None = None,
    workers: int | None = None,
    batch_rows: int = BATCH_ROWS,
    progress: Progress | None = None,
    actor: tuple[ActorType, str] = ("system", "cli"),
    initial_load: bool = False,
) -> ImportReport:
    """Import a file of licenses; UnusableFile when it cannot be read at all.

    `workers`: processes checking rows (None: one per CPU for files of a few MB and more, none
    for smaller ones). `rejects`: where every rejected row is written as a JSON line.
    `initial_load` (PostgreSQL, an empty registry; InitialLoadRefused otherwise): the secondary
    indexes and foreign keys are dropped, the rows COPYed straight into the table, and both
    built again at the end, also when the import fails. Had the process been killed instead,
    the next import of either kind builds them first.
    """
    started = time.perf_counter()
    found_format = import_rows.file_format(path, file_format)
    source = import_rows.open_source(path, found_format)
    report = ImportReport(file=path.name, format=found_format, initial_load=initial_load)
    completed = False
    try:
        await _prepare(database, initial_load)
        types = await _type_infos(database)
        chunks = import_rows.chunks(source, found_format, CHUNK_ROWS)
        if workers is None:
            workers = _default_workers(path)
        # Enough chunks in the workers' hands that they keep checking while a batch is written.
        in_flight = batch_rows // CHUNK_ROWS + 2 * workers
        # PostgreSQL: the checking processes write their rows as COPY text (`import_copy`).
        copy_text = database.is_postgresql
        by_code = {info.code: info for info in types}
        writer = _Writer(by_code, report, rejects, initial_load, copy_text)
        niceness = 0 if initial_load else YIELDING_NICENESS
        checked = _checked(chunks, path, types, settings, workers, in_flight, niceness, copy_text)
        # aclosing: a failure stops the worker processes now, not when garbage is collected.
        async with database.engine.connect() as connection, contextlib.aclosing(checked):
            try:
                async for chunk in checked:
                    repeats = await writer.add(connection, chunk, batch_rows)
                    rejected = sorted(chunk.rejected + repeats, key=lambda found: found.line)
                    writer.reject(rejected)
                    if progress is not None:
                        report.seconds = time.perf_counter() - started
                        progress(report)
                await writer.finish(connection)
            finally:
                await writer.abandon()
        completed = True
    finally:
        source.close()
        if initial_load and database.is_postgresql:
            building = time.perf_counter()
            async with database.engine.begin() as connection:
                await bulk.restore_indexes(connection)
            report.index_seconds = time.perf_counter() - building
        report.seconds = time.perf_counter() - started
        if completed or report.imported:
            await _record(database, report, completed, actor)
    return report


async def _prepare(database: Database, initial_load: bool) -> None:
    """Build indexes an earlier initial load left unbuilt; for an initial load, drop them."""
    if not database.is_postgresql:
        if initial_load:
            raise InitialLoadRefused("an initial load needs PostgreSQL")
        return
    async with database.engine.begin() as connection:
        if not initial_load:
            await bulk.restore_indexes(connection)
            return
        held = await bulk.license_count(connection)
        if held:
            raise InitialLoadRefused(
                f"the registry holds {held:,} licenses: an initial load is for an empty one"
            )
        await bulk.defer_indexes(connection)


def _default_workers(path: Path) -> int:
    return (os.cpu_count() or 1) if path.stat().st_size >= _POOL_MIN_BYTES else 0


async def _type_infos(database: Database) -> list[TypeInfo]:
    async with database.session(write=False) as session:
        usccs: dict[str, str | None] = {}
        infos = []
        for license_type in await bulk.license_types(session):
            issuer = license_type.issuer_code
            if issuer not in usccs:
                try:
                    usccs[issuer] = await issuance.issuer_uscc(session, issuer)
                except IssuerNotReady:
                    usccs[issuer] = None
            infos.append(
                TypeInfo(
                    code=license_type.code,
                    type_code=license_type.type_code,
                    issuer_code=issuer,
                    issuer_uscc=usccs[issuer],
                    holder_kind=license_type.holder_kind,
                    validity_years=license_type.validity_years,
                    fields=list(license_type.fields),
                )
            )
    return infos


async def _checked(
    chunks: Iterator[Chunk],
    path: Path,
    types: list[TypeInfo],
    settings: Settings,
    workers: int,
    in_flight: int,
    niceness: int,
    copy_text: bool,
) -> AsyncGenerator[Checked, None]:
    """Each chunk checked, in file order; by `workers` processes while batches are written."""
    if workers <= 0:
        checker = Checker(types, settings, copy_text=copy_text)
        for chunk in chunks:
            yield checker.check_chunk(chunk)
        return
    loop = asyncio.get_running_loop()
    # spawn, not fork: the parent holds an event loop and database connections.
    pool: Executor = ProcessPoolExecutor(
        workers,
        mp_context=get_context("spawn"),
        initializer=start_worker,
        initargs=(types, settings, niceness, copy_text),
    )
    pending: deque[Awaitable[Checked]] = deque()
    try:
        for chunk in chunks:
            # An NDJSON block goes by where it lies: the process reads it (`Span`).
            sent = Span.of(path, chunk) if isinstance(chunk, Block) else chunk
            pending.append(loop.run_in_executor(pool, check_in_worker, sent))
            if len(pending) >= in_flight:
                yield await pending.popleft()
        while pending:
            yield await pending.popleft()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


class _Writer:
    """Collects checked rows into batches and writes each in one transaction.

    A batch is written by a task of its own, so that the next one is collected meanwhile; one
    batch at a time, since they share the connection.
    """

    def __init__(
        self,
        types: dict[str, TypeInfo],
        report: ImportReport,
        rejects: TextIO | None,
        initial_load: bool = False,
        copy_text: bool = False,
    ) -> None:
        self._types = types
        self._initial_load = initial_load
        self._copy_text = copy_text
        self._numbers = {
            info.code: LicenseIdSeries(info.type_code, info.issuer_uscc)
            for info in types.values()
            if info.issuer_uscc is not None
        }
        self._writing: asyncio.Task[None] | None = None
        self._report = report
        self._rejects = rejects
        self._started = utcnow()
        self._pending: list[tuple[int, CheckedRow]] = []  # (line, row)
        # (issuer, source record) → the line that brought it, for the rows not yet written:
        # a later row with the same key is rejected naming that line. Rows already written are
        # not kept here (a file of 23M rows would need gigabytes): a repeat of one of those is
        # found in the database when its batch is written (`_write`).
        self._seen: dict[tuple[str, str], int] = {}
        self._slots = {purpose: SlotPool(purpose) for purpose in ("revocation", "suspension")}

    def reject(self, rejected: list[Rejection], *, read: bool = True) -> None:
        """Count and report rejected rows (`read`: not yet counted as read)."""
        report = self._report
        if read:
            report.read += len(rejected)
        report.rejected += len(rejected)
        for rejection in rejected:
            found = rejection.as_dict()
            if len(report.rejections) < SHOWN_REJECTIONS:
                report.rejections.append(found)
            if self._rejects is not None:
                self._rejects.write(json.dumps(found, ensure_ascii=False) + "\n")

    async def add(
        self, connection: AsyncConnection, checked: Checked, batch_rows: int
    ) -> list[Rejection]:
        """Queue a chunk's records and write a batch when enough are queued; the rows that
        repeat an earlier row's source record, to be rejected."""
        repeats = []
        seen, pending = self._seen, self._pending
        for line, row in zip(checked.lines, checked.rows, strict=True):
            first = seen.setdefault((row[ROW_ISSUER], row[ROW_SOURCE]), line)
            if first != line:
                repeats.append(_repeat(line, row, f"repeats line {first}"))
            else:
                pending.append((line, row))
        self._report.read += len(checked.rows) - len(repeats)
        while len(self._pending) >= batch_rows:
            await self._written()
            batch, self._pending = self._pending[:batch_rows], self._pending[batch_rows:]
            self._seen = {_key(row): line for line, row in self._pending}
            self._writing = asyncio.create_task(self._flush(connection, batch))
        return repeats

    async def finish(self, connection: AsyncConnection) -> None:
        """Write what is still queued and wait for it."""
        await self._written()
        rows, self._pending = self._pending, []
        self._seen = {}
        await self._flush(connection, rows)

    async def abandon(self) -> None:
        """Stop a batch still being written (the import failed elsewhere): it rolls back."""
        if self._writing is not None:
            task, self._writing = self._writing, None
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def _written(self) -> None:
        if self._writing is not None:
            task, self._writing = self._writing, None
            await task

    async def _flush(self, connection: AsyncConnection, rows: list[tuple[int, CheckedRow]]) -> None:
        """Write rows as one batch, trying once more if another import clashed."""
        if not rows:
            return
        for attempt in (1, 2):
            try:
                async with connection.begin():
                    # An initial load's first try copies without looking: the registry was
                    # empty, so only a repeat within the file can clash, and the try again
                    # looks and sorts it out.
                    direct = self._initial_load and attempt == 1
                    imported, present, repeats = await self._write(connection, rows, direct)
            except (_Clash, bulk.Clash, IntegrityError) as exc:
                for pool in self._slots.values():
                    pool.forget()
                if attempt == 2:
                    raise ImportFailed(
                        "a batch kept clashing with licenses written alongside"
                    ) from exc
                continue
            except BaseException:
                for pool in self._slots.values():
                    pool.forget()
                raise
            self._report.imported += imported
            self._report.already_present += present
            self.reject(repeats, read=False)
            return

    async def _write(
        self, connection: AsyncConnection, rows: list[tuple[int, CheckedRow]], direct: bool
    ) -> tuple[int, int, list[Rejection]]:
        """Write the rows not there yet; (imported, already present, repeats of this run).
        `direct`: COPY them all into the table, without looking for present ones first."""
        by_issuer: defaultdict[str, list[str]] = defaultdict(list)
        for _, row in rows:
            by_issuer[row[ROW_ISSUER]].append(row[ROW_SOURCE])
        present: dict[tuple[str, str], datetime] = {}
        for issuer, source_ids in () if direct else by_issuer.items():
            found = await bulk.present_source_records(connection, issuer, source_ids)
            present.update(((issuer, source_id), at) for source_id, at in found.items())
        new: list[CheckedRow] = []
        repeats: list[Rejection] = []
        for line, row in rows:
            created_at = present.get(_key(row)) if present else None
            if created_at is None:
                new.append(row)
            elif created_at >= self._started:
                # Written by this run (an earlier batch), or by an import running alongside.
                repeats.append(_repeat(line, row, "repeats an earlier line of this run"))
        already = len(rows) - len(new) - len(repeats)
        if not new:
            return 0, already, repeats
        counts = Counter(row[ROW_TYPE] for row in new)
        serials = await bulk.reserve_serials(connection, dict(counts))
        for code, first in serials.items():
            if first + counts[code] - 1 > MAX_SERIAL:
                raise ImportFailed(f"the serial numbers of {code} are used up")
        revocation = await self._slots["revocation"].take(connection, len(new))
        suspension = await self._slots["suspension"].take(connection, len(new))
        filled = _filled(
            new, serials, counts, self._numbers, revocation, suspension, self._copy_text
        )
        if not self._copy_text:
            written = await bulk.insert_licenses(connection, import_copy.records(new, filled))
        elif direct:
            written = await bulk.copy_licenses(connection, import_copy.copy_text(new, filled))
        else:
            written = await bulk.insert_licenses(connection, import_copy.copy_text(new, filled))
        if written != len(new):
            raise _Clash
        return len(new), already, repeats


def _filled(
    rows: list[CheckedRow],
    serials: dict[str, int],
    counts: Counter[str],
    numbers: dict[str, LicenseIdSeries],
    revocation: list[Slot],
    suspension: list[Slot],
    copy_text: bool,
) -> import_copy.Filled:
    """What the writer adds to each row: version 1 of a new serial, numbered, with an id (as
    text for COPY text). `serials`: the first of `counts[type]` reserved for each type, dealt
    out in the rows' order."""
    runs = {}
    for code, first in serials.items():
        count = counts[code]
        run = zip(range(first, first + count), numbers[code].make_run(first, count), strict=True)
        runs[code] = iter(run)
    numbered = [next(runs[row[ROW_TYPE]]) for row in rows]
    ids = new_id_texts(len(rows)) if copy_text else new_ids(len(rows))
    return import_copy.Filled(ids, numbered, revocation, suspension, utcnow())


def _key(row: CheckedRow) -> tuple[str, str]:
    return row[ROW_ISSUER], row[ROW_SOURCE]


def _repeat(line: int, row: CheckedRow, what: str) -> Rejection:
    return Rejection(line, f"source_record_id: {what}", row[ROW_SOURCE], row[ROW_HOLDER])


async def _record(
    database: Database, report: ImportReport, completed: bool, actor: tuple[ActorType, str]
) -> None:
    """The run's audit record: the file's name and the counts, no personal data."""
    async with database.session() as session:
        await audit.record(
            session,
            AuditContext().entry(
                actor_type=actor[0],
                actor_id=actor[1],
                action="license.imported",
                subject_type="license_import",
                subject_id=str(new_id()),
                after={
                    "file": report.file,
                    "format": report.format,
                    "read": report.read,
                    "imported": report.imported,
                    "already_present": report.already_present,
                    "rejected": report.rejected,
                    "completed": completed,
                },
            ),
        )
