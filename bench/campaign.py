"""Benchmark and check: 静默认证 at city scale (issue 16, item 4).

On a throwaway PostgreSQL database, with the simulated departments in their own process
(`qingeban simulator`, a population sized for `--pensioners` recipients) and `qingeban worker`
processes sharing the campaign's batch jobs (FOR UPDATE SKIP LOCKED):

1. one worker runs a pilot (the first `--sample` share of the roster): persons/s with one worker;
2. two workers run the same pilot again as a new campaign, and one of them is killed with
   SIGKILL when about half its batches are done, then started again: the final counts must
   equal the clean run's, with exactly one case and one data-access record per person;
3. two workers run the whole roster (the city): total time and persons/s with two workers.

Peak memory (VmHWM, the resident set's high-water mark) of every process is read from /proc
before it stops. Prints one JSON object; exits 1 when a check fails:

    .venv/bin/python bench/campaign.py [--pensioners 2000000] [--sample 0.1]
                                       [--database-url postgresql+asyncpg://…/qe_bench_campaign]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from _support import free_port, throwaway_database

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/qe_bench_campaign"
# Measured on the default seed: 39.6% of the population draws a pension.
PENSIONER_SHARE = 0.396
DEPARTMENTS = ("rsj", "ybj", "jtj", "bank", "gaj", "wjw", "mzj", "sfj")


def peak_rss_mb(pid: int) -> float | None:
    """The process's resident-set high-water mark in MB (None once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


class Processes:
    """Child processes of the benchmark, each logging to its own file; all stopped at exit."""

    def __init__(self, env: dict[str, str], logs: Path) -> None:
        self.env, self.logs = env, logs
        self.started: list[tuple[str, subprocess.Popen[bytes]]] = []
        self.peaks: dict[str, float | None] = {}

    def start(self, name: str, *command: str) -> subprocess.Popen[bytes]:
        log = (self.logs / f"{name}.log").open("wb")
        argv = [sys.executable, "-m", "app.cli", *command]
        process = subprocess.Popen(argv, cwd=ROOT, env=self.env, stdout=log, stderr=log)
        self.started.append((name, process))
        return process

    def stop(self, name: str, process: subprocess.Popen[bytes], *, kill: bool = False) -> None:
        self.peaks[name] = peak_rss_mb(process.pid)
        if kill:
            process.send_signal(signal.SIGKILL)
        else:
            process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def stop_all(self) -> None:
        for name, process in self.started:
            if process.poll() is None:
                self.stop(name, process)


@contextlib.contextmanager
def children(env: dict[str, str], logs: Path) -> Iterator[Processes]:
    procs = Processes(env, logs)
    try:
        yield procs
    finally:
        procs.stop_all()


def wait_simulator(base: str, process: subprocess.Popen[bytes]) -> float:
    started = time.monotonic()
    while time.monotonic() - started < 600:
        if process.poll() is not None:
            raise SystemExit("the simulator exited; see its log")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{base}/rsj/datasets", timeout=2).status_code in (200, 400, 401):
                return time.monotonic() - started
        time.sleep(0.5)
    raise SystemExit("the simulator did not start")


async def _create(pilot: list[tuple[int, int]] | None) -> tuple[str, int]:
    from app.audit.schemas import AuditContext
    from app.config import get_settings
    from app.db import Database
    from app.proactive.campaigns import service
    from app.proactive.campaigns.schemas import CampaignCreate, PositionRange

    database = Database.from_url(get_settings().database_url)
    try:
        async with database.session(write=True) as session:
            ranges = [PositionRange(start=lo, end=hi) for lo, hi in pilot] if pilot else None
            read = await service.create(
                session, CampaignCreate(pilot=ranges), actor="bench", context=AuditContext()
            )
        return str(read.id), read.roster_positions
    finally:
        # Each asyncio.run has its own loop: the department connections must not outlive it.
        from app.adapters.client import close_shared_client
        from app.adapters.service import reset_exchange

        await close_shared_client()
        reset_exchange()
        await database.dispose()


async def _figures(campaign_id: str) -> dict[str, Any]:
    from sqlalchemy import func, select

    from app.adapters.models import DataAccessRecord
    from app.config import get_settings
    from app.db import Database
    from app.proactive.campaigns import service
    from app.proactive.campaigns.models import CampaignCase

    database = Database.from_url(get_settings().database_url)
    try:
        async with database.session() as session:
            read = await service.get(session, __import__("uuid").UUID(campaign_id))
            cases = await session.scalar(
                select(func.count())
                .select_from(CampaignCase)
                .where(CampaignCase.campaign_id == read.id)
            )
            reads = await session.scalar(
                select(func.count())
                .select_from(DataAccessRecord)
                .where(DataAccessRecord.purpose == f"pension-qualification-campaign:{read.id}")
            )
        return {"status": read.status, **read.progress.model_dump(), "cases": cases,
                "access_records": reads}  # fmt: skip
    finally:
        await database.dispose()


def figures(campaign_id: str) -> dict[str, Any]:
    return asyncio.run(_figures(campaign_id))


