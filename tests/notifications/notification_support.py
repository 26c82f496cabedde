"""Helpers of the notification tests: run the job queue dry, read an inbox, the demo texts."""

from __future__ import annotations

from typing import Any

import httpx
from sqlalchemy import select

from app.auth.models import DemoSmsMessage
from app.config import Settings
from app.db import Database
from app.jobs.worker import Worker

Headers = dict[str, str]


async def drain(database: Database, settings: Settings, *, rounds: int = 20) -> int:
    """Run due jobs until none is left (the fan-out queues texts and deliveries: more rounds)."""
    worker = Worker(database, settings, worker_id="tests")
    ran = 0
    for _ in range(rounds):
        done = await worker.run_once()
        if done == 0:
            break
        ran += done
    return ran


async def inbox(client: httpx.AsyncClient, headers: Headers, **params: Any) -> dict[str, Any]:
    """The caller's inbox page (200 asserted)."""
    answer = await client.get("/api/v1/me/messages", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def demo_texts(database: Database) -> list[str]:
    """Every text the demo gateway kept, oldest first."""
    async with database.session(write=False) as session:
        rows = await session.scalars(select(DemoSmsMessage).order_by(DemoSmsMessage.sent_at))
        return [row.body for row in rows]
