"""Texts through a real provider's HTTP API: Aliyun SMS, signed as Aliyun documents it, against
the provider-shaped endpoint of the simulator served over HTTP; templates with variables,
delivery receipts, the daily cap per phone, login codes through the same gateway, and the
production start that refuses to run without a gateway."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import date
from typing import Any

import httpx
import pytest
import uvicorn
from notification_support import drain
from pydantic import SecretStr
from sqlalchemy import select

from app.adapters.simulator.endpoints import create_simulator_app
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN
from app.adapters.simulator.sms import ACCESS_KEY_ID, ACCESS_KEY_SECRET, PATH
from app.adapters.sms_aliyun import sign
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.config import Settings
from app.db import Database
from app.kit.resident_id import make_resident_id
from app.main import create_app
from app.notifications.models import SmsDelivery

Headers = dict[str, str]
TEMPLATES = {
    "otp": "SMS_100000001",
    "license.issued": "SMS_100000002",
    "license.suspended": "SMS_100000003",
    "license.revoked": "SMS_100000004",
}


def test_the_signature_is_the_one_aliyun_documents() -> None:
    # The worked example of Aliyun SMS's signature documentation (签名机制), GET request.
    params = {
        "AccessKeyId": "testId", "Action": "SendSms", "Format": "XML", "OutId": "123",
        "PhoneNumbers": "15300000001", "RegionId": "cn-hangzhou",
        "SignName": "阿里云短信测试专用", "SignatureMethod": "HMAC-SHA1",
        "SignatureNonce": "45e25e9b-0a6f-4070-8c85-2956eda1b466", "SignatureVersion": "1.0",
        "TemplateCode": "SMS_71390007", "TemplateParam": '{"customer":"test"}',
        "Timestamp": "2017-07-12T02:42:19Z", "Version": "2017-05-25",
    }  # fmt: skip
    assert sign(params, "testSecret", "GET") == "zJDF+Lrzhj/ThnlvIToysFRq6t4="


@asynccontextmanager
async def provider() -> AsyncIterator[str]:
    """The simulator served over HTTP; its base URL."""
    config = uvicorn.Config(
        create_simulator_app(), host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def aliyun(base: str, **more: Any) -> dict[str, Any]:
    """Settings of the Aliyun gateway pointed at the simulator (as `model_copy` takes them:
    not validated, so the secret is a SecretStr already)."""
    return {
        "sms_gateway": "aliyun",
        "sms_aliyun_endpoint": base + PATH,
        "sms_aliyun_access_key_id": ACCESS_KEY_ID,
        "sms_aliyun_access_key_secret": SecretStr(ACCESS_KEY_SECRET),
        "sms_aliyun_templates": TEMPLATES,
        **more,
    }


async def provider_texts(base: str) -> list[dict[str, Any]]:
    async with httpx.AsyncClient() as http:
        answer = await http.get(
            f"{base}/_admin/sms", headers={"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
        )
    return list(answer.json()["texts"])


async def _holder(database: Database, settings: Settings, phone: str, n: int) -> str:
    id_number = make_resident_id("370202", date(1990, 5, 17), n)
    async with database.session() as session:
        await auth.create_person_account(
            session, settings, phone=phone, password="Citizen-2026", name="李娜",
            id_number=id_number, audit_context=AuditContext(), actor=("system", "tests"),
        )  # fmt: skip
    return id_number


async def _issue(client: httpx.AsyncClient, clerk: Headers, id_number: str) -> str:
    body = {
        "type": "special-equipment-operator",
        "holder": {"kind": "person", "name": "李娜", "id_number": id_number},
        "fields": {
            "operation_item": "叉车司机", "certificate_number": "TS-2026-0001",
            "issued_on": "2026-03-01", "valid_until": "2030-02-28",
        },
    }  # fmt: skip
    issued = await client.post("/api/v1/licenses", json=body, headers=clerk)
    assert issued.status_code == 201, issued.text
    return str(issued.json()["license_no"])


async def _texts(database: Database) -> list[SmsDelivery]:
    async with database.session(write=False) as session:
        return list((await session.scalars(select(SmsDelivery))).all())


async def test_license_texts_go_through_aliyun_with_their_receipts(
    client: httpx.AsyncClient,
    scjg_clerk: Headers,
    database: Database,
    tuned: Callable[..., Settings],
) -> None:
    async with provider() as base:
        settings = tuned(**aliyun(base, sms_status_delay_seconds=0))
        reachable = await _holder(database, settings, "13700008888", 801)
        unreachable = await _holder(database, settings, "13700000000", 802)
        numbers = [await _issue(client, scjg_clerk, reachable)]
        numbers.append(await _issue(client, scjg_clerk, unreachable))
        await drain(database, settings)
        sent = await provider_texts(base)
    assert sorted((t["phone"], t["template_code"], t["params"]["license_no"]) for t in sent) == [
        ("13700000000", "SMS_100000002", numbers[1]),
        ("13700008888", "SMS_100000002", numbers[0]),
    ]
    assert all(t["sign_name"] == "青e办" for t in sent)
    rows = {row.phone_masked: row for row in await _texts(database)}
    assert rows["137****8888"].status == "delivered"
    assert rows["137****0000"].status == "failed"
    assert {row.gateway for row in rows.values()} == {"aliyun"}
    assert {row.provider_id for row in rows.values()} == {t["biz_id"] for t in sent}


async def test_a_phone_gets_no_more_than_its_daily_cap(
    client: httpx.AsyncClient,
    scjg_clerk: Headers,
    database: Database,
    tuned: Callable[..., Settings],
) -> None:
    settings = tuned(sms_daily_cap_per_phone=2)
    holder = await _holder(database, settings, "13700006666", 803)
    for _ in range(3):
        await _issue(client, scjg_clerk, holder)
    await drain(database, settings)
    statuses = sorted(row.status for row in await _texts(database))
    assert statuses == ["capped", "delivered", "delivered"]


async def test_login_codes_go_through_the_same_gateway(
    database: Database, settings: Settings
) -> None:
    async with provider() as base:
        configured = settings.model_copy(update=aliyun(base))
        app = create_app(configured, database=database)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        ):
            await _holder(database, configured, "13700005555", 804)
            sent = await http.post("/api/v1/auth/otp", json={"phone": "13700005555"})
            assert sent.status_code == 202, sent.text
            (text,) = await provider_texts(base)
            assert (text["template_code"], text["phone"]) == ("SMS_100000001", "13700005555")
            login = await http.post(
                "/api/v1/auth/login",
                json={"method": "sms_otp", "phone": "13700005555", "otp": text["params"]["code"]},
            )
            assert login.status_code == 200, login.text

        wrong = settings.model_copy(
            update=aliyun(base, sms_aliyun_access_key_secret=SecretStr("not-the-secret"))
        )
        app = create_app(wrong, database=database)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        ):
            refused = await http.post("/api/v1/auth/otp", json={"phone": "13700004444"})
        assert refused.status_code == 503
        assert refused.json()["code"] == "auth.sms_unavailable"


def test_production_refuses_to_start_without_a_gateway() -> None:
    base = {"env": "production", "secret_key": "s" * 40, "_env_file": None}
    with pytest.raises(ValueError, match="SMS gateway"):
        Settings(**base)
    with pytest.raises(ValueError, match="ACCESS_KEY"):
        Settings(**base, sms_gateway="aliyun")
    Settings(**base, **aliyun("https://dysmsapi.aliyuncs.com"))