def wait_done(
    campaign_id: str, *, kill_at: float | None = None, on_kill: Any = None, timeout: float = 7200
) -> tuple[float, dict[str, Any]]:
    """Poll until the campaign completes; call `on_kill` once past `kill_at` of its batches."""
    started = time.monotonic()
    killed = False
    while time.monotonic() - started < timeout:
        now = figures(campaign_id)
        if now["status"] == "completed":
            return time.monotonic() - started, now
        if (
            kill_at is not None
            and not killed
            and now["batches_done"] >= kill_at * now["batches_total"]
        ):
            on_kill(now)
            killed = True
        time.sleep(1.0)
    raise SystemExit(f"campaign {campaign_id} did not finish in {timeout} s")


def counts(found: dict[str, Any]) -> dict[str, int]:
    keys = ("done", "silent", "invited", "referred", "cases", "access_records")
    return {key: int(found[key]) for key in keys}


def run(url: str, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    size = min(int(args.pensioners / PENSIONER_SHARE) + 1000, 99_000_000)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, "QE_DATABASE_URL": url, "QE_SIM_SIZE": str(size),
        "QE_DEPARTMENT_URLS": json.dumps(dict.fromkeys(DEPARTMENTS, base)),
        "QE_INPROCESS_WORKER": "false", "QE_SCHEDULES_ENABLED": "false",
        "QE_JOB_POLL_SECONDS": "0.2", "QE_LOG_LEVEL": "WARNING", "QE_JOB_LEASE_SECONDS": "30",
    }  # fmt: skip
    os.environ.update(
        {k: env[k] for k in ("QE_DATABASE_URL", "QE_DEPARTMENT_URLS", "QE_LOG_LEVEL")}
    )
    subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, check=True,
                   capture_output=True)  # fmt: skip
    checks: dict[str, bool] = {}
    result: dict[str, Any] = {"benchmark": "campaign", "cpus": os.cpu_count(),
                              "population": size}  # fmt: skip
    with children(env, logs) as procs:
        simulator = procs.start("simulator", "simulator", "--port", str(port))
        result["simulator_ready_seconds"] = round(wait_simulator(base, simulator), 1)
        sample = [(0, max(10_000, int(size * args.sample)))]

        # 1. one worker, a clean pilot
        pilot_id, _ = asyncio.run(_create(sample))
        one = procs.start("worker-a", "worker")
        seconds_one, clean = wait_done(pilot_id)
        result["one_worker"] = {"persons": clean["done"], "seconds": round(seconds_one, 1),
                                "persons_per_s": round(clean["done"] / seconds_one, 1)}  # fmt: skip

        # 2. two workers, the same pilot, one killed midway and started again
        again_id, _ = asyncio.run(_create(sample))
        two = procs.start("worker-b", "worker")
        restarted: list[subprocess.Popen[bytes]] = []

        def kill(now: dict[str, Any]) -> None:
            procs.stop("worker-b (killed)", two, kill=True)
            result["killed_at"] = {"batches_done": now["batches_done"],
                                   "batches_total": now["batches_total"]}  # fmt: skip
            restarted.append(procs.start("worker-c", "worker"))

        _, after_kill = wait_done(again_id, kill_at=0.5, on_kill=kill)
        result["kill_9"] = {"clean": counts(clean), "killed_and_restarted": counts(after_kill)}
        checks["kill_9_counts_equal_a_clean_run"] = counts(after_kill) == counts(clean)
        checks["one_case_and_one_access_record_per_person"] = (
            after_kill["cases"] == after_kill["access_records"] == after_kill["done"]
        )

        # 3. the whole city on two workers
        city_id, positions = asyncio.run(_create(None))
        seconds_city, city = wait_done(city_id)
        result["city"] = {
            "roster_positions": positions, "pensioners": city["done"],
            "seconds": round(seconds_city, 1),
            "persons_per_s_two_workers": round(city["done"] / seconds_city, 1),
            "silent_share": city["silent_share"], "silent": city["silent"],
            "invited": city["invited"], "referred": city["referred"],
            "extrapolated_2m_minutes": round(2_000_000 / (city["done"] / seconds_city) / 60, 1),
        }  # fmt: skip
        checks["city_one_case_per_person"] = city["cases"] == city["done"]
        checks["measured_roster_within_15_minutes"] = seconds_city <= 15 * 60
        procs.stop("worker-a", one)
        for process in restarted:
            procs.stop("worker-c", process)
        procs.stop("simulator", simulator)
    result["peak_rss_mb"] = procs.peaks
    result["checks"] = checks
    result["ok"] = all(checks.values())
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a throwaway PostgreSQL DB")
    parser.add_argument("--pensioners", type=int, default=2_000_000, help="the city's recipients")
    parser.add_argument("--sample", type=float, default=0.1, help="the pilots' share of the roster")
    parser.add_argument("--logs", type=Path, help="keep the processes' logs in this directory")
    args = parser.parse_args()
    with contextlib.ExitStack() as stack:
        if args.logs is None:
            logs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="qe-campaign-")))
        else:
            logs = args.logs
            logs.mkdir(parents=True, exist_ok=True)
        with throwaway_database(args.database_url) as url:
            result = run(url, args, logs)
    print(json.dumps(result, ensure_ascii=False))
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
