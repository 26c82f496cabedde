"""Every 秒批 service, applied for by the persona it fits, is approved and produces its outcome:
a payment to the card the fund centre holds, an e-license in the right wallet, a renewal, or an
instruction the department receives — never an approval with nothing behind it."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from jobs_support import APPLICATION_JOBS
from persona_support import PERSONAS, SignIn
from service_support import apply, department_record
from sqlalchemy import select

from app.burden import demo_services
from app.config import Settings
from app.db import Database
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.rules.load import shipped_rulesets
from app.rules.outcome import ApprovalOutcome
from app.services.catalog.data import KEY_SERVICES

# Which persona each service is approved for, and whether they act for their enterprise.
PERSONA_OF = demo_services()
# The 秒批 services' rulesets: the kindergarten continuation's decides only the renewal the
# platform offers (无感审批, tests/proactive); at the counter a clerk decides it.
_OFFERED_ONLY = {s.code for s in KEY_SERVICES if s.mode != "auto"}
OUTCOMES: dict[str, ApprovalOutcome] = {
    r.service: r.outcome for r in shipped_rulesets() if r.service not in _OFFERED_ONLY
}
# What a persona chooses where the form's first option would not fit together.
CHOSEN: dict[str, dict[str, Any]] = {
    "gjj.loan.repayment-change": {"change_type": "还款方式", "repayment_method": "等额本金"},
}


def test_every_shipped_ruleset_has_its_persona() -> None:
    assert set(PERSONA_OF) == set(OUTCOMES)
    assert len(OUTCOMES) == 34


async def _jobs(database: Database, number: str) -> list[Job]:
    async with database.session(write=False) as session:
        jobs = (await session.scalars(select(Job))).all()
    return [job for job in jobs if job.payload.get("number") == number]


@pytest.mark.parametrize("code", sorted(PERSONA_OF))
async def test_the_service_is_approved_for_its_persona_and_produces_its_outcome(
    code: str,
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
) -> None:
    key, enterprise = PERSONA_OF[code]
    headers = await sign_in(key, face=True, enterprise=enterprise)
    answer = await apply(client, headers, code, **CHOSEN.get(code, {}))
    assert answer.status_code == 201, answer.text
    case = answer.json()
    failing = [c for c in case["decision"]["criteria"] if c["result"] != "passed"]
    assert case["status"] == "approved", failing
    outcome = OUTCOMES[code]
    await _produces(outcome, case, client, headers, database, settings)


async def _produces(
    outcome: ApprovalOutcome,
    case: dict[str, Any],
    client: httpx.AsyncClient,
    headers: dict[str, str],
    database: Database,
    settings: Settings,
) -> None:
    number = case["number"]
    if outcome.kind in ("license", "renewal"):
        assert case["license_no"], "an approval that issues nothing"
        wallet = (await client.get("/api/v1/me/licenses", headers=headers)).json()["items"]
        held = {item["license_no"]: item["type"]["code"] for item in wallet}
        if outcome.license_type == "business-license":
            return  # the new enterprise's wallet: tested in test_applications_auto.py
        assert held.get(case["license_no"]) == outcome.license_type, held
        return
    [job] = await _jobs(database, number)
    assert job.state == "queued"
    worker = Worker(database, settings, backoff_base=0.0, backoff_cap=0.0, kinds=APPLICATION_JOBS)
    assert await worker.run_once() == 1
    [done] = await _jobs(database, number)
    assert done.state == "done", done.last_error
    seen = (await client.get(f"/api/v1/applications/{case['id']}", headers=headers)).json()
    if outcome.kind == "disbursement":
        receipt = (await department_record(f"/gjj/disbursements/{number}")).json()
        amount = case["decision"]["amount"]["value"]
        assert (receipt["amount"], receipt["status"]) == (amount, "accepted")
        assert amount > 0
        assert f"{amount} 元" in seen["timeline"][-1]["note"]
        return
    department, action = outcome.department, outcome.action
    receipt = await department_record(f"/{department}/instructions/{number}/{action}")
    assert receipt.status_code == 200, receipt.text
    assert "已受理" in seen["timeline"][-1]["note"]


async def test_the_founded_enterprise_gets_its_business_license(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    founder = await sign_in("printer", face=True)
    case = (await apply(client, founder, "scjg.enterprise.establish")).json()
    assert case["status"] == "approved", case["decision"]
    verified = await client.post(
        "/api/v1/licenses/verify",
        json={"license_no": case["license_no"], "holder_name": case["form"]["company_name"]},
    )
    assert verified.json()["license"]["type"]["code"] == "business-license"
    assert PERSONAS["printer"].name == case["form"]["legal_representative"]
