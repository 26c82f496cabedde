"""Partner webhooks: subscriptions, deliveries verified by the `standardwebhooks` library,
retries while the receiver is down, the dead list and its retry, rotation, the breaker and
disabling, and the access rules of the API."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any

import httpx
from notification_support import drain
from receiver import Receiver, dumps, serving, types_of

from app.config import Settings
from app.db import Database
from app.kit.resident_id import make_resident_id

Headers = dict[str, str]
MakeToken = Callable[..., Awaitable[Headers]]
_people = itertools.count(500)


async def _issue(client: httpx.AsyncClient, clerk: Headers) -> str:
    holder = make_resident_id("370202", date(1990, 5, 17), next(_people))
    body = {
        "type": "special-equipment-operator",
        "holder": {"kind": "person", "name": "李娜", "id_number": holder},
        "fields": {
            "operation_item": "叉车司机", "certificate_number": "TS-2026-0001",
            "issued_on": "2026-03-01", "valid_until": "2030-02-28",
        },
    }  # fmt: skip
    issued = await client.post("/api/v1/licenses", json=body, headers=clerk)
    assert issued.status_code == 201, issued.text
    return str(issued.json()["license_no"])


async def _subscribe(
    client: httpx.AsyncClient, headers: Headers, url: str, types: list[str] | None = None
) -> dict[str, Any]:
    answer = await client.post(
        "/api/v1/webhooks/subscriptions", headers=headers,
        json={"url": url, "event_types": types or ["license.issued", "license.suspended"]},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _deliveries(client: httpx.AsyncClient, headers: Headers, **params: Any) -> list[Any]:
    answer = await client.get("/api/v1/webhooks/deliveries", headers=headers, params=params)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def _until(
    database: Database, settings: Settings, done: Callable[[], bool], seconds: float = 10.0
) -> None:
    """Run the queue until `done()` (retries fall due as time passes)."""
    for _ in range(int(seconds / 0.05)):
        await drain(database, settings)
        if done():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("not done in time")


async def test_a_subscriber_gets_every_event_signed(
    client: httpx.AsyncClient,
    client_token: MakeToken,
    scjg_clerk: Headers,
    database: Database,
    settings: Settings,
) -> None:
    partner = await client_token("department", ["webhooks"], department="scjg")
    async with serving(Receiver()) as receiver:
        created = await _subscribe(client, partner, receiver.url)
        assert created["secret"].startswith("whsec_")
        receiver.secrets = [created["secret"]]
        listed = (await client.get("/api/v1/webhooks/subscriptions", headers=partner)).json()
        assert [s["id"] for s in listed] == [created["id"]]
        assert "secret" not in listed[0], "the secret is shown once"
        number = await _issue(client, scjg_clerk)
        suspended = await client.post(
            f"/api/v1/licenses/{number}/suspend", json={"reason": "暂扣"}, headers=scjg_clerk
        )
        assert suspended.status_code == 200
        await drain(database, settings)
        assert types_of(receiver) == ["license.issued", "license.suspended"]
        assert receiver.refused == 0
        issued = next(e for e in receiver.events.values() if e["type"] == "license.issued")
        assert issued["data"]["license_no"] == number
        assert "holder_name" not in issued["data"], "no personal data leaves the platform"

        tampered = dumps({**issued, "data": {**issued["data"], "status": "revoked"}})
        refused = await httpx.AsyncClient().post(
            receiver.url, content=tampered, headers=receiver.last_headers
        )
        assert refused.status_code == 400, "a tampered body fails verification"
        replay = await httpx.AsyncClient().post(
            receiver.url, content=receiver.last_body, headers=receiver.last_headers
        )
        assert replay.status_code == 204
        assert receiver.repeats == [receiver.last_headers["webhook-id"]], "dropped by its id"

    metrics = (await client.get("/metrics")).text
    assert 'qingeban_webhook_attempts_total{outcome="delivered"}' in metrics
    assert "qingeban_webhook_deliveries_pending 0.0" in metrics
    log = await _deliveries(client, partner)
    assert sorted(d["event_type"] for d in log) == ["license.issued", "license.suspended"]
    for delivery in log:
        assert delivery["state"] == "delivered"
        assert [a["status_code"] for a in delivery["attempts"]] == [204]
        assert delivery["attempts"][0]["latency_ms"] >= 0
        assert delivery["webhook_id"] in receiver.events


async def test_deliveries_wait_out_a_receiver_that_is_down(
    client: httpx.AsyncClient,
    client_token: MakeToken,
    scjg_clerk: Headers,
    database: Database,
    tuned: Callable[..., Settings],
) -> None:
    settings = tuned(webhook_retry_seconds=[0.05] * 20, webhook_breaker_failures=100)
    partner = await client_token("department", ["webhooks"], department="scjg")
    async with serving(Receiver(down=True)) as receiver:
        receiver.secrets = [(await _subscribe(client, partner, receiver.url))["secret"]]
        numbers = [await _issue(client, scjg_clerk) for _ in range(3)]
        for _ in range(200):
            await drain(database, settings)
            log = await _deliveries(client, partner)
            if len(log) == 3 and all(len(d["attempts"]) >= 2 for d in log):
                break
            await asyncio.sleep(0.05)
        assert receiver.events == {}
        receiver.down = False
        await _until(database, settings, lambda: len(receiver.events) == 3)
    assert sorted(e["data"]["license_no"] for e in receiver.events.values()) == sorted(numbers)
    for delivery in await _deliveries(client, partner):
        codes = [a["status_code"] for a in delivery["attempts"]]
        assert codes[-1] == 204
        assert set(codes[:-1]) == {503}
        assert len(codes) >= 3, "the failed attempts are in the log"


async def test_a_dead_delivery_is_listed_and_can_be_retried(
    client: httpx.AsyncClient,
    client_token: MakeToken,
    scjg_clerk: Headers,
    database: Database,
    tuned: Callable[..., Settings],
) -> None:
    settings = tuned(webhook_retry_seconds=[0.05], webhook_breaker_failures=100)
    partner = await client_token("department", ["webhooks"], department="scjg")
    async with serving(Receiver(down=True)) as receiver:
        receiver.secrets = [(await _subscribe(client, partner, receiver.url))["secret"]]
        await _issue(client, scjg_clerk)

        async def dead() -> list[Any]:
            return await _deliveries(client, partner, state="dead")

        for _ in range(100):
            await drain(database, settings)
            if await dead():
                break
            await asyncio.sleep(0.05)
        (gone,) = await dead()
        assert [a["status_code"] for a in gone["attempts"]] == [503, 503]
        receiver.down = False
        retried = await client.post(
            f"/api/v1/webhooks/deliveries/{gone['id']}/retry", headers=partner
        )
        assert retried.status_code == 200, retried.text
        assert retried.json()["state"] == "pending"
        await drain(database, settings)
        assert list(receiver.events) == [gone["webhook_id"]]
        again = await client.post(
            f"/api/v1/webhooks/deliveries/{gone['id']}/retry", headers=partner
        )
        assert again.status_code == 409


async def test_a_rotated_secret_verifies_during_the_overlap(
    client: httpx.AsyncClient,
    client_token: MakeToken,
    scjg_clerk: Headers,
    database: Database,
    settings: Settings,
) -> None:
    partner = await client_token("department", ["webhooks"], department="scjg")
    async with serving(Receiver()) as receiver:
        created = await _subscribe(client, partner, receiver.url)
        old = created["secret"]
        rotated = await client.post(
            f"/api/v1/webhooks/subscriptions/{created['id']}/rotate-secret", headers=partner
        )
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new != old
        receiver.secrets = [old]  # a receiver not yet told of the new secret
        await _issue(client, scjg_clerk)
        await drain(database, settings)
        assert len(receiver.events) == 1
        receiver.secrets = [new]  # one that already switched
        await _issue(client, scjg_clerk)
        await drain(database, settings)
        assert len(receiver.events) == 2
        assert receiver.refused == 0
        assert len(receiver.last_headers["webhook-signature"].split(" ")) == 2


async def test_a_failing_endpoint_opens_its_breaker_and_is_disabled(
    client: httpx.AsyncClient,
    client_token: MakeToken,
    scjg_clerk: Headers,
    admin_headers: Headers,
    database: Database,
    tuned: Callable[..., Settings],
) -> None:
    settings = tuned(
        webhook_retry_seconds=[0.01] * 10,
        webhook_breaker_failures=2,
        webhook_breaker_seconds=1.0,
        webhook_disable_failures=4,
        webhook_disable_after_seconds=0,
    )
    partner = await client_token("department", ["webhooks"], department="scjg")
    async with serving(Receiver(down=True)) as receiver, serving(Receiver()) as alerts:
        created = await _subscribe(client, partner, receiver.url)
        # The partner's own alerting hook listens for its endpoints being disabled.
        alerts.secrets = [
            (await _subscribe(client, partner, alerts.url, ["webhook.endpoint_disabled"]))["secret"]
        ]
        await _issue(client, scjg_clerk)
        await _until(database, settings, lambda: receiver.calls >= 2)
        await asyncio.sleep(0.05)
        await drain(database, settings)
        assert receiver.calls == 2, "the breaker opened after two failures: no third knock"
        failing = (await client.get("/api/v1/admin/webhooks/failing", headers=admin_headers)).json()
        assert [(f["id"], f["consecutive_failures"]) for f in failing] == [(created["id"], 2)]
        assert failing[0]["breaker_open_until"]
        await _until(database, settings, lambda: receiver.calls >= 4)
        await _until(database, settings, lambda: bool(alerts.events))
    listed = (await client.get("/api/v1/webhooks/subscriptions", headers=partner)).json()
    (subscription,) = [item for item in listed if item["id"] == created["id"]]
    assert subscription["state"] == "disabled"
    assert subscription["disabled_reason"]
    # Its owner was told, on the endpoint that listens for it, signed like any event.
    (notice,) = alerts.events.values()
    assert notice["type"] == "webhook.endpoint_disabled"
    assert notice["data"]["subscription_id"] == created["id"]
    records = await client.get(
        "/api/v1/admin/audit/records",
        params={"subject_type": "webhook_subscription"},
        headers=admin_headers,
    )
    assert "webhooks.subscription_disabled" in [r["action"] for r in records.json()["items"]]


async def test_who_may_subscribe_and_to_what(
    client: httpx.AsyncClient, client_token: MakeToken, staff_headers: MakeToken
) -> None:
    from app.auth.models import StaffRole

    clerk = await staff_headers("scjg.clerk", StaffRole.CLERK, department="scjg")
    body = {"url": "http://127.0.0.1:9/hook", "event_types": ["license.issued"]}
    assert (
        await client.post("/api/v1/webhooks/subscriptions", headers=clerk, json=body)
    ).status_code == 403
    verifier = await client_token("partner", ["licenses.verify"])
    assert (await client.get("/api/v1/webhooks/subscriptions", headers=verifier)).status_code == 403
    partner = await client_token("department", ["webhooks"], department="scjg")
    for url in (
        "http://10.0.0.8/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest",
        "https://[::ffff:127.0.0.1]:8/x" if False else "ftp://example.com/x",
        "https://user:pw@127.0.0.1/hook",
    ):
        refused = await client.post(
            "/api/v1/webhooks/subscriptions", headers=partner,
            json={"url": url, "event_types": ["license.issued"]},
        )  # fmt: skip
        assert refused.status_code == 422, url
    unknown = await client.post(
        "/api/v1/webhooks/subscriptions", headers=partner,
        json={"url": "http://127.0.0.1:9/hook", "event_types": ["nothing.happened"]},
    )  # fmt: skip
    assert unknown.json()["code"] == "notifications.unknown_event_type"
    mine = await _subscribe(client, partner, "http://127.0.0.1:9/hook")
    other = await client_token("department", ["webhooks"], department="gjj")
    stolen = await client.delete(f"/api/v1/webhooks/subscriptions/{mine['id']}", headers=other)
    assert stolen.status_code == 404
    assert (await client.get("/api/v1/webhooks/subscriptions", headers=other)).json() == []
    gone = await client.delete(f"/api/v1/webhooks/subscriptions/{mine['id']}", headers=partner)
    assert gone.status_code == 204
    assert (await client.get("/api/v1/webhooks/subscriptions", headers=partner)).json() == []
