"""License lifecycle events reach the holder: issued, suspended, reinstated, revoked."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import httpx
from notification_support import demo_texts, drain, inbox

from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow
from app.kit.resident_id import make_resident_id

PASSWORD = "Citizen-2026"
REASON = {"reason": "经营场所与登记不符，依法暂扣"}


async def _holder(
    client: httpx.AsyncClient, database: Database, settings: Settings
) -> tuple[dict[str, str], str]:
    id_number = make_resident_id("370202", date(1990, 5, 17), 77)
    async with database.session() as session:
        await auth.create_person_account(
            session, settings, phone="13700007777", password=PASSWORD, name="李娜",
            id_number=id_number, audit_context=AuditContext(), actor=("system", "tests"),
        )  # fmt: skip
    login = await client.post(
        "/api/v1/auth/login",
        json={"method": "password", "login": "13700007777", "password": PASSWORD},
    )
    assert login.status_code == 200, login.text
    return {"Authorization": f"Bearer {login.json()['access_token']}"}, id_number


async def test_the_holder_hears_of_every_step_of_their_license(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    staff_headers: Callable[..., Awaitable[dict[str, str]]],
) -> None:
    holder, id_number = await _holder(client, database, settings)
    clerk = await staff_headers("scjg.clerk", StaffRole.CLERK, department="scjg")
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
    number = issued.json()["license_no"]
    for action in ("suspend", "reinstate", "revoke"):
        answer = await client.post(
            f"/api/v1/licenses/{number}/{action}", json=REASON, headers=clerk
        )
        assert answer.status_code == 200, answer.text
    await drain(database, settings)
    page = await inbox(client, holder)
    assert [m["event_type"] for m in page["items"]] == [
        "license.revoked", "license.reinstated", "license.suspended", "license.issued",
    ]  # fmt: skip
    assert all(m["link"] == f"/api/v1/licenses/{number}" for m in page["items"])
    texts = await demo_texts(database)
    # Issued, suspended and revoked are texted (their jobs run in parallel: in any order); a
    # reinstatement is news for the inbox only.
    assert sorted(t for t in texts if number in t) == sorted(
        [
            f"【青e办】您的电子证照 {number} 已签发，可在青e办证照夹中查看。",
            f"【青e办】您的电子证照 {number} 已被暂扣，详情请登录青e办查看。",
            f"【青e办】您的电子证照 {number} 已被撤销，详情请登录青e办查看。",
        ]
    )


async def test_the_holder_hears_that_their_share_was_verified(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    staff_headers: Callable[..., Awaitable[dict[str, str]]],
) -> None:
    holder, id_number = await _holder(client, database, settings)
    clerk = await staff_headers("scjg.clerk", StaffRole.CLERK, department="scjg")
    body = {
        "type": "special-equipment-operator",
        "holder": {"kind": "person", "name": "李娜", "id_number": id_number},
        "fields": {
            "operation_item": "叉车司机", "certificate_number": "TS-2026-0001",
            "issued_on": "2026-03-01", "valid_until": "2030-02-28",
        },
    }  # fmt: skip
    number = (await client.post("/api/v1/licenses", json=body, headers=clerk)).json()["license_no"]
    until = (utcnow() + timedelta(days=7)).isoformat()
    shared = await client.post(
        f"/api/v1/licenses/{number}/shares", headers=holder,
        json={"purpose": "应聘叉车司机岗位", "fields": ["operation_item"], "expires_at": until},
    )  # fmt: skip
    assert shared.status_code == 201, shared.text
    verified = await client.post(
        "/api/v1/licenses/verify", json={"share_token": shared.json()["token"]}
    )
    assert verified.json()["result"] == "valid"
    await drain(database, settings)
    first = (await inbox(client, holder))["items"][0]
    assert (first["event_type"], first["title"]) == ("share.verified", "证照分享已被核验")
    assert number in first["body"]
