"""Benchmark: catalog search latency through a real server process.

Migrates and seeds a fresh database (a temporary SQLite file by default, or a throwaway
PostgreSQL database with `--database-url postgresql+asyncpg://…/<name>`, created first and
dropped at the end), starts `uvicorn app.main:create_app --factory` on a free port, warms up,
then sends realistic search queries one after another and prints one JSON object:

    .venv/bin/python bench/catalog_search.py [--database-url URL] [--queries 200]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import statistics
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _support import free_port, running, throwaway_database  # noqa: E402

from app import migrate  # noqa: E402
from app.db import Database  # noqa: E402
from app.seed import seed_reference_data  # noqa: E402

GOAL_P99_MS = 20

# (params, follow the cursor to the second page?)
QUERIES: list[tuple[dict[str, str], bool]] = [
    ({"q": "公积金"}, False),
    ({"q": "提取"}, False),
    ({"q": "营业执照"}, False),
    ({"q": "卫生许可"}, False),
    ({"q": "落户"}, False),
    ({"q": "不动产"}, False),
    ({"q": "社保"}, False),
    ({"q": "医保"}, False),
    ({"q": "退休"}, False),
    ({"q": "公积金 提取"}, False),
    ({"q": "住房公积金提取（租赁住房）"}, False),
    ({"q": "幼儿园"}, False),
    ({"q": "二手房"}, False),
    ({"q": "供水"}, False),
    ({"q": "提取", "department": "gjj"}, False),
    ({"q": "登记", "department": "scjg"}, False),
    ({"department": "gjj"}, False),
    ({"q": "许可", "district": "370211"}, False),
    ({"district": "370202"}, False),
    ({"q": "证明", "district": "370281", "mode": "auto"}, False),
    ({"mode": "auto"}, False),
    ({"q": "公积金", "mode": "auto"}, False),
    ({"q": "登记"}, True),
    ({"q": "许可"}, True),
    ({}, True),
    ({"q": "证", "limit": "50"}, False),
    # Pinyin, initials and synonyms (issue 14)
    ({"q": "gjj"}, False),
    ({"q": "gongjijin"}, False),
    ({"q": "取公积金"}, False),
    ({"q": "户口"}, False),
    ({"q": "执照"}, False),
    ({"q": "营业执照补领", "district": "370211"}, False),
]


async def prepare(url: str) -> float:
    """Migrate and seed; returns the seconds seeding took."""
    database = Database.from_url(url)
    try:
        await migrate.upgrade(database.engine)
        report = await seed_reference_data(database)
    finally:
        await database.dispose()
    return report.seconds


@contextlib.contextmanager
def server(url: str, port: int) -> Iterator[str]:
    """The API as a subprocess, ready to serve."""
    env = {
        **os.environ,
        "QE_DATABASE_URL": url,
        "QE_INPROCESS_WORKER": "false",
        "QE_LOG_LEVEL": "WARNING",
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_app",
        "--factory",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with running(command, cwd=ROOT, env=env, port=port):
        yield f"http://127.0.0.1:{port}"


def requests(http: httpx.Client, count: int) -> list[dict[str, str]]:
    """`count` query parameter sets; second-page queries carry a cursor fetched beforehand."""
    params: list[dict[str, str]] = []
    for i in range(count):
        query, second_page = QUERIES[i % len(QUERIES)]
        if second_page:
            first = http.get("/api/v1/services", params=query).json()
            query = {**query, "cursor": first["next_cursor"]}
        params.append(query)
    return params


def run(url: str, count: int) -> dict[str, Any]:
    """Seed, serve, query; the figures as a dict."""
    seed_seconds = asyncio.run(prepare(url))
    with server(url, free_port()) as base, httpx.Client(base_url=base, timeout=10) as http:
        plan = requests(http, count)
        for query in plan[:50]:  # warm-up: connections, caches, the query planner
            http.get("/api/v1/services", params=query).raise_for_status()
        timings: list[float] = []
        for query in plan:
            started = time.perf_counter()
            response = http.get("/api/v1/services", params=query)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
        total = http.get("/api/v1/catalog/summary").json()["services"]
    timings.sort()
    return {
        "benchmark": "catalog_search",
        "database": make_url(url).get_backend_name(),
        "queries": len(timings),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(statistics.quantiles(timings, n=100, method="inclusive")[98], 2),
        "max_ms": round(timings[-1], 2),
        "goal_p99_ms": GOAL_P99_MS,
        "services": total,
        "seed_seconds": round(seed_seconds, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", help="postgresql+asyncpg://…/<throwaway name>")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    with throwaway_database(args.database_url) as url:
        print(json.dumps(run(url, args.queries), ensure_ascii=False))


if __name__ == "__main__":
    main()
