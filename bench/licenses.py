"""Benchmark: the e-license registry at scale (issue 5): bulk import, the expiry query, verify.

A throwaway PostgreSQL database by default (created first, dropped at the end). `qingeban seed`
migrates and seeds it; `--rows` synthetic registry rows (every seeded license type, persons
with valid resident ID numbers and enterprises with valid credit codes, validity spread so that
some expire within 30 days, a few revoked, suspended or cancelled; bench/_license_rows.py) are
written to a temporary NDJSON file (timed on its own) and imported with `qingeban licenses
import` as an operator would run it: `--initial-load` into the empty registry by default (COPY,
the secondary indexes and foreign keys built after the rows; `--import-mode incremental` for the
everyday import); rows/s is imported rows over the command's wall time, start-up and the index
builds included, with the peak memory of the import's processes and the CPU time per row of
its writer, its checking processes and the database backends serving it.

Then the daily expiry query of the proactive renewals: the count of valid licenses ending in
the next 30 days and the first page of `service.licenses_expiring`, each the median of a few
runs, with their EXPLAIN ANALYZE plans (after a VACUUM (ANALYZE), timed, as autovacuum would do
after a bulk load). The table's size and row count. Last, unless `--skip-verify`, `qingeban
serve` is started with `--server-workers` processes (2, one per core; its verify rate limit
lifted but still counted, in Redis at `--redis-url` as in production, or with `--redis-url ''`
in the database) and `--concurrency` keep-alive clients (bench/_load.py: raw sockets, ~0.05 ms
of CPU a request, so the server sets the pace) post `{license_no, holder_name}` pairs drawn at
random from the imported licenses to `POST /api/v1/licenses/verify` for `--seconds` after
`--warmup`; requests/s, p50/p99/max, errors by kind, and the CPU per request of the server (all
its processes) and of the load generator. Prints one JSON object:

    .venv/bin/python bench/licenses.py [--database-url URL] [--rows 1000000 | --full]
                                       [--seconds 10] [--warmup 2] [--concurrency 50]
                                       [--server-workers 2] [--redis-url URL]
                                       [--skip-verify] [--workers N]
                                       [--import-mode initial|incremental] [--bare]
                                       [--keep | --loaded] [--rows-file PATH]

`--keep` leaves the database in place; `--loaded` then reuses it (no seed, import or expiry
query): only the server, the verify load and, with `--bare`, the bare endpoint. `--rows-file`
keeps the generated rows there and reuses them when the file exists.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import uvloop
from sqlalchemy import Executable, func, select, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _license_rows import write_ndjson  # noqa: E402
from _load import latency_figures, run_phase, tree_cpu_seconds  # noqa: E402
from _support import free_port, running, throwaway_database  # noqa: E402
from tokens import busy_cpu_seconds, cli, environment  # noqa: E402

from app.certificates import lifecycle, repository  # noqa: E402
from app.certificates import service as certificates  # noqa: E402
from app.certificates.models import License, LicenseStatus  # noqa: E402
from app.db import Database  # noqa: E402

DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qe_bench_licenses"
DEFAULT_ROWS = 1_000_000
FULL_ROWS = 23_000_000  # the registry of the source material
WINDOW_DAYS = 30
QUERY_RUNS = 5
VERIFY_SAMPLE = 20_000


def import_file(url: str, path: Path, workers: int | None, mode: str) -> dict[str, Any]:
    """`qingeban licenses import` as a subprocess; its summary, wall time, peak memory and the
    CPU seconds of its processes (the writer, the checking processes) and of the database's
    backends serving it, read from /proc while it runs (Linux; PostgreSQL on this machine)."""
    extra = ["--workers", str(workers)] if workers is not None else []
    if mode == "initial":
        extra.append("--initial-load")
    started = time.perf_counter()
    command = [sys.executable, "-m", "app.cli", "licenses", "import", str(path), *extra]
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment(url), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    database = make_url(url).database or ""
    cpu: dict[int, tuple[str, float]] = {}  # pid → (whose, CPU seconds last seen)
    while True:
        done_pid, status, usage = os.wait4(process.pid, os.WNOHANG)
        if done_pid:
            break
        _note_cpu(cpu, process.pid, database)
        time.sleep(0.3)
    seconds = time.perf_counter() - started
    out, err = process.communicate()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"qingeban licenses import failed: {err.decode().strip()[-2000:]}")
    summary: dict[str, Any] = json.loads(out)
    # The largest resident set of the import command or one of its checking processes.
    peak_mb = usage.ru_maxrss / 1024
    import_cpu = usage.ru_utime + usage.ru_stime  # the command and its reaped children
    checkers = sum(seconds for whose, seconds in cpu.values() if whose == "checker")
    backends = sum(seconds for whose, seconds in cpu.values() if whose == "postgresql")
    rows = max(summary["imported"], 1)
    return {
        "summary": summary,
        "wall_seconds": seconds,
        "peak_rss_mb": round(peak_mb, 1),
        # Per imported row. The checkers' last 0.3 s may be missed; the database's parallel
        # index-build workers are not counted (their process names no database).
        "cpu_us_per_row": {
            "writer": round((import_cpu - checkers) * 1e6 / rows, 1),
            "checkers": round(checkers * 1e6 / rows, 1),
            "postgresql": round(backends * 1e6 / rows, 1),
        },
    }


def _note_cpu(cpu: dict[int, tuple[str, float]], parent: int, database: str) -> None:
    """Record the CPU seconds so far of the import's child processes and of the PostgreSQL
    backends connected to `database`."""
    tick = os.sysconf("SC_CLK_TCK")
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[1]) == parent:
                whose = "checker"
            else:
                title = (stat.parent / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                if not title.startswith("postgres:") or f" {database} " not in title:
                    continue
                whose = "postgresql"
        except (OSError, IndexError, UnicodeDecodeError):
            continue
        cpu[int(stat.parent.name)] = (whose, (int(fields[11]) + int(fields[12])) / tick)


def registry_file(args: argparse.Namespace, workdir: Path) -> tuple[Path, dict[str, Any]]:
    """The NDJSON file to import and how it was made: generated in `workdir`, or with
    `--rows-file` kept at that path and reused by the next run (23M rows take a quarter of an
    hour to generate; a file there is complete, since it is written aside and then renamed)."""
    path = args.rows_file or workdir / "registry.ndjson"
    figures: dict[str, Any] = {"rows_file": str(args.rows_file) if args.rows_file else None}
    if args.rows_file and path.exists():
        figures["reused"] = True
    else:
        partial = path.with_name(path.name + ".partial")
        started = time.perf_counter()
        write_ndjson(partial, args.rows, lifecycle.today())
        partial.replace(path)
        figures["seconds"] = round(time.perf_counter() - started, 2)
    figures["file_mb"] = round(path.stat().st_size / 2**20, 1)
    return path, figures


# The server settings a load of millions of rows depends on (README, "Benchmarks").
_SERVER_SETTINGS = (
    "shared_buffers",
    "max_wal_size",
    "checkpoint_timeout",
    "wal_level",
    "synchronous_commit",
    "max_parallel_maintenance_workers",
    "autovacuum",
)


async def server_settings(url: str) -> dict[str, str] | None:
    """The PostgreSQL settings of `_SERVER_SETTINGS` as the server runs with them."""
    database = Database.from_url(url, pool_size=1)
    try:
        if not database.is_postgresql:
            return None
        async with database.engine.connect() as connection:
            rows = await connection.execute(
                text("SELECT name, current_setting(name) FROM pg_settings WHERE name = ANY(:n)"),
                {"n": list(_SERVER_SETTINGS)},
            )
            return {str(name): str(value) for name, value in rows}
    finally:
        await database.dispose()


async def wal_position(url: str) -> int | None:
    """The server's WAL insert position in bytes (PostgreSQL)."""
    database = Database.from_url(url, pool_size=1)
    try:
        if not database.is_postgresql:
            return None
        async with database.engine.connect() as connection:
            query = text("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '0/0')")
            return int(await connection.scalar(query))
    finally:
        await database.dispose()


