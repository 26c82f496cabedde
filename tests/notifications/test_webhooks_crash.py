"""`kill -9` of a worker mid-delivery loses no event: another run delivers it after the lease
expires, with the same `webhook-id`, and the receiver drops nothing and double-counts nothing."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable, Callable
from datetime import date

import httpx
import pytest
from receiver import Receiver, serving

from app.config import Settings
from app.kit.resident_id import make_resident_id

Headers = dict[str, str]

_WORKER = "from app.cli import main; raise SystemExit(main(['worker']))"


async def _worker(settings: Settings) -> asyncio.subprocess.Process:
    env = {
        **os.environ,
        "QE_ENV": "test",
        "QE_DATABASE_URL": settings.database_url,
        "QE_JOB_LEASE_SECONDS": "1",
        "QE_JOB_POLL_SECONDS": "0.05",
        "QE_LOG_LEVEL": "WARNING",
    }
    return await asyncio.create_subprocess_exec(
        sys.executable, "-c", _WORKER, env=env,
        stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


@pytest.mark.slow
async def test_a_worker_killed_mid_delivery_loses_no_event(
    client: httpx.AsyncClient,
    client_token: Callable[..., Awaitable[Headers]],
    scjg_clerk: Headers,
    settings: Settings,
) -> None:
    partner = await client_token("department", ["webhooks"], department="scjg")
    async with serving(Receiver(hold_first=True)) as receiver:
        created = await client.post(
            "/api/v1/webhooks/subscriptions", headers=partner,
            json={"url": receiver.url, "event_types": ["license.issued"]},
        )  # fmt: skip
        receiver.secrets = [created.json()["secret"]]
        body = {
            "type": "special-equipment-operator",
            "holder": {
                "kind": "person", "name": "李娜",
                "id_number": make_resident_id("370202", date(1990, 5, 17), 901),
            },
            "fields": {
                "operation_item": "叉车司机", "certificate_number": "TS-2026-0001",
                "issued_on": "2026-03-01", "valid_until": "2030-02-28",
            },
        }  # fmt: skip
        assert (await client.post("/api/v1/licenses", json=body, headers=scjg_clerk)).is_success
        first = await _worker(settings)
        try:
            await asyncio.wait_for(receiver.arrived.wait(), timeout=30)
        finally:
            os.kill(first.pid, signal.SIGKILL)  # mid-delivery: the receiver holds the answer
            await first.wait()
        assert receiver.events == {}, "nothing was acknowledged before the kill"
        second = await _worker(settings)
        try:
            for _ in range(300):
                if receiver.events:
                    break
                await asyncio.sleep(0.05)
        finally:
            second.send_signal(signal.SIGTERM)
            await second.wait()
    assert len(receiver.events) == 1, "delivered after the restart"
    (webhook_id,) = receiver.events
    assert receiver.arrivals == [webhook_id, webhook_id], "the repeat carries the same id"
    log = (await client.get("/api/v1/webhooks/deliveries", headers=partner)).json()["items"]
    assert [(d["webhook_id"], d["state"]) for d in log] == [(webhook_id, "delivered")]
