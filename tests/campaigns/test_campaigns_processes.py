"""`kill -9` of a worker in the middle of a campaign on PostgreSQL: the batches are shared by two
worker processes (FOR UPDATE SKIP LOCKED), one is killed and another started, and the campaign
ends with exactly the counts of a clean run, one case and one data-access record per person."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import uuid

import httpx
import pytest
from campaign_support import drain, pilot, progress
from sqlalchemy import func, select

from app.adapters.models import DataAccessRecord
from app.config import Settings
from app.db import Database
from app.proactive.campaigns.models import CampaignCase

Headers = dict[str, str]

_WORKER = "from app.cli import main; raise SystemExit(main(['worker']))"
_FIGURES = ("done", "silent", "invited", "referred", "batches_done", "batches_total")


async def _worker(settings: Settings) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "QE_ENV": "test",
        "QE_DATABASE_URL": settings.database_url,
        "QE_JOB_LEASE_SECONDS": "3",
        "QE_JOB_POLL_SECONDS": "0.05",
        "QE_SCHEDULES_ENABLED": "false",
        "QE_LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", _WORKER, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def _start(client: httpx.AsyncClient, admin: Headers) -> str:
    answer = await client.post(
        "/api/v1/admin/campaigns", json={"pilot": pilot(800), "block_size": 100}, headers=admin
    )
    assert answer.status_code == 201, answer.text
    return str(answer.json()["id"])


async def _rows(database: Database, campaign_id: str) -> tuple[int, int]:
    async with database.session() as session:
        cases = await session.scalar(
            select(func.count())
            .select_from(CampaignCase)
            .where(CampaignCase.campaign_id == uuid.UUID(campaign_id))
        )
        reads = await session.scalar(
            select(func.count())
            .select_from(DataAccessRecord)
            .where(DataAccessRecord.purpose == f"pension-qualification-campaign:{campaign_id}")
        )
    return int(cases or 0), int(reads or 0)


@pytest.mark.slow
async def test_a_worker_killed_mid_campaign_loses_and_repeats_nothing(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin_headers: Headers
) -> None:
    if not database.is_postgresql:
        pytest.skip("several worker processes share PostgreSQL; SQLite has one writer")
    clean_id = await _start(client, admin_headers)
    await drain(database, settings, rounds=200)
    clean = (await progress(client, admin_headers, clean_id))["progress"]
    assert clean["batches_done"] == clean["batches_total"] == 24

    campaign_id = await _start(client, admin_headers)
    first, second = await _worker(settings), await _worker(settings)
    third = None
    try:
        for _ in range(1200):
            now = (await progress(client, admin_headers, campaign_id))["progress"]
            if now["batches_done"] >= 6:
                break
            await asyncio.sleep(0.05)
        os.kill(first.pid, signal.SIGKILL)
        await first.wait()
        assert now["batches_done"] < now["batches_total"], "killed midway, not after the end"
        third = await _worker(settings)
        for _ in range(1200):
            ended = await progress(client, admin_headers, campaign_id)
            if ended["status"] == "completed":
                break
            await asyncio.sleep(0.1)
    finally:
        for process in (first, second, third):
            if process is not None and process.returncode is None:
                process.terminate()
                await process.wait()
    assert ended["status"] == "completed"
    figures = ended["progress"]
    assert {key: figures[key] for key in _FIGURES} == {key: clean[key] for key in _FIGURES}
    assert await _rows(database, campaign_id) == (clean["done"], clean["done"])
