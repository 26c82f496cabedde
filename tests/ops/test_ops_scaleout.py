"""The production shape, shown: bench/scaleout.py starts two API processes and two workers at
once on an empty PostgreSQL database with a private Redis, drives them through a round-robin
balancer, and every one of its checks must hold (they are listed in its docstring)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from redis_support import redis_server
from sqlalchemy.engine import make_url

from app.db import Database

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_two_api_processes_and_two_workers_on_one_database(
    database: Database, database_url: str, tmp_path: Path
) -> None:
    if not database.is_postgresql:
        pytest.skip("several processes share PostgreSQL; SQLite is served by one")
    throwaway = make_url(database_url).set(database=f"{make_url(database_url).database}_scaleout")
    with redis_server() as redis_url:
        done = subprocess.run(
            [sys.executable, "bench/scaleout.py", "--seconds", "1", "--concurrency", "4",
             "--database-url", throwaway.render_as_string(hide_password=False),
             "--redis-url", redis_url, "--logs", str(tmp_path)],
            cwd=ROOT, capture_output=True, text=True, check=False, timeout=600,
            env={**os.environ, "QE_LOG_LEVEL": "WARNING"},
        )  # fmt: skip
    assert done.stdout, done.stderr[-3000:]
    result = json.loads(done.stdout.splitlines()[-1])
    failed = [name for name, held in result["checks"].items() if not held]
    assert not failed, (failed, result)
    assert result["ok"] is True
    assert done.returncode == 0
