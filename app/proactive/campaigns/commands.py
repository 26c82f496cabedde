"""`qingeban campaigns run KIND`: start a campaign (or follow one by id), work its batches in this
process beside any `qingeban worker`s, and show its progress on standard error; the final figures
go to standard output as one JSON object. Killing the command loses nothing: a batch commits
whole or not at all, and running it again with `--campaign ID` carries on.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from typing import Any, TextIO

from app.config import get_settings

_TTY_INTERVAL = 0.2
_LOG_INTERVAL = 5.0
_BAR = 30


class ProgressBar:
    """Batches done of all, people classified, the silent share and the rate, on stderr."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._interval = _TTY_INTERVAL if self._tty else _LOG_INTERVAL
        self._started = time.monotonic()
        self._shown = 0.0

    def __call__(self, progress: dict[str, Any], *, final: bool = False) -> None:
        """Show the progress when it is time to (always when `final`)."""
        now = time.monotonic()
        if not final and now - self._shown < self._interval:
            return
        self._shown = now
        total, done = progress["batches_total"], progress["batches_done"]
        filled = _BAR * done // total if total else _BAR
        rate = progress["done"] / (now - self._started) if now > self._started else 0.0
        share = progress["silent_share"]
        text = (
            f"[{'#' * filled}{'.' * (_BAR - filled)}] {done:,}/{total:,} batches  "
            f"{progress['done']:>10,} people  silent {share if share is not None else '-'}  "
            f"invited {progress['invited']:,}  referred {progress['referred']:,}  {rate:,.0f}/s"
        )
        self._stream.write(text + ("\n" if final or not self._tty else "\r"))
        self._stream.flush()


async def _run(args: argparse.Namespace) -> dict[str, Any]:
    from app import tasks  # noqa: F401  (registers every job handler)
    from app.audit.schemas import AuditContext
    from app.db import Database
    from app.jobs.worker import Worker
    from app.proactive.campaigns import service
    from app.proactive.campaigns.schemas import CampaignCreate

    settings = get_settings()
    database = Database.from_url(settings.database_url)
    bar = ProgressBar(sys.stderr)
    try:
        if args.campaign is None:
            async with database.session(write=True) as session:
                created = await service.create(
                    session, CampaignCreate(
                        kind=args.kind, warning_days=args.warning_days,
                        pilot=[{"start": lo, "end": hi} for lo, hi in args.pilot] or None,
                        block_size=args.block_size,
                    ),
                    actor="cli", context=AuditContext(),
                )  # fmt: skip
            campaign_id = created.id
            print(f"campaign {campaign_id} started", file=sys.stderr)
        else:
            campaign_id = args.campaign
        worker = None
        if not args.watch:
            worker = Worker(
                database, settings, worker_id=f"campaigns-cli:{uuid.uuid4().hex[:8]}",
                batch_size=args.concurrency, concurrency=args.concurrency,
                kinds=frozenset({service.BATCH_JOB}),
            )  # fmt: skip
            worker.start()
        try:
            while True:
                async with database.session() as session:
                    read = await service.get(session, campaign_id)
                progress = read.progress.model_dump()
                bar(progress)
                if read.status in ("completed", "paused"):
                    break
                await asyncio.sleep(0.5)
        finally:
            if worker is not None:
                await worker.stop()
        bar(progress, final=True)
        return {"campaign": str(campaign_id), "status": read.status, **progress}
    finally:
        await database.dispose()


def cmd_campaigns_run(args: argparse.Namespace) -> int:
    """Run a campaign to its end (or until it is paused); exit 1 when paused."""
    from app.errors import AppError

    try:
        summary = asyncio.run(_run(args))
    except AppError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: the batches done stay; --campaign ID carries on", file=sys.stderr)
        return 130
    print(json.dumps(summary, ensure_ascii=False))
    return 0 if summary["status"] == "completed" else 1


def _positions(text: str) -> tuple[int, int]:
    start, _, end = text.partition(":")
    try:
        return int(start), int(end)
    except ValueError as exc:
        raise argparse.ArgumentTypeError("START:END, e.g. 0:50000") from exc


def register(commands: Any) -> None:
    """Add the campaign subcommands to the `qingeban` parser."""
    campaigns = commands.add_parser("campaigns", help="proactive campaigns (静默认证)")
    campaign_commands = campaigns.add_subparsers(dest="campaigns_command", required=True)
    run = campaign_commands.add_parser(
        "run", help="start a campaign (or carry one on) and work it with a progress bar"
    )
    run.add_argument("kind", help="the campaign kind, e.g. pension-qualification")
    run.add_argument("--campaign", type=uuid.UUID, help="carry on this campaign instead")
    run.add_argument("--warning-days", type=int, help="the warning period (default: the kind's)")
    run.add_argument(
        "--pilot",
        type=_positions,
        action="append",
        default=[],
        metavar="START:END",
        help="only these roster positions (repeatable); default: the whole roster",
    )
    run.add_argument("--block-size", type=int, help="roster positions per batch")
    run.add_argument(
        "--concurrency", type=int, default=2, help="batches this process runs at once (default 2)"
    )
    run.add_argument(
        "--watch", action="store_true", help="only show the progress; `qingeban worker`s work"
    )
    run.set_defaults(func=cmd_campaigns_run)