async def _median_ms(database: Database, run: Any) -> tuple[float, Any]:
    timings, result = [], None
    for _ in range(QUERY_RUNS):
        async with database.session(write=False) as session:
            started = time.perf_counter()
            result = await run(session)
            timings.append((time.perf_counter() - started) * 1000)
    return round(statistics.median(timings), 2), result


async def expiring(url: str) -> dict[str, Any]:
    """The expiry query's figures and plans, the table's size and rows, a verify sample."""
    database = Database.from_url(url, pool_size=2)
    postgres = database.is_postgresql
    first_day = lifecycle.today()
    last_day = first_day + timedelta(days=WINDOW_DAYS)
    count_query = (
        select(func.count())
        .select_from(License)
        .where(
            License.status == LicenseStatus.VALID.value,
            License.valid_until >= first_day,
            License.valid_until <= last_day,
        )
    )
    page_query = repository.expiring_query(
        first_day=first_day, last_day=last_day, after=None, limit=1000
    )
    try:
        vacuum_seconds = None
        if postgres:
            # What autovacuum does after a bulk load (the bench's server runs without it): the
            # statistics, and the visibility map, without which an index-only scan reads every
            # row it finds from the table too. Outside a transaction, as VACUUM must be.
            started = time.perf_counter()
            connection = await database.engine.connect()
            try:
                await connection.execution_options(isolation_level="AUTOCOMMIT")
                await connection.execute(text("VACUUM (ANALYZE) licenses"))
            finally:
                await connection.close()
            vacuum_seconds = round(time.perf_counter() - started, 2)
        count_ms, count = await _median_ms(database, lambda s: s.scalar(count_query))
        page_ms, page = await _median_ms(
            database, lambda s: certificates.licenses_expiring(s, within_days=WINDOW_DAYS)
        )
        figures: dict[str, Any] = {
            "vacuum_analyze_seconds": vacuum_seconds,
            "window_days": WINDOW_DAYS,
            "expiring_count": count,
            "count_ms_median": count_ms,
            "first_page_rows": len(page),
            "first_page_ms_median": page_ms,
        }
        async with database.session(write=False) as session:
            explain = "EXPLAIN (ANALYZE, BUFFERS) " if postgres else "EXPLAIN QUERY PLAN "
            for name, query in (("count_plan", count_query), ("first_page_plan", page_query)):
                compiled = query.compile(
                    dialect=session.get_bind().dialect, compile_kwargs={"literal_binds": True}
                )
                rows = await session.execute(text(explain + str(compiled)))
                figures[name] = [" ".join(str(cell) for cell in row) for row in rows]
            figures["rows_in_licenses"] = await session.scalar(
                select(func.count()).select_from(License)
            )
            if postgres:
                sizes = await session.execute(
                    text(
                        "SELECT pg_total_relation_size('licenses'), pg_relation_size('licenses'),"
                        " pg_indexes_size('licenses')"
                    )
                )
                total, heap, indexes = (int(value) for value in sizes.one())
                figures["licenses_total_bytes"] = total
                figures["licenses_total_mb"] = round(total / 2**20, 1)
                figures["licenses_heap_mb"] = round(heap / 2**20, 1)
                figures["licenses_indexes_mb"] = round(indexes / 2**20, 1)
            figures["_sample"] = await _sample(session, figures["rows_in_licenses"], postgres)
    finally:
        await database.dispose()
    return figures


