"""Benchmark: the cost of writing one audit record inside a transaction (goal ≤ 1 ms).

Migrates a fresh database (a temporary SQLite file by default, or a throwaway PostgreSQL
database with `--database-url postgresql+asyncpg://…/<name>`, created first and dropped at the
end), then measures `audit.service.record()` — with `--sealing inline` it locks the head,
inserts and flushes; with `--sealing deferred` (the default on PostgreSQL, as the API appends)
it adds the record unsealed to the unit of work, and the sealer links it afterwards:

* one record per transaction, N times: the record()+flush time inside a transaction that has
  already done its work (`record_flush_ms_*`; callers audit last), and the whole transaction
  from begin to commit (`with_commit_ms_*`);
* N records in one transaction (`batch_record_ms_mean`);
* N single-record transactions from 20 concurrent writers (`concurrent_commits_per_s`): under
  inline sealing they queue on the head's lock from append to commit;
* with deferred sealing, the sealer's throughput over everything appended (`seal_records_per_s`);
* then verifies the resulting chain (`verify_records_per_s`), signs a checkpoint of its head
  into a temporary store, appends a few more records and verifies from that checkpoint
  (`verify_from_checkpoint_ms`, `verify_from_checkpoint_records`): the daily check's cost,
  which depends on the records since the checkpoint, not on the chain's length.

    .venv/bin/python bench/audit_write.py [--database-url URL] [--records 2000]
                                          [--sealing auto|inline|deferred]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import athrowaway_database as throwaway_database  # noqa: E402

from app import migrate  # noqa: E402
from app.audit import service  # noqa: E402
from app.audit.schemas import AuditContext, AuditEntry  # noqa: E402
from app.config import Settings  # noqa: E402
from app.db import Database  # noqa: E402

GOAL_MS = 1.0
WARM_UP = 50
AFTER_CHECKPOINT = 20
CONCURRENT_WRITERS = 20
CONTEXT = AuditContext(request_id="0f3c2a9d4b6e4f1a8c7d5e3b2a1f0e9d", client_address="10.20.30.40")


def entry(n: int) -> AuditEntry:
    """A realistic record: a licence status change with a small before/after."""
    return CONTEXT.entry(
        actor_type="staff",
        actor_id=f"clerk-{n % 37}",
        action="license.suspended",
        subject_type="license",
        subject_id=f"37020220261123{n:08d}",
        purpose="administrative penalty decision 青市监罚〔2026〕12号",
        before={"status": "valid", "holder": "青岛某某印刷有限公司", "version": n},
        after={"status": "suspended", "holder": "青岛某某印刷有限公司", "version": n + 1},
    )


def percentile(values: list[float], p: int) -> float:
    """The p-th percentile (inclusive method), rounded to microseconds."""
    return round(statistics.quantiles(values, n=100, method="inclusive")[p - 1], 3)


async def one_per_transaction(database: Database, count: int) -> tuple[list[float], list[float]]:
    """record()+flush and begin-to-commit times (ms) of `count` single-record transactions."""
    record_ms: list[float] = []
    total_ms: list[float] = []
    for n in range(WARM_UP + count):
        started = time.perf_counter()
        async with database.session() as session:
            # The unit of work has already run by the time it audits (audit last): the
            # transaction is open, so only what record() adds to it is timed.
            await session.execute(text("SELECT 1"))
            before_record = time.perf_counter()
            await service.record(session, entry(n))
            await session.flush()  # a deferred record is inserted here, an inline one already was
            recorded = time.perf_counter()
        committed = time.perf_counter()
        if n >= WARM_UP:
            record_ms.append((recorded - before_record) * 1000)
            total_ms.append((committed - started) * 1000)
    return record_ms, total_ms


async def one_transaction(database: Database, count: int) -> float:
    """Mean ms per record when `count` records share one transaction."""
    async with database.session() as session:
        await session.execute(text("SELECT 1"))
        started = time.perf_counter()
        for n in range(count):
            await service.record(session, entry(n))
        elapsed = time.perf_counter() - started
    return elapsed * 1000 / count


async def concurrently(database: Database, count: int) -> float:
    """Single-record transactions per second from CONCURRENT_WRITERS writers, `count` in all."""

    async def writer(first: int) -> None:
        for n in range(first, count, CONCURRENT_WRITERS):
            async with database.session() as session:
                await session.execute(text("SELECT 1"))
                await service.record(session, entry(n))

    started = time.perf_counter()
    await asyncio.gather(*(writer(first) for first in range(CONCURRENT_WRITERS)))
    return count / (time.perf_counter() - started)


async def run(url: str | None, count: int, sealing: str) -> dict[str, Any]:
    """Migrate, write, seal, verify; the figures as a dict."""
    async with throwaway_database(url) as database_url:
        store = Path(tempfile.mkdtemp(prefix="qingeban-bench-")) / "checkpoints.jsonl"
        settings = Settings(
            database_url=database_url,
            audit_checkpoint_path=store,
            audit_sealing=sealing,
            _env_file=None,  # type: ignore[call-arg]
        )
        mode = settings.audit_sealing_mode
        database = Database.from_url(database_url, audit_sealing=mode)
        try:
            await migrate.upgrade(database.engine)
            record_ms, total_ms = await one_per_transaction(database, count)
            batch_ms = await one_transaction(database, count)
            commits_per_s = await concurrently(database, count)
            started = time.perf_counter()
            sealed = (await service.seal(database)).sealed
            seal_seconds = time.perf_counter() - started
            started = time.perf_counter()
            report = await service.verify_chain(database, settings, full=True)
            verify_seconds = time.perf_counter() - started
            if not (await service.write_checkpoint(database, settings)).written:
                raise SystemExit("the benchmark's checkpoint was not written")
            async with database.session() as session:
                for n in range(AFTER_CHECKPOINT):
                    await service.record(session, entry(n))
            await service.seal(database)
            started = time.perf_counter()
            quick = await service.verify_chain(database, settings)
            quick_ms = (time.perf_counter() - started) * 1000
        finally:
            await database.dispose()
            store.unlink(missing_ok=True)
            store.parent.rmdir()
    if not (report.ok and quick.ok):
        raise SystemExit(f"the benchmark's own chain does not verify: {report} {quick}")
    return {
        "benchmark": "audit_write",
        "database": make_url(database_url).get_backend_name(),
        "records": count,
        "sealing": mode,
        "record_flush_ms_p50": percentile(record_ms, 50),
        "record_flush_ms_p99": percentile(record_ms, 99),
        "with_commit_ms_p50": percentile(total_ms, 50),
        "with_commit_ms_p99": percentile(total_ms, 99),
        "batch_record_ms_mean": round(batch_ms, 3),
        "concurrent_writers": CONCURRENT_WRITERS,
        "concurrent_commits_per_s": round(commits_per_s),
        "sealed": sealed,
        "seal_records_per_s": round(sealed / seal_seconds) if sealed else None,
        "verify_records_per_s": round(report.records_checked / verify_seconds),
        "verify_from_checkpoint_ms": round(quick_ms, 1),
        "verify_from_checkpoint_records": quick.records_checked,
        "goal_ms": GOAL_MS,
    }


def main() -> None:
    """Parse the arguments, run, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=None, help="a throwaway PostgreSQL database")
    parser.add_argument("--records", type=int, default=2000)
    parser.add_argument(
        "--sealing", choices=("auto", "inline", "deferred"), default="auto",
        help="how records are appended (auto: deferred on PostgreSQL, inline on SQLite)",
    )  # fmt: skip
    args = parser.parse_args()
    if args.records < 2:
        raise SystemExit("--records must be at least 2")
    print(json.dumps(asyncio.run(run(args.database_url, args.records, args.sealing))))


if __name__ == "__main__":
    main()
