"""Who may see and confirm a bundle case, and what races and repeats do: a third person gets
404, a party confirms only their own role, confirmations and filings that race or repeat start
the saga and file the case once, a lapsed case cannot be confirmed; and everyone is told
(inbox, texts, the departments' webhooks)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx
import pytest
from bundle_support import Travel, file_sale, read_case, run_saga, simulator, steps_of
from client_support import client_credentials_headers
from persona_support import SignIn
from sqlalchemy import func, select

from app.config import Settings
from app.db import Database
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.services.bundles.models import BundleCase
from app.services.bundles.saga import RUN_STEP_JOB


@pytest.fixture(autouse=True)
async def fresh_utilities() -> AsyncIterator[None]:
    """Every account with its first holder, and no fault, before and after."""
    await simulator("DELETE", "/_admin/transfers")
    await simulator("DELETE", "/_admin/faults")
    yield
    await simulator("DELETE", "/_admin/transfers")


async def _step_jobs(database: Database) -> int:
    async with database.session(write=False) as session:
        count = await session.scalar(
            select(func.count()).select_from(Job).where(Job.kind == RUN_STEP_JOB)
        )
    return int(count or 0)


async def test_a_third_person_gets_404_and_a_party_confirms_only_their_own_role(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    seller, buyer, stranger = (
        await sign_in("seller"),
        await sign_in("buyer"),
        await sign_in("renter"),
    )
    case = (await file_sale(client, seller)).json()
    path = f"/api/v1/bundles/applications/{case['id']}"
    for method, url in (("GET", path), ("POST", f"{path}/confirm")):
        answer = await client.request(method, url, headers=stranger)
        assert answer.status_code == 404, answer.text
        assert answer.json()["code"] == "bundles.case_not_found"
    assert (
        await client.get("/api/v1/bundles/applications/not-a-uuid", headers=stranger)
    ).status_code == 404

    # The named buyer reads what they are asked to confirm, before confirming.
    seen = await read_case(client, buyer, case["id"])
    roles = {p["role"]: p for p in seen["parties"]}
    assert roles["buyer"]["you"]
    assert not roles["buyer"]["confirmed"]
    assert "*" in roles["seller"]["name"], "the other party's name is masked"

    # The seller confirming again confirms only the seller (filing did): the buyer's role stays
    # open and nothing starts. No request names a role to confirm for.
    again = await client.post(f"{path}/confirm", headers=seller)
    assert again.status_code == 200
    assert again.json()["status"] == "awaiting_confirmation"
    assert {p["role"]: p["confirmed"] for p in again.json()["parties"]} == {
        "seller": True,
        "buyer": False,
    }
    assert await _step_jobs(database) == 0
    smuggled = await client.post(f"{path}/confirm", headers=seller, json={"role": "buyer"})
    assert {p["role"]: p["confirmed"] for p in smuggled.json()["parties"]}["buyer"] is False


async def test_racing_confirmations_and_repeated_filings_start_and_file_once(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings
) -> None:
    seller, buyer = await sign_in("seller"), await sign_in("buyer")
    first, second = await asyncio.gather(
        file_sale(client, seller, key="sale-2026-001"),
        file_sale(client, seller, key="sale-2026-001"),
    )
    assert {first.status_code, second.status_code} <= {201, 409}, (first.text, second.text)
    replay = await file_sale(client, seller, key="sale-2026-001")
    assert replay.status_code == 201
    async with database.session(write=False) as session:
        cases = await session.scalar(select(func.count()).select_from(BundleCase))
    assert cases == 1, "one case however often the same filing is sent"
    case_id = replay.json()["id"]

    path = f"/api/v1/bundles/applications/{case_id}/confirm"
    answers = await asyncio.gather(*(client.post(path, headers=buyer) for _ in range(4)))
    assert [a.status_code for a in answers] == [200] * 4, [a.text for a in answers]
    assert await _step_jobs(database) == 1, "the registration is queued once"
    await run_saga(database, settings)
    assert await _step_jobs(database) == 8, "each step queued once"
    assert (await read_case(client, buyer, case_id))["status"] == "completed"


async def test_a_lapsed_case_cannot_be_confirmed(
    client: httpx.AsyncClient, sign_in: SignIn, travel: Travel
) -> None:
    seller = await sign_in("seller")
    case = (await file_sale(client, seller)).json()
    travel("2026-11-27T09:30:00+08:00")  # past the 72 hours to confirm
    buyer = await sign_in("buyer")
    assert (await read_case(client, buyer, case["id"]))["status"] == "expired"
    late = await client.post(f"/api/v1/bundles/applications/{case['id']}/confirm", headers=buyer)
    assert late.status_code == 409
    assert late.json()["code"] == "bundles.confirmation_expired"
    assert (await read_case(client, buyer, case["id"]))["status"] == "expired"
    again = await client.post(f"/api/v1/bundles/applications/{case['id']}/confirm", headers=buyer)
    assert again.json()["code"] == "bundles.confirmation_closed"


async def test_every_party_and_the_departments_are_told(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    admin_headers: dict[str, str],
) -> None:
    gas_system = await client_credentials_headers(
        client,
        admin_headers,
        {
            "name": "燃气公司系统",
            "kind": "department",
            "scopes": ["webhooks"],
            "department_code": "gas",
        },
    )
    subscribed = await client.post(
        "/api/v1/webhooks/subscriptions",
        headers=gas_system,
        json={"url": "http://127.0.0.1:9/hooks", "event_types": ["bundle.step_changed"]},
    )
    assert subscribed.status_code == 201, subscribed.text
    seller, buyer = await sign_in("seller"), await sign_in("buyer")
    case = (await file_sale(client, seller)).json()
    worker = Worker(database, settings, worker_id="tests")
    for _ in range(3):
        await worker.run_once()
    asked = (await client.get("/api/v1/me/messages", headers=buyer)).json()["items"]
    assert [m["event_type"] for m in asked] == ["bundle.confirmation_requested"]
    assert case["number"] in asked[0]["body"]
    await client.post(f"/api/v1/bundles/applications/{case['id']}/confirm", headers=buyer)
    for _ in range(40):
        if not await worker.run_once():
            break
    for headers in (seller, buyer):
        items = (
            await client.get("/api/v1/me/messages", headers=headers, params={"limit": 100})
        ).json()["items"]
        changed = [m for m in items if m["event_type"] == "bundle.step_changed"]
        assert len(changed) >= 16, "each of the eight steps told when queued and when done"
        assert any("已办结" in m["body"] for m in changed)
    deliveries = (await client.get("/api/v1/webhooks/deliveries", headers=gas_system)).json()[
        "items"
    ]
    assert {d["event_type"] for d in deliveries} == {"bundle.step_changed"}
    assert len(deliveries) == 2, "the gas step queued and done, told to the gas company only"
    assert steps_of(await read_case(client, buyer, case["id"]))["gas"] == "done"