async def _sample(session: Any, rows: int, postgres: bool) -> list[tuple[str, str]]:
    """About VERIFY_SAMPLE random (license_no, holder_name) pairs; TABLESAMPLE on PostgreSQL,
    where sorting tens of millions of rows by random() would take longer than the benchmark."""
    query: Executable = (
        select(License.license_no, License.holder_name).order_by(func.random()).limit(VERIFY_SAMPLE)
    )
    if postgres:
        percent = min(100.0, 100.0 * 2 * VERIFY_SAMPLE / max(rows, 1))
        query = text(
            "SELECT license_no, holder_name FROM licenses TABLESAMPLE SYSTEM (:percent) LIMIT :n"
        ).bindparams(percent=percent, n=VERIFY_SAMPLE)
    return [(row.license_no, row.holder_name) for row in await session.execute(query)]


async def verify(
    port: int, pid: int, sample: list[tuple[str, str]], args: argparse.Namespace
) -> dict[str, Any]:
    """`POST /api/v1/licenses/verify` with random (number, holder name) pairs from
    `args.concurrency` keep-alive connections (the lean generator of bench/_load.py)."""
    bodies = [
        json.dumps({"license_no": number, "holder_name": name}, ensure_ascii=False).encode()
        for number, name in sample
    ]

    def body() -> bytes:
        return random.choice(bodies)

    def check(status: int, answer: bytes) -> str:
        if status != 200:
            return f"status:{status}"
        result = json.loads(answer).get("result")
        return str(result) if result in ("valid", "invalid") else "unexpected_body"

    path = "/api/v1/licenses/verify"
    await run_phase("127.0.0.1", port, path, body, check, clients=args.concurrency,
                    seconds=args.warmup)  # fmt: skip
    server_cpu, client_cpu, busy = tree_cpu_seconds(pid), time.process_time(), busy_cpu_seconds()
    started = time.perf_counter()
    tally = await run_phase("127.0.0.1", port, path, body, check, clients=args.concurrency,
                            seconds=args.seconds)  # fmt: skip
    elapsed = time.perf_counter() - started
    server_cpu = tree_cpu_seconds(pid) - server_cpu
    client_cpu = time.process_time() - client_cpu
    busy = busy_cpu_seconds() - busy
    count = max(len(tally.timings), 1)
    errors = {k: v for k, v in tally.outcomes.items() if k not in ("valid", "invalid")}
    return {
        **latency_figures(tally, elapsed),
        "errors": sum(errors.values()),
        "errors_by_kind": errors,
        "results": {k: tally.outcomes[k] for k in ("valid", "invalid")},
        "server_cpu_ms_per_request": round(server_cpu * 1000 / count, 3),
        "client_cpu_ms_per_request": round(client_cpu * 1000 / count, 3),
        "busy_cpus": {
            "server": round(server_cpu / elapsed, 2),
            "load_generator": round(client_cpu / elapsed, 2),
            "rest": round((busy - server_cpu - client_cpu) / elapsed, 2),
        },
    }


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, generate, import, query, serve and verify; the figures as a dict."""
    busy = busy_cpu_seconds()
    time.sleep(1)
    background = busy_cpu_seconds() - busy
    cli(url, "seed")
    figures: dict[str, Any] = {
        "benchmark": "licenses",
        "database": make_url(url).get_backend_name(),
        "cpus": os.cpu_count(),
        "background_busy_cpus": round(background, 2),
        "rows": args.rows,
    }
    figures["postgresql_settings"] = asyncio.run(server_settings(url))
    with tempfile.TemporaryDirectory(prefix="qe-bench-licenses-") as workdir:
        path, figures["generate"] = registry_file(args, Path(workdir))
        figures["load_average_before_import"] = [round(load, 2) for load in os.getloadavg()]
        wal_before = asyncio.run(wal_position(url))
        done = import_file(url, path, args.workers, args.import_mode)
        wal_after = asyncio.run(wal_position(url))
    summary, wall = done["summary"], done["wall_seconds"]
    figures["import"] = {
        "read": summary["read"],
        "imported": summary["imported"],
        "already_present": summary["already_present"],
        "rejected": summary["rejected"],
        "wall_seconds": round(wall, 2),
        "rows_per_s": round(summary["imported"] / wall),
        "rows_per_s_in_process": summary["rows_per_s"],
        "mode": args.import_mode,
        "index_seconds": summary.get("index_seconds"),
        "peak_rss_mb": done["peak_rss_mb"],
        "cpu_us_per_row": done["cpu_us_per_row"],
        # The server's whole WAL (other databases' too, on a shared server).
        "wal_mb": None if wal_before is None else round((wal_after - wal_before) / 2**20),
        "load_average_after_import": [round(load, 2) for load in os.getloadavg()],
    }
    query = asyncio.run(expiring(url))
    sample = query.pop("_sample")
    figures["expiring"] = query
    if args.skip_verify:
        figures["verify"] = None
        return figures
    return serve_and_verify(url, sample, args, figures)


async def loaded_sample(url: str) -> list[tuple[str, str]]:
    """A verify sample of a registry loaded by an earlier run (`--keep`, then `--loaded`)."""
    database = Database.from_url(url, pool_size=1)
    try:
        async with database.session(write=False) as session:
            rows = await session.scalar(select(func.count()).select_from(License))
            return await _sample(session, rows or 0, database.is_postgresql)
    finally:
        await database.dispose()


def serve_and_verify(
    url: str, sample: list[tuple[str, str]], args: argparse.Namespace, figures: dict[str, Any]
) -> dict[str, Any]:
    """Serve the registry and verify against it (and the bare endpoint with --bare)."""
    figures["load_average_before_verify"] = [round(load, 2) for load in os.getloadavg()]
    port = free_port()
    command = [sys.executable, "-m", "app.cli", "serve", "--port", str(port),
               "--workers", str(args.server_workers)]  # fmt: skip
    # The limit is counted (in Redis where given, as production would, else in the database)
    # but set too high to refuse anything.
    counters = {"QE_REDIS_URL": args.redis_url} if args.redis_url else {}
    env = environment(url, QE_LICENSE_VERIFY_RATE_LIMIT="100000000", **counters)
    with running(command, cwd=ROOT, env=env, port=port) as pid:
        mine = uvloop.run(verify(port, pid, sample, args))
        figures["verify"] = {
            "concurrency": args.concurrency,
            "seconds": args.seconds,
            "warmup_seconds": args.warmup,
            "server_workers": args.server_workers,
            "rate_limit_counters": "redis" if args.redis_url else "database",
            **mine,
        }
        if args.bare:
            figures["bare"] = against_bare(url, port, pid, sample, args, first=mine)
    return figures


def against_bare(
    url: str,
    port: int,
    pid: int,
    sample: list[tuple[str, str]],
    args: argparse.Namespace,
    *,
    first: dict[str, Any],
) -> dict[str, Any]:
    """The bare FastAPI + asyncpg endpoint (bench/bare_verify.py, as many workers), measured
    alternately with the platform: two rounds each, medians and their ratio."""
    bare_port = free_port()
    libpq = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    command = [sys.executable, "bare_verify.py", str(bare_port), str(args.server_workers)]
    env = {**os.environ, "BARE_DATABASE_URL": libpq}
    ours, bare = [first], []
    with running(command, cwd=ROOT / "bench", env=env, port=bare_port) as bare_pid:
        bare.append(uvloop.run(verify(bare_port, bare_pid, sample, args)))
        ours.append(uvloop.run(verify(port, pid, sample, args)))
        bare.append(uvloop.run(verify(bare_port, bare_pid, sample, args)))

    def median(rounds: list[dict[str, Any]], figure: str) -> float:
        return round(statistics.median(r[figure] for r in rounds), 2)

    mine, theirs = median(ours, "requests_per_s"), median(bare, "requests_per_s")
    return {
        "server": "bench/bare_verify.py (FastAPI + asyncpg)",
        "server_workers": args.server_workers,
        "rounds": {"ours": ours[1:], "bare": bare},
        "ours_requests_per_s": mine,
        "bare_requests_per_s": theirs,
        "ratio": round(mine / theirs, 3) if theirs else None,
        "ours_p99_ms": median(ours, "p99_ms"),
        "bare_p99_ms": median(bare, "p99_ms"),
        "ours_server_cpu_ms": median(ours, "server_cpu_ms_per_request"),
        "bare_server_cpu_ms": median(bare, "server_cpu_ms_per_request"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a throwaway database")
    parser.add_argument("--rows", type=int, default=DEFAULT_ROWS)
    parser.add_argument("--full", action="store_true", help=f"{FULL_ROWS:,} rows")
    parser.add_argument("--workers", type=int, help="the import's checking processes")
    parser.add_argument(
        "--rows-file", type=Path,
        help="keep the generated rows at this path and reuse them when it exists",
    )  # fmt: skip
    parser.add_argument(
        "--import-mode", choices=["initial", "incremental"], default="initial",
        help="--initial-load into the empty registry (default), or the incremental import",
    )  # fmt: skip
    parser.add_argument("--seconds", type=float, default=10.0, help="measured verify time")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--skip-verify", action="store_true")
    parser.add_argument(
        "--bare", action="store_true",
        help="also measure bench/bare_verify.py (FastAPI + asyncpg) alternately, and the ratio",
    )  # fmt: skip
    parser.add_argument("--server-workers", type=int, default=2, help="`serve --workers`")
    parser.add_argument(
        "--redis-url", default="redis://127.0.0.1:6379/0",
        help="where the server counts rate limits ('' for the database)",
    )  # fmt: skip
    parser.add_argument(
        "--keep", action="store_true",
        help="keep the database after the run, for later runs with --loaded",
    )  # fmt: skip
    parser.add_argument(
        "--loaded", action="store_true",
        help="--database-url holds a registry a --keep run loaded: only serve and verify",
    )  # fmt: skip
    args = parser.parse_args()
    if args.full:
        args.rows = FULL_ROWS
    if args.loaded:
        # Quick iterations on the verify path: no seed, no import, the database is left as is.
        url, busy = args.database_url, busy_cpu_seconds()
        time.sleep(1)
        background = round(busy_cpu_seconds() - busy, 2)
        figures = {"benchmark": "licenses", "database": make_url(url).get_backend_name(),
                   "cpus": os.cpu_count(), "background_busy_cpus": background}  # fmt: skip
        figures = serve_and_verify(url, asyncio.run(loaded_sample(url)), args, figures)
        print(json.dumps(figures, ensure_ascii=False))
        return
    with throwaway_database(args.database_url, keep=args.keep) as url:
        print(json.dumps(run(url, args), ensure_ascii=False))


if __name__ == "__main__":
    main()
