"""Money moves once, to the account on record (DESIGN §2, principle 9), through the API.

Fifty submissions racing for the same withdrawal give one approval and one disbursement; the
next day the platform's own approval keeps the interval rule from paying again; a retry after a
token refresh is the first answer; the fund centre is sent the computed amount and the card it
holds; and what the applicant has not got (a purchase contract) is never taken on their word.
"""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta
from typing import Any

import httpx
import pytest
from application_forms import rent_withdrawal
from jobs_support import APPLICATION_JOBS
from persona_support import PERSONAS, SignIn
from service_support import apply
from settings_support import make_settings
from sqlalchemy import func, select

from app.adapters.client import Subject
from app.adapters.errors import PurposeNotAllowed
from app.adapters.service import Actor, gather_facts
from app.adapters.simulator import facts
from app.adapters.simulator.personas import DEMO_PASSWORD
from app.auth import service as auth
from app.config import Settings
from app.db import Database
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.kit.clock import utcnow
from app.kit.masking import mask_account
from app.services.applications.models import Application, EntitlementGrant
from app.services.applications.outcomes import HPF_DISBURSEMENT_JOB

RENT = "gjj.withdraw.rent"
APPLICATIONS = "/api/v1/applications"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A generous 秒批 deadline: these tests are about races, and fifty submissions on one
    SQLite file queue for its writer long enough to refer the first case for time alone."""
    return make_settings(database_url, approval_deadline_seconds=20)


def _body() -> dict[str, Any]:
    return {"service_code": RENT, "form": rent_withdrawal(PERSONAS["renter"]), "materials": []}


async def _disbursements(database: Database) -> list[Job]:
    async with database.session(write=False) as session:
        query = select(Job).where(Job.kind == HPF_DISBURSEMENT_JOB)
        return list((await session.scalars(query)).all())


async def test_fifty_racing_submissions_give_one_approval_and_one_payment(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    headers = await sign_in("renter", face=True)
    answers = await asyncio.gather(*(
        client.post(APPLICATIONS, headers=headers | {"Idempotency-Key": f"race-{n}"},
                    json=_body())
        for n in range(50)
    ))  # fmt: skip
    statuses = [answer.status_code for answer in answers]
    created = [answer.json() for answer in answers if answer.status_code == 201]
    assert set(statuses) <= {201, 409}, statuses
    assert [case["status"] for case in created].count("approved") == 1, statuses
    assert all(case["status"] in ("approved", "pending_review") for case in created)
    refused = [answer.json() for answer in answers if answer.status_code == 409]
    assert {problem["code"] for problem in refused} <= {"applications.open_case_exists"}
    assert all(problem["open_case"]["number"] for problem in refused), "the 409 names the case"
    assert len(await _disbursements(database)) == 1
    async with database.session(write=False) as session:
        grants = await session.scalar(select(func.count()).select_from(EntitlementGrant))
    assert grants == 1


async def test_the_next_day_the_platforms_own_approval_refers_a_second_withdrawal(
    client: httpx.AsyncClient, sign_in: SignIn, travel: Any
) -> None:
    headers = await sign_in("renter", face=True)
    first = (await client.post(APPLICATIONS, headers=headers, json=_body())).json()
    assert first["status"] == "approved"
    travel("2026-11-25T09:00:00+08:00")
    headers = await sign_in("renter", face=True)
    second = (await client.post(APPLICATIONS, headers=headers, json=_body())).json()
    assert second["status"] == "pending_review"
    assert second["decision"]["paid_amount"] is None
    interval = {c["id"]: c for c in second["decision"]["criteria"]}["withdrawal_interval"]
    assert interval["result"] == "failed"
    assert interval["found"]["entitlement.months_since_last_grant"] == 0
    assert "platform" in interval["source"]
    # A clerk's time counts from the next working day after the referral (Thursday 26th + 3).
    assert second["deadline"] == "2026-11-30"


async def test_a_retry_after_a_token_refresh_is_the_first_answer(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    await sign_in("renter", face=True)  # raised to L3 by face verification
    credentials = {"login": PERSONAS["renter"].login, "password": DEMO_PASSWORD}
    login = await client.post("/api/v1/auth/login", json={"method": "password", **credentials})
    tokens = login.json()
    first = await client.post(
        APPLICATIONS, json=_body(),
        headers={"Authorization": f"Bearer {tokens['access_token']}", "Idempotency-Key": "k1"},
    )  # fmt: skip
    assert first.status_code == 201, first.text
    refreshed = await client.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": auth.FIRST_PARTY_APP_ID,
    })  # fmt: skip
    again = await client.post(
        APPLICATIONS, json=_body(),
        headers={"Authorization": f"Bearer {refreshed.json()['access_token']}",
                 "Idempotency-Key": "k1"},
    )  # fmt: skip
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


async def test_the_fund_centre_is_sent_the_computed_amount_and_the_card_it_holds(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings
) -> None:
    headers = await sign_in("renter", face=True)
    case = (await client.post(APPLICATIONS, headers=headers, json=_body())).json()
    amount = case["decision"]["amount"]
    # Twelve months at the monthly limit, within the balance (36 months × 2,160).
    assert (amount["value"], amount["read"]["hpf.balance"]) == (18000, 77760)
    assert (
        await Worker(
            database, settings, backoff_base=0.0, backoff_cap=0.0, kinds=APPLICATION_JOBS
        ).run_once()
        == 1
    )
    [job] = await _disbursements(database)
    assert job.state == "done", job.last_error
    assert job.payload.keys() == {"application_id", "number", "service"}, "no account in it"
    card = facts.bound_card(f"37020{PERSONAS['renter'].index:010d}")
    seen = (await client.get(f"{APPLICATIONS}/{case['id']}", headers=headers)).json()
    assert seen["timeline"][-1]["note"].endswith(
        f"18000 元，至绑定银行卡 {card.bank_name} {mask_account(card.card_number)}"
    )


async def test_the_renter_is_not_approved_for_a_purchase_he_did_not_make(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("renter", face=True)
    answer = await apply(client, headers, "gjj.withdraw.purchase", total_price=2_350_000)
    assert answer.status_code == 201, answer.text
    case = answer.json()
    assert case["status"] == "pending_review"
    failing = {c["id"]: c for c in case["decision"]["criteria"] if c["result"] != "passed"}
    assert set(failing) == {"contract_filed"}
    assert failing["contract_filed"]["source"] == "zjj/purchase-contracts"
    assert failing["contract_filed"]["found"]["purchase.contract_filed"] is False


async def test_a_clerk_approving_a_referred_withdrawal_pays_once_to_the_card_on_record(
    client: httpx.AsyncClient, sign_in: SignIn, staff_headers: Any, travel: Any
) -> None:
    from app.auth.models import StaffRole

    headers = await sign_in("renter", face=True)
    assert (await client.post(APPLICATIONS, headers=headers, json=_body())).status_code == 201
    travel("2026-11-25T09:00:00+08:00")
    headers = await sign_in("renter", face=True)
    second = (await client.post(APPLICATIONS, headers=headers, json=_body())).json()
    assert second["status"] == "pending_review"
    clerk = await staff_headers("gjj.pay", StaffRole.CLERK, department="gjj")
    path = f"/api/v1/review/cases/{second['id']}"
    assert (await client.post(f"{path}/claim", headers=clerk)).status_code == 200
    approved = await client.post(f"{path}/approve", headers=clerk, json={"amount": 1500})
    assert approved.status_code == 200, approved.text
    decision = approved.json()["decision"]
    assert (decision["decided_by"], decision["paid_amount"]) == ("clerk", 1500)


async def test_a_case_reads_only_what_its_ruleset_needs_about_its_own_applicant(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    headers = await sign_in("renter", face=True)
    case = (await client.post(APPLICATIONS, headers=headers, json=_body())).json()
    purpose = f"application:{case['number']}"
    renter, owner = PERSONAS["renter"], PERSONAS["flat_owner"]
    actor = Actor("system", "test")
    async with database.session() as session:
        fund = [("gjj", "fund-account")]
        own = await gather_facts(
            session, Subject.person(renter.id_number), fund, purpose=purpose, actor=actor
        )
        assert own[("gjj", "fund-account")].found  # type: ignore[union-attr]
        him, her = Subject.person(renter.id_number), Subject.person(owner.id_number)
        refusals = (
            (him, ("jyj", "degrees"), purpose),  # a dataset the ruleset does not need
            (her, ("gjj", "fund-account"), purpose),  # somebody else
            # A case that does not exist, and a purpose naming a service instead of a case.
            (him, ("gjj", "fund-account"), "application:20991231000001"),
            (him, ("gjj", "fund-account"), f"application:{RENT}"),
        )
        for subject, key, named in refusals:
            with pytest.raises(PurposeNotAllowed):
                await gather_facts(session, subject, [key], purpose=named, actor=actor)


async def test_a_case_cut_off_before_its_decision_goes_to_a_clerk_when_met_again(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    headers = await sign_in("renter", face=True)
    case = (await client.post(APPLICATIONS, headers=headers, json=_body())).json()
    # As if the process had died during the gathering: filed, undecided, ten minutes ago.
    async with database.session() as session:
        stored = await session.get(Application, uuid.UUID(case["id"]))
        assert stored is not None
        stored.status, stored.open_key = "submitted", stored.applicant_account_id.hex
        stored.submitted_at = utcnow() - timedelta(minutes=10)
    again = await client.post(APPLICATIONS, headers=headers, json=_body())
    assert again.status_code == 409
    assert again.json()["open_case"]["number"] == case["number"]
    seen = (await client.get(f"{APPLICATIONS}/{case['id']}", headers=headers)).json()
    assert (seen["status"], seen["timeline"][-1]["note"]) == (
        "pending_review",
        "自动审批中断，转人工审核",
    )
