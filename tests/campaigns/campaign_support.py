"""Helpers of the campaign tests: a pilot around the pensioner personas, the job queue run dry,
a persona's case found in the clerks' view, the pension system's word on a payment."""

from __future__ import annotations

from typing import Any

import httpx
from persona_support import PERSONAS

from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import get_exchange
from app.config import Settings
from app.db import Database
from app.jobs.worker import Worker
from app.kit.masking import mask_id_number

Headers = dict[str, str]
PENSIONERS = ("active_pensioner", "silent_pensioner", "deceased_pensioner")
FEEDS = {
    "rsj/pension-recipients", "ybj/medical-settlements", "rsj/social-security-card-use",
    "jtj/transport-card-use",
    "bank/pension-withdrawals", "gaj/residence-travel", "wjw/deaths", "mzj/cremations",
    "gaj/household-cancellations", "sfj/imprisonments",
}  # fmt: skip


def pilot(width: int = 60) -> list[dict[str, int]]:
    """Roster positions around each pensioner persona (their neighbours are pensioners too)."""
    ranges = []
    for key in PENSIONERS:
        index = PERSONAS[key].index
        ranges.append({"start": max(0, index - width // 2), "end": index + width // 2})
    return ranges


async def start(client: httpx.AsyncClient, admin: Headers, **body: Any) -> dict[str, Any]:
    """A campaign started through the admin API (201 asserted)."""
    answer = await client.post(
        "/api/v1/admin/campaigns",
        json={"pilot": pilot(), "block_size": 100, **body},
        headers=admin,
    )
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def drain(database: Database, settings: Settings, *, rounds: int = 50) -> int:
    """Run due jobs until none is left (batches queue notifications, which queue texts)."""
    worker = Worker(database, settings, worker_id="tests", batch_size=20)
    ran = 0
    for _ in range(rounds):
        done = await worker.run_once()
        if done == 0:
            break
        ran += done
    return ran


async def progress(client: httpx.AsyncClient, admin: Headers, campaign_id: str) -> dict[str, Any]:
    """The campaign as the admin API shows it (200 asserted)."""
    answer = await client.get(f"/api/v1/admin/campaigns/{campaign_id}", headers=admin)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def case_of(
    client: httpx.AsyncClient, clerk: Headers, campaign_id: str, key: str
) -> dict[str, Any]:
    """The persona's case, found by its masked ID number among every state's cases."""
    masked = mask_id_number(PERSONAS[key].id_number)
    found = []
    for state in ("qualified", "invited", "referred", "due", "suspended", "restored"):
        answer = await client.get(
            f"/api/v1/review/campaigns/{campaign_id}/cases",
            params={"state": state, "limit": 500}, headers=clerk,
        )  # fmt: skip
        assert answer.status_code == 200, answer.text
        found += [item for item in answer.json()["items"] if item["subject_masked"] == masked]
    assert len(found) == 1, found
    return dict(found[0])


async def payment_status(key: str) -> str:
    """What the simulated pension system says of the persona's pension."""
    client = get_exchange().client
    endpoint = client.registry.endpoint("rsj")
    answer = await client.http.get(
        f"{SIMULATOR_BASE_URL}/rsj/pension-payments/{PERSONAS[key].id_number}",
        headers={
            "Authorization": f"Bearer {endpoint.token}",
            "X-Caller-System": client.registry.caller_system,
            "X-End-User": "test", "X-Purpose": "pension-qualification-campaign:test",
        },
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    return str(answer.json()["status"])
