"""Periodic jobs: declared as data, queued once per period however many workers find them due,
run like any job, and `qingeban jobs run-due` runs what is due now."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, time

import httpx
import pytest
from sqlalchemy import func, select

from app.cli import main
from app.config import Settings
from app.db import Database
from app.jobs import schedules
from app.jobs.models import Job
from app.jobs.schedules import Schedule
from app.jobs.worker import Worker
from app.kit.clock import SHANGHAI

Travel = Callable[[str], None]


def test_a_period_starts_at_the_hour_or_at_the_days_local_time() -> None:
    daily = Schedule("d", "k", "day", time(8, 0))
    hourly = Schedule("h", "k", "hour")
    before_eight = datetime(2026, 11, 24, 7, 59, tzinfo=SHANGHAI)
    at_eight = datetime(2026, 11, 24, 8, 0, tzinfo=SHANGHAI)
    assert daily.period_start(before_eight) == datetime(2026, 11, 23, 8, 0, tzinfo=SHANGHAI)
    assert daily.period_start(at_eight) == at_eight
    assert hourly.period_start(before_eight) == datetime(2026, 11, 24, 7, 0, tzinfo=SHANGHAI)
    assert daily.dedupe_key(at_eight) == "schedule:d:2026-11-24T08:00:00+08:00"


def test_the_shipped_schedules_have_handlers() -> None:
    from app import tasks  # noqa: F401  (registers every job handler)
    from app.jobs.registry import registered_kinds

    kinds = {schedule.kind for schedule in schedules.schedules()}
    assert kinds
    assert kinds <= registered_kinds()


async def _scheduled_jobs(database: Database) -> dict[str, int]:
    async with database.session(write=False) as session:
        rows = await session.execute(
            select(Job.kind, func.count()).where(Job.dedupe_key.like("schedule:%"))
            .group_by(Job.kind)
        )  # fmt: skip
        return {str(row[0]): int(row[1]) for row in rows}


async def test_workers_queue_each_period_once(
    database: Database, settings: Settings, travel: Travel
) -> None:
    travel("2026-11-24T08:30:00+08:00")
    enabled = settings.model_copy(update={"schedules_enabled": True})
    workers = [Worker(database, enabled, worker_id=f"w{n}") for n in range(3)]
    await asyncio.gather(*(worker.queue_schedules() for worker in workers))
    await asyncio.gather(*(worker.queue_schedules() for worker in workers))  # remembered
    once = {schedule.kind: 1 for schedule in schedules.schedules()}
    assert await _scheduled_jobs(database) == once
    travel("2026-11-24T09:05:00+08:00")  # the hourly ones begin a new period
    await asyncio.gather(*(worker.queue_schedules() for worker in workers))
    hourly = {s.kind for s in schedules.schedules() if s.every == "hour"}
    assert await _scheduled_jobs(database) == {kind: 2 if kind in hourly else 1 for kind in once}


@pytest.mark.usefixtures("world")
async def test_run_due_runs_the_periodic_jobs(
    database_url: str,
    database: Database,
    client: httpx.AsyncClient,
    admin_headers: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("QE_DATABASE_URL", database_url)
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        # The command runs its own event loop, as from a shell: in a thread here.
        assert await asyncio.to_thread(main, ["jobs", "run-due"]) == 0
        first = json.loads(capsys.readouterr().out)
        assert await asyncio.to_thread(main, ["jobs", "run-due"]) == 0
        again = json.loads(capsys.readouterr().out)
    finally:
        get_settings.cache_clear()
    assert first["schedules"] == len(schedules.schedules())
    assert first["jobs_run"] >= len(schedules.schedules())
    listed = await client.get("/api/v1/admin/jobs", headers=admin_headers, params={"limit": 100})
    scheduled = [j for j in listed.json()["items"] if j["kind"].startswith("scheduled.")]
    assert {j["state"] for j in scheduled} == {"done"}
    assert len(scheduled) == len(schedules.schedules()), "the same period is not queued twice"
    assert again["jobs_run"] == 0
