"""A paper copy on request: accepting with `paper_copy` orders it from the simulated courier
(EMS) through a durable job; the courier's signed status webhooks, posted over HTTP to the
platform served by uvicorn, land in the case's timeline; forged, stale and replayed webhooks
do not."""

from __future__ import annotations

import asyncio
import json
import socket
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
import uvicorn
from offer_support import run_due, the_offer
from persona_support import SignIn

from app.adapters.client import shared_client
from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.simulator.courier import sign
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN, DEFAULT_COURIER_WEBHOOK_SECRET
from app.config import Settings
from app.db import Database
from app.main import create_app

pytestmark = pytest.mark.usefixtures("world")
SIM_ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
CALLBACK = "/api/v1/callbacks/couriers/ems"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def _platform(settings: Settings, database: Database) -> AsyncIterator[Settings]:
    """The platform served over real HTTP on a loopback port, its issuer that address (where
    the courier reports)."""
    port = _free_port()
    served = settings.model_copy(update={"issuer": f"http://127.0.0.1:{port}"})
    app = create_app(served, database=database)
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    try:
        yield served
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def _signed(event: dict[str, Any], *, webhook_id: str, at: int | None = None) -> dict[str, Any]:
    body = json.dumps(event).encode()
    stamp = at if at is not None else int(time.time())
    return {
        "content": body,
        "headers": {
            "content-type": "application/json",
            "webhook-id": webhook_id,
            "webhook-timestamp": str(stamp),
            "webhook-signature": sign(DEFAULT_COURIER_WEBHOOK_SECRET, webhook_id, stamp, body),
        },
    }


async def _case(client: httpx.AsyncClient, firm: dict[str, str], case_id: str) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/applications/{case_id}", headers=firm)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_the_paper_copy_is_couriered_and_tracked_in_the_timeline(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async with _platform(settings, database) as served:
        await run_due(database, served, monkeypatch)
        person = await sign_in("kindergarten")
        offer = await the_offer(client, person)
        accepted = await client.post(
            f"/api/v1/me/offers/{offer['id']}/accept", headers=person, json={"paper_copy": True}
        )
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["delivery"] == {
            "courier": "ems", "tracking_no": None, "status": "ordering"}  # fmt: skip
        await run_due(database, served, monkeypatch)  # the order job
        delivery = (await the_offer(client, person))["delivery"]
        tracking = delivery["tracking_no"]
        assert tracking
        assert delivery["status"] == "accepted"
        # A job that runs again (its worker died after the courier answered) orders nothing new.
        from app.proactive.offers import courier

        async with database.session() as session:
            shipment = await courier.repository.shipment_of_offer(session, uuid.UUID(offer["id"]))
            assert shipment is not None
            shipment.tracking_no = None
        async with database.session() as session:
            await courier.place(session, served, shipment.id)
        assert (await the_offer(client, person))["delivery"]["tracking_no"] == tracking

        http = shared_client().http
        for expected in ("picked_up", "in_transit", "delivered"):
            advanced = await http.post(
                f"{SIMULATOR_BASE_URL}/_admin/ems/orders/{tracking}/advance", headers=SIM_ADMIN
            )
            assert advanced.status_code == 200, advanced.text
            assert advanced.json()["callback_status"] == 200
            if expected == "delivered":
                advanced = await http.post(
                    f"{SIMULATOR_BASE_URL}/_admin/ems/orders/{tracking}/advance",
                    headers=SIM_ADMIN,
                )  # out_for_delivery, then delivered
                assert advanced.json()["status"] == "delivered"
        firm = await sign_in("kindergarten", enterprise=True)
        case = await _case(client, firm, accepted.json()["application_id"])
        notes = [step["note"] for step in case["timeline"] if step["note"]]
        assert f"纸质证照已交 EMS 寄递，运单号 {tracking}" in notes
        tracked = [n for n in notes if n.startswith(f"EMS 运单 {tracking}")]
        assert tracked == [
            f"EMS 运单 {tracking}：已揽收",
            f"EMS 运单 {tracking}：运输中",
            f"EMS 运单 {tracking}：派送中",
            f"EMS 运单 {tracking}：已签收",
        ]
        assert (await the_offer(client, person))["delivery"]["status"] == "delivered"


async def test_forged_stale_and_replayed_webhooks_change_nothing(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await run_due(database, settings, monkeypatch)
    person = await sign_in("hygiene")
    offer = await the_offer(client, person)
    accepted = await client.post(
        f"/api/v1/me/offers/{offer['id']}/accept", headers=person, json={"paper_copy": True}
    )
    assert accepted.status_code == 200, accepted.text
    await run_due(database, settings, monkeypatch)
    tracking = (await the_offer(client, person))["delivery"]["tracking_no"]
    event = {"type": "shipment.status", "tracking_no": tracking, "status": "picked_up"}

    forged = _signed(event, webhook_id="ems_1")
    forged["headers"]["webhook-signature"] = "v1," + "A" * 44
    refused = await client.post(CALLBACK, **forged)
    assert refused.status_code == 401
    assert refused.json()["code"] == "couriers.signature_invalid"
    stale = await client.post(
        CALLBACK, **_signed(event, webhook_id="ems_2", at=int(time.time()) - 3600)
    )
    assert stale.status_code == 401
    tampered = _signed(event, webhook_id="ems_3")
    tampered["content"] = tampered["content"].replace(b"picked_up", b"delivered")
    assert (await client.post(CALLBACK, **tampered)).status_code == 401
    unknown = await client.post("/api/v1/callbacks/couriers/sf", **_signed(event, webhook_id="x"))
    assert unknown.status_code == 404

    good = _signed(event, webhook_id="ems_4")
    first = await client.post(CALLBACK, **good)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": True, "duplicate": False}
    replayed = await client.post(CALLBACK, **good)
    assert replayed.json() == {"received": True, "duplicate": True}
    other = _signed({**event, "tracking_no": "11999999999937"}, webhook_id="ems_5")
    assert (await client.post(CALLBACK, **other)).status_code == 404

    firm = await sign_in("hygiene", enterprise=True)
    case = await _case(client, firm, accepted.json()["application_id"])
    notes = [step["note"] for step in case["timeline"] if step["note"]]
    assert notes.count(f"EMS 运单 {tracking}：已揽收") == 1
    assert not any("已签收" in note for note in notes)
