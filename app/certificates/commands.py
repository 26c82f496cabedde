"""The e-license domain's `qingeban` subcommands: `licenses import FILE`.

The summary goes to standard output as one JSON object (read, imported, already present,
rejected, the first rejections); the progress and a readable summary go to standard error.
Heavy imports happen inside the command, so that the command line starts fast.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from app.config import get_settings

if TYPE_CHECKING:
    from app.certificates.importer import ImportReport

# A terminal gets a bar redrawn a few times a second; a log file a line every few seconds.
_TTY_INTERVAL = 0.2
_LOG_INTERVAL = 5.0


class ProgressLine:
    """Rows read and imported, and the rate, on standard error."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._interval = _TTY_INTERVAL if self._tty else _LOG_INTERVAL
        self._shown = time.monotonic()

    def __call__(self, report: ImportReport) -> None:
        """Show the progress when it is time to."""
        now = time.monotonic()
        if now - self._shown < self._interval:
            return
        self._shown = now
        self._show(report, end="\r" if self._tty else "\n")

    def finish(self, report: ImportReport) -> None:
        """The last figures, on a line of their own."""
        self._show(report, end="\n")

    def _show(self, report: ImportReport, *, end: str) -> None:
        rate = report.imported / report.seconds if report.seconds else 0.0
        text = (
            f"{report.read:>12,} read  {report.imported:>12,} imported  "
            f"{report.already_present:,} present  {report.rejected:,} rejected  {rate:,.0f} rows/s"
        )
        self._stream.write(text + end)
        self._stream.flush()


def _summary(report: ImportReport) -> str:
    lines = [
        f"{report.file}: {report.read:,} rows read, {report.imported:,} imported, "
        f"{report.already_present:,} already present, {report.rejected:,} rejected "
        f"in {report.seconds:.1f} s"
    ]
    if report.index_seconds is not None:
        lines.append(f"  indexes and foreign keys built in {report.index_seconds:.1f} s")
    lines += [f"  line {found['line']}: {found['reason']}" for found in report.rejections]
    if report.rejected > len(report.rejections):
        lines.append(f"  … and {report.rejected - len(report.rejections):,} more (see --rejects)")
    return "\n".join(lines)


def cmd_licenses_import(args: argparse.Namespace) -> int:
    """Import licenses from an NDJSON or CSV file; exit 2 when the file cannot be used."""
    from app.certificates.importer import (
        ImportFailed,
        InitialLoadRefused,
        UnusableFile,
        import_licenses,
    )
    from app.db import Database

    settings = get_settings()
    path = Path(args.file)
    if not path.is_file():
        print(f"error: no file {path}", file=sys.stderr)
        return 2
    progress = ProgressLine(sys.stderr)

    async def run() -> ImportReport:
        database = Database.from_url(settings.database_url, pool_size=2)
        rejects = args.rejects.open("w", encoding="utf-8") if args.rejects else None
        try:
            return await import_licenses(
                database, settings, path, file_format=args.format, rejects=rejects,
                workers=args.workers, batch_rows=args.batch_rows, progress=progress,
                initial_load=args.initial_load,
            )  # fmt: skip
        finally:
            if rejects is not None:
                rejects.close()
            await database.dispose()

    # The collector would walk the application's few hundred thousand objects again and again
    # as the batches' rows come and go (a tenth of the writer's time): they outlive the
    # import, so they are left out of its collections.
    gc.freeze()
    try:
        report = asyncio.run(run())
    except (UnusableFile, InitialLoadRefused) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\ninterrupted: the batches written so far stay; run again to continue", file=sys.stderr
        )
        return 130
    except ImportFailed as exc:
        # The batches written so far stay; a re-run imports what is missing.
        print(f"error: {exc}; the batches before it were imported", file=sys.stderr)
        return 1
    finally:
        gc.unfreeze()  # for a caller that goes on (the tests run the command in-process)
    progress.finish(report)
    print(_summary(report), file=sys.stderr)
    print(json.dumps(report.as_dict(), ensure_ascii=False))
    return 0


def cmd_licenses_announce_expiring(args: argparse.Namespace) -> int:
    """Tell the holders of licenses expiring soon, once per license; prints how many now."""
    from app.certificates import service
    from app.db import Database

    async def run() -> int:
        database = Database.from_url(get_settings().database_url)
        try:
            async with database.session() as session:
                return await service.announce_expiring(session, within_days=args.within_days)
        finally:
            await database.dispose()

    print(json.dumps({"announced": asyncio.run(run())}))
    return 0


def register(commands: Any) -> None:
    """Add the e-license subcommands to the `qingeban` parser."""
    licenses = commands.add_parser("licenses", help="e-licenses")
    license_commands = licenses.add_subparsers(dest="licenses_command", required=True)
    imports = license_commands.add_parser(
        "import", help="import licenses from an NDJSON or CSV file (idempotent per source record)"
    )
    imports.add_argument("file", help="a .ndjson/.jsonl or .csv file")
    imports.add_argument("--format", choices=["ndjson", "csv"], help="override the extension")
    imports.add_argument(
        "--rejects", type=Path, metavar="FILE", help="write every rejected row here as NDJSON"
    )
    imports.add_argument(
        "--workers", type=int, help="processes checking rows (default: one per CPU for big files)"
    )
    imports.add_argument(
        "--batch-rows", type=int, default=20_000, help="rows per transaction (default 20000)"
    )
    imports.add_argument(
        "--initial-load",
        action="store_true",
        help="first load of an empty registry (PostgreSQL): COPY with the secondary indexes "
        "and foreign keys built after the rows",
    )
    imports.set_defaults(func=cmd_licenses_import)
    expiring = license_commands.add_parser(
        "announce-expiring",
        help="tell holders their licenses expire within --within-days days (run daily)",
    )
    expiring.add_argument("--within-days", type=int, default=30, help="default 30")
    expiring.set_defaults(func=cmd_licenses_announce_expiring)
