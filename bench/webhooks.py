"""Benchmark: webhook deliveries per second by one and by two workers, and what emitting an
event adds to the request that causes it (goal: ≤ 1 ms median).

Migrates a fresh database (a temporary SQLite file by default, or a throwaway PostgreSQL
database with `--database-url postgresql+asyncpg://…/<name>`, created first and dropped at the
end), serves a local receiver (its own process: it answers 204 and counts distinct
`webhook-id`s), subscribes it to `license.issued`, then for 1 and for 2 `qingeban worker`
processes publishes N events and times until the receiver has every one (each event is a
fan-out job, then a signed delivery job). Separately it times `notifications.publish()` inside
a transaction that has already done its work — the event row and its fan-out job, flushed —
which is what a request that emits an event pays (`publish_ms_*`).

    .venv/bin/python bench/webhooks.py [--database-url URL] [--events 500]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import athrowaway_database as throwaway_database  # noqa: E402
from _support import free_port  # noqa: E402

from app import migrate  # noqa: E402
from app.db import Database  # noqa: E402
from app.kit.clock import utcnow  # noqa: E402
from app.kit.ids import new_id  # noqa: E402
from app.notifications import service as notifications  # noqa: E402
from app.notifications import signing  # noqa: E402
from app.notifications.models import WebhookSubscription  # noqa: E402

GOAL_MS = 1.0
STARTUP_SECONDS = 4.0
DEPARTMENT = "scjg"

RECEIVER = """
import sys, uvicorn
from starlette.applications import Starlette
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
seen = set()
async def hook(request):
    seen.add(request.headers["webhook-id"])
    return Response(status_code=204)
async def count(request):
    return JSONResponse({"count": len(seen)})
app = Starlette(routes=[Route("/hook", hook, methods=["POST"]), Route("/count", count)])
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", access_log=False)
"""


async def _received(http: httpx.AsyncClient, base: str) -> int:
    return int((await http.get(f"{base}/count")).json()["count"])


async def _publish(database: Database, count: int) -> None:
    async with database.session() as session:
        for n in range(count):
            await notifications.publish(
                session, "license.issued", subject=f"license/bench-{n}",
                payload={"license_no": f"bench-{n}", "type_code": "bench", "status": "valid"},
                department_code=DEPARTMENT,
            )  # fmt: skip


async def _deliver(
    database: Database, url: str, base: str, workers: int, events: int
) -> dict[str, Any]:
    env = {**os.environ, "QE_DATABASE_URL": url, "QE_LOG_LEVEL": "WARNING",
           "QE_JOB_POLL_SECONDS": "0.05"}  # fmt: skip
    async with httpx.AsyncClient(timeout=5) as http:
        before = await _received(http, base)
        processes = [
            subprocess.Popen(  # noqa: ASYNC220 - started once, waited for below
                [sys.executable, "-m", "app.cli", "worker"],
                env=env,
                cwd=ROOT,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for _ in range(workers)
        ]
        try:
            # The workers import the app and start polling first: their start is not timed.
            await asyncio.sleep(STARTUP_SECONDS)
            started = time.perf_counter()
            await _publish(database, events)
            while await _received(http, base) < before + events:
                if time.perf_counter() - started > 600:
                    raise SystemExit("deliveries did not finish within 10 minutes")
                await asyncio.sleep(0.02)
            elapsed = time.perf_counter() - started
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
    return {"workers": workers, "events": events, "seconds": round(elapsed, 2),
            "events_per_s": round(events / elapsed, 1)}  # fmt: skip


async def _publish_cost(database: Database, rounds: int) -> dict[str, float]:
    costs = []
    for n in range(rounds):
        async with database.session() as session:
            # A request that emits an event is inside its transaction already: BEGIN (a round
            # trip of its own) is not part of what publishing adds.
            await session.execute(text("SELECT 1"))
            started = time.perf_counter()
            await notifications.publish(
                session, "license.issued", subject=f"license/cost-{n}",
                payload={"license_no": f"cost-{n}"}, department_code="none",
            )  # fmt: skip
            await session.flush()
            costs.append((time.perf_counter() - started) * 1000)
    costs = costs[min(50, rounds // 10) :]  # warm-up
    costs.sort()
    return {
        "publish_ms_median": round(statistics.median(costs), 3),
        "publish_ms_p95": round(costs[int(len(costs) * 0.95)], 3),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--events", type=int, default=500)
    parser.add_argument("--publish-rounds", type=int, default=1000)
    args = parser.parse_args()
    port = free_port()
    receiver = subprocess.Popen([sys.executable, "-c", RECEIVER, str(port)])  # noqa: ASYNC220
    base = f"http://127.0.0.1:{port}"
    try:
        async with throwaway_database(args.database_url) as url:
            database = Database.from_url(url)
            try:
                await migrate.upgrade(database.engine)
                now = utcnow()
                async with database.session() as session:
                    session.add(WebhookSubscription(
                        id=new_id(), owner="bench", department_code=DEPARTMENT,
                        url=f"{base}/hook", event_types=["license.issued"],
                        secret=signing.new_secret(), state="active", consecutive_failures=0,
                        created_at=now, updated_at=now,
                    ))  # fmt: skip
                for _ in range(100):
                    try:
                        await _received(httpx.AsyncClient(), base)
                        break
                    except httpx.HTTPError:
                        await asyncio.sleep(0.05)
                runs = [await _deliver(database, url, base, n, args.events) for n in (1, 2)]
                cost = await _publish_cost(database, args.publish_rounds)
            finally:
                await database.dispose()
    finally:
        receiver.terminate()
        receiver.wait(timeout=30)
    print(json.dumps({
        "database": url.split(":")[0], "runs": runs, **cost, "goal_ms": GOAL_MS,
        "meets_goal": cost["publish_ms_median"] <= GOAL_MS,
    }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
