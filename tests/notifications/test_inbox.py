"""The inbox: a decision, a clerk's rejection and a supplement request reach the applicant's
inbox and phone; another's message is 404; statutory texts cannot be switched off."""

from __future__ import annotations

from typing import Any

import httpx
from application_forms import rent_withdrawal
from notification_support import demo_texts, drain, inbox
from persona_support import PERSONAS, SignIn, submitted

from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database

RENT = "gjj.withdraw.rent"


async def test_a_miaopi_decision_reaches_the_inbox_and_the_phone(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings
) -> None:
    headers = await sign_in("renter", face=True)
    case = await submitted(client, headers, RENT, rent_withdrawal(PERSONAS["renter"]))
    assert case["status"] == "approved"
    before = await demo_texts(database)
    await drain(database, settings)
    page = await inbox(client, headers)
    kinds = [(m["event_type"], m["title"]) for m in page["items"]]
    assert kinds == [
        ("application.decided", "办件已办结：通过"),
        ("application.submitted", "办件已受理"),
    ]
    assert page["unread_count"] == 2
    decided = page["items"][0]
    assert case["number"] in decided["body"]
    assert decided["link"] == f"/api/v1/applications/{case['id']}"
    texts = (await demo_texts(database))[len(before) :]
    assert len(texts) == 1
    assert case["number"] in texts[0]
    assert "审批通过" in texts[0]
    english = await inbox(client, {**headers, "Accept-Language": "en"})
    assert english["items"][0]["title"] == "Application approved"

    read = await client.post(f"/api/v1/me/messages/{decided['id']}/read", headers=headers)
    assert read.status_code == 200
    assert read.json()["read_at"]
    assert (await inbox(client, headers))["unread_count"] == 1
    again = await client.post(f"/api/v1/me/messages/{decided['id']}/read", headers=headers)
    assert again.json()["read_at"] == read.json()["read_at"]

    other = await sign_in("flat_owner")
    assert (await inbox(client, other))["items"] == []
    stolen = await client.post(f"/api/v1/me/messages/{decided['id']}/read", headers=other)
    assert stolen.status_code == 404
    assert stolen.json()["code"] == "notifications.message_not_found"


async def test_a_fan_out_that_runs_twice_tells_nobody_twice(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings
) -> None:
    from sqlalchemy import update

    from app.jobs.models import Job

    headers = await sign_in("renter", face=True)
    await submitted(client, headers, RENT, rent_withdrawal(PERSONAS["renter"]))
    await drain(database, settings)
    texts = await demo_texts(database)
    async with database.session() as session:
        await session.execute(
            update(Job)
            .where(Job.kind.in_(["notifications.fan_out", "notifications.sms"]))
            .values(state="queued", attempts=0)
        )
    await drain(database, settings)
    assert len((await inbox(client, headers))["items"]) == 2
    assert await demo_texts(database) == texts


async def _referred(client: httpx.AsyncClient, sign_in: SignIn) -> tuple[dict[str, Any], Any]:
    owner = await sign_in("flat_owner", face=True)
    case = await submitted(client, owner, RENT, rent_withdrawal(PERSONAS["flat_owner"]))
    assert case["status"] == "pending_review"
    return case, owner


async def test_a_clerks_supplement_request_reaches_the_applicant(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    staff_headers: Any,
    database: Database,
    settings: Settings,
) -> None:
    case, owner = await _referred(client, sign_in)
    clerk = await staff_headers("gjj.zhao", StaffRole.CLERK, department="gjj")
    path = f"/api/v1/review/cases/{case['id']}"
    assert (await client.post(f"{path}/claim", headers=clerk)).status_code == 200
    asked = await client.post(
        f"{path}/request-supplement", headers=clerk, json={"items": ["租房合同"]}
    )
    assert asked.status_code == 200, asked.text
    await drain(database, settings)
    page = await inbox(client, owner)
    assert page["items"][0]["event_type"] == "application.supplement_requested"
    assert "补正" in (await demo_texts(database))[-1]


async def test_a_clerks_rejection_reaches_the_applicant(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    staff_headers: Any,
    database: Database,
    settings: Settings,
) -> None:
    case, owner = await _referred(client, sign_in)
    clerk = await staff_headers("gjj.zhao", StaffRole.CLERK, department="gjj")
    path = f"/api/v1/review/cases/{case['id']}"
    assert (await client.post(f"{path}/claim", headers=clerk)).status_code == 200
    rejected = await client.post(f"{path}/reject", headers=clerk, json={"reason": "有房"})
    assert rejected.status_code == 200, rejected.text
    await drain(database, settings)
    first = (await inbox(client, owner))["items"][0]
    assert (first["event_type"], first["title"]) == ("application.decided", "办件已办结：不予通过")
    assert "审核未通过" in (await demo_texts(database))[-1]


async def test_statutory_texts_stay_on_and_others_can_be_switched_off(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("renter")
    prefs = (await client.get("/api/v1/me/sms-preferences", headers=headers)).json()
    by_type = {p["event_type"]: p for p in prefs}
    assert by_type["application.decided"] == {
        "event_type": "application.decided", "enabled": True, "statutory": True,
    }  # fmt: skip
    refused = await client.put(
        "/api/v1/me/sms-preferences", headers=headers,
        json={"event_type": "application.decided", "enabled": False},
    )  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["code"] == "notifications.statutory_notice"
    off = await client.put(
        "/api/v1/me/sms-preferences", headers=headers,
        json={"event_type": "license.issued", "enabled": False},
    )  # fmt: skip
    assert off.status_code == 200
    assert {p["event_type"]: p["enabled"] for p in off.json()}["license.issued"] is False
    unknown = await client.put(
        "/api/v1/me/sms-preferences", headers=headers,
        json={"event_type": "nothing.happened", "enabled": False},
    )  # fmt: skip
    assert unknown.status_code == 422


async def test_a_partner_token_cannot_read_an_inbox(
    client: httpx.AsyncClient, world: None, admin_headers: dict[str, str]
) -> None:
    body = {
        "name": "合作方", "kind": "partner", "grant_types": ["client_credentials"],
        "scopes": ["licenses.verify"],
    }  # fmt: skip
    registered = await client.post("/api/v1/admin/clients", json=body, headers=admin_headers)
    assert registered.status_code == 201, registered.text
    created = registered.json()
    token = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": created["client_id"],
              "client_secret": created["client_secret"]},
    )  # fmt: skip
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    answer = await client.get("/api/v1/me/messages", headers=headers)
    assert answer.status_code == 403


async def test_an_enterprises_news_goes_to_whoever_acts_for_it(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings
) -> None:
    from application_forms import hygiene_renewal

    agent = await sign_in("hygiene", enterprise=True)
    case = await submitted(
        client, agent, "wjw.hygiene-permit.renew", hygiene_renewal(PERSONAS["hygiene"])
    )
    assert case["status"] == "approved", case["decision"]
    await drain(database, settings)
    kinds = {m["event_type"] for m in (await inbox(client, agent))["items"]}
    assert {"application.submitted", "application.decided"} <= kinds
    assert kinds & {"license.issued", "license.renewed"}, "the renewed permit is news too"
    herself = await sign_in("hygiene")
    assert (await inbox(client, herself))["items"] == [], "the person's own inbox is hers alone"
    assert any(case["number"] in text for text in await demo_texts(database)), (
        "the person who applied is texted"
    )
