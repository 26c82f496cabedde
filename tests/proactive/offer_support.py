"""What the renewal-offer tests share: the daily scan run as the schedule runs it, and the
personas' offers as the API lists them."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy import select

from app.auth.models import DemoSmsMessage
from app.config import Settings
from app.db import Database
from app.jobs import schedules
from app.jobs.worker import Worker
from app.kit.clock import utcnow
from app.proactive.offers import tasks

Headers = dict[str, str]


async def run_due(database: Database, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> int:
    """`qingeban jobs run-due` in-process: queue the schedules due now (the renewal scan among
    them) and run every job due, with the test's settings; how many jobs ran."""
    monkeypatch.setattr(tasks, "get_settings", lambda: settings)
    async with database.session() as session:
        await schedules.queue_due(session, utcnow())
    worker, ran = Worker(database, settings, worker_id="tests"), 0
    for _ in range(20):
        done = await worker.run_once()
        if done == 0:
            break
        ran += done
    return ran


async def offers(client: httpx.AsyncClient, headers: Headers) -> list[dict[str, Any]]:
    """The caller's offers (200 asserted)."""
    answer = await client.get("/api/v1/me/offers", headers=headers)
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


async def the_offer(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    """The caller's one offer."""
    found = await offers(client, headers)
    assert len(found) == 1, found
    return found[0]


async def demo_texts(database: Database) -> list[str]:
    """Every text the demo SMS gateway kept, oldest first."""
    async with database.session(write=False) as session:
        rows = await session.scalars(select(DemoSmsMessage).order_by(DemoSmsMessage.sent_at))
        return [row.body for row in rows]
