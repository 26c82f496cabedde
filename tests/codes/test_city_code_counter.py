"""At a counter: a clerk verifies a person's city code, sees their name and masked ID number,
and may open their prefilled form for a service once, on their behalf; all of it is in the
person's data-access log and the audit trail."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
from persona_support import PERSONAS, Headers, SignIn
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.auth.models import StaffRole
from app.db import Database

PERSONA = PERSONAS["renter"]
VERIFY = "/api/v1/codes/verify"
ON_BEHALF = "/api/v1/codes/on-behalf/prefill"
RENT = "gjj.withdraw.rent"


async def _counter_verification(
    client: httpx.AsyncClient, person: Headers, clerk: Headers
) -> dict[str, Any]:
    code = (await client.get("/api/v1/me/code", headers=person)).json()["code"]
    answer = await client.post(VERIFY, json={"code": code, "purpose": "counter"}, headers=clerk)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _refused(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.json()["code"] == code


async def test_a_clerk_verifies_at_a_counter_and_opens_the_form_once(
    client: httpx.AsyncClient, sign_in: SignIn, counter_clerk: Any, database: Database
) -> None:
    person = await sign_in(PERSONA.key)
    clerk = await counter_clerk()
    body = await _counter_verification(client, person, clerk)
    shown = {item["name"]: item["value"] for item in body["attributes"]}
    masked = PERSONA.id_number[:6] + "*" * 8 + PERSONA.id_number[-4:]
    assert shown == {"name": PERSONA.name, "id_number_masked": masked}
    ticket = body["on_behalf"]["ticket"]
    until = datetime.fromisoformat(body["on_behalf"]["expires_at"])
    assert until - datetime.fromisoformat(body["verified_at"]) == timedelta(seconds=300)

    # The ticket is this clerk's: another clerk, the person or nobody cannot use it.
    other = await counter_clerk("gjj.counter2")
    request = {"ticket": ticket, "service_code": RENT}
    _refused(await client.post(ON_BEHALF, json=request, headers=other), 422, "codes.invalid_ticket")
    _refused(await client.post(ON_BEHALF, json=request, headers=person), 403, "auth.role_required")
    assert (await client.post(ON_BEHALF, json=request)).status_code == 401

    form = await client.post(ON_BEHALF, json=request, headers=clerk)
    assert form.status_code == 200, form.text
    fields = {item["name"]: item for item in form.json()["fields"]}
    assert form.json()["service_code"] == RENT
    assert fields["applicant_name"]["value"] == PERSONA.name
    assert fields["applicant_name"]["editable"] is False
    assert fields["monthly_rent"]["source"] == "zjj/lease-filings"
    again = await client.post(ON_BEHALF, json=request, headers=clerk)
    _refused(again, 422, "codes.invalid_ticket")

    log = (await client.get("/api/v1/me/data-access-log?limit=100", headers=person)).json()
    staff_reads = [r for r in log["items"] if r["actor_type"] == "staff"]
    purposes = {r["purpose"] for r in staff_reads}
    assert {"city-code:counter", f"prefill:{RENT}"} <= purposes
    assert len({r["actor_id"] for r in staff_reads}) == 1, "the clerk, by id"
    async with database.session() as session:
        actions = (
            await session.scalars(
                select(AuditRecord.action).where(AuditRecord.action.like("codes.%"))
            )
        ).all()
    assert sorted(actions) == ["codes.prefill_opened_on_behalf", "codes.verified"]


async def test_a_ticket_ends_and_an_unknown_service_leaves_it_unused(
    client: httpx.AsyncClient, sign_in: SignIn, counter_clerk: Any, travel: Any
) -> None:
    clerk = await counter_clerk()
    body = await _counter_verification(client, await sign_in(PERSONA.key), clerk)
    ticket = body["on_behalf"]["ticket"]
    unknown = await client.post(
        ON_BEHALF, json={"ticket": ticket, "service_code": "no.such.service"}, headers=clerk
    )
    assert unknown.status_code == 404, unknown.text
    until = datetime.fromisoformat(body["on_behalf"]["expires_at"])
    travel((until + timedelta(seconds=1)).isoformat())
    late = await client.post(
        ON_BEHALF, json={"ticket": ticket, "service_code": RENT}, headers=clerk
    )
    _refused(late, 422, "codes.invalid_ticket")


async def test_only_clerks_among_staff_verify_and_partners_get_no_ticket(
    client: httpx.AsyncClient, sign_in: SignIn, counter_clerk: Any, hospital: Headers
) -> None:
    person = await sign_in(PERSONA.key)
    code = (await client.get("/api/v1/me/code", headers=person)).json()["code"]
    auditor = await counter_clerk("gjj.auditor", StaffRole.AUDITOR)
    answer = await client.post(VERIFY, json={"code": code, "purpose": "venue"}, headers=auditor)
    _refused(answer, 403, "auth.role_required")
    clerk = await counter_clerk()
    answer = await client.post(VERIFY, json={"code": code, "purpose": "venue"}, headers=clerk)
    assert answer.status_code == 200, answer.text
    assert answer.json()["on_behalf"] is None, "the venue purpose opens no form"
    assert answer.json()["attributes"][0] == {
        "name": "realname_verified",
        "value": True,
        "source": answer.json()["attributes"][0]["source"],
        "as_of": answer.json()["attributes"][0]["as_of"],
    }
