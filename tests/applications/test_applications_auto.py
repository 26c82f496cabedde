"""秒批 through the API with the demo personas: the rules approve or refer with every reason,
and the outcome runs (a hanging department: test_applications_deadline_hang.py)."""

from __future__ import annotations

from typing import Any

import httpx
from application_forms import hygiene_renewal, printing_enterprise, rent_withdrawal
from persona_support import PERSONAS, SignIn, submitted
from sqlalchemy import select

from app.db import Database
from app.jobs.models import Job
from app.services.applications.outcomes import HPF_DISBURSEMENT_JOB

RENT = "gjj.withdraw.rent"


def _criteria(case: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in case["decision"]["criteria"]}


async def test_the_eligible_renter_is_approved_in_the_response(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    headers = await sign_in("renter", face=True)
    case = await submitted(client, headers, RENT, rent_withdrawal(PERSONAS["renter"]))
    assert case["status"] == "approved"
    decision = case["decision"]
    assert (decision["outcome"], decision["decided_by"]) == ("approve", "rules")
    assert decision["ruleset_version"] == 2
    criteria = _criteria(case)
    assert {"credit", "account_normal", "consecutive_deposits", "no_property_in_qingdao"} <= set(
        criteria
    )
    assert all(c["result"] == "passed" for c in criteria.values())
    assert criteria["consecutive_deposits"]["found"] == 36
    assert criteria["consecutive_deposits"]["required"]
    assert criteria["consecutive_deposits"]["source"] == "gjj/fund-contributions"
    assert criteria["no_property_in_qingdao"]["source"] == "bdc/property-ownership"
    assert criteria["no_property_in_qingdao"]["as_of"]
    assert [step["status"] for step in case["timeline"]] == ["submitted", "approved", "approved"]
    assert "支付指令" in case["timeline"][-1]["note"], "the payment's progress shows"
    assert decision["amount"]["value"] == decision["paid_amount"] == 18000
    async with database.session(write=False) as session:
        jobs = (await session.scalars(select(Job).where(Job.kind == HPF_DISBURSEMENT_JOB))).all()
    assert [job.payload["number"] for job in jobs] == [case["number"]]
    log = (await client.get("/api/v1/me/data-access-log", headers=headers)).json()["items"]
    purposes = {r["purpose"] for r in log if r["case_id"] == case["number"]}
    assert purposes == {f"application:{case['number']}"}, "every read names the case it serves"


async def test_the_flat_owner_is_referred_and_a_clerk_decides(
    client: httpx.AsyncClient, sign_in: SignIn, staff_headers: Any
) -> None:
    from app.auth.models import StaffRole

    owner = await sign_in("flat_owner", face=True)
    case = await submitted(client, owner, RENT, rent_withdrawal(PERSONAS["flat_owner"]))
    assert case["status"] == "pending_review"
    assert case["decision"]["outcome"] == "refer"
    failing = [c for c in case["decision"]["criteria"] if c["result"] != "passed"]
    assert [(c["id"], c["result"], c["found"]) for c in failing] == [
        ("no_property_in_qingdao", "failed", True)
    ]
    assert "本人在本市无自有住房" in case["timeline"][-1]["note"]
    clerk = await staff_headers("gjj.zhao", StaffRole.CLERK, department="gjj")
    queue = (await client.get("/api/v1/review/cases", headers=clerk)).json()["items"]
    assert [(item["number"], item["referred_for"]) for item in queue] == [
        (case["number"], ["no_property_in_qingdao"])
    ]
    path = f"/api/v1/review/cases/{case['id']}"
    assert (await client.post(f"{path}/claim", headers=clerk)).status_code == 200
    reason = "名下在青岛有自有住房，不符合租房提取条件"
    assert (
        await client.post(f"{path}/reject", headers=clerk, json={"reason": reason})
    ).status_code == 200
    seen = (await client.get(f"/api/v1/applications/{case['id']}", headers=owner)).json()
    assert (seen["status"], seen["decision"]["reason"]) == ("rejected", reason)
    assert _criteria(seen)["no_property_in_qingdao"]["result"] == "failed", "the rules stay in view"


async def test_the_salon_renews_its_hygiene_permit_in_seconds(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("hygiene", enterprise=True)
    before = {
        i["type"]["code"]: i
        for i in (await client.get("/api/v1/me/licenses", headers=headers)).json()["items"]
    }
    old = before["hygiene-permit"]
    case = await submitted(
        client, headers, "wjw.hygiene-permit.renew", hygiene_renewal(PERSONAS["hygiene"])
    )
    assert case["status"] == "approved", case["decision"]
    assert case["license_no"]
    assert case["license_no"] != old["license_no"]
    wallet = {
        i["type"]["code"]: i
        for i in (await client.get("/api/v1/me/licenses", headers=headers)).json()["items"]
    }
    renewed = wallet["hygiene-permit"]
    assert (renewed["license_no"], renewed["version"], renewed["supersedes"]) == (
        case["license_no"], 2, old["license_no"]
    )  # fmt: skip
    assert renewed["valid_until"] > old["valid_until"]
    assert renewed["fields"]["valid_until"] == renewed["valid_until"]


async def test_the_printer_establishes_an_enterprise_and_finds_its_license_in_its_wallet(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    founder = await sign_in("printer", face=True)  # as a person: the enterprise is the outcome
    form = printing_enterprise(PERSONAS["printer"])
    case = await submitted(client, founder, "scjg.enterprise.establish", form)
    assert case["status"] == "approved", case["decision"]
    license_no = case["license_no"]
    # The founder acts for the new enterprise (market regulation's register does not hold it
    # yet: the platform's record of the founding stands in) and opens its wallet.
    issued = (await client.get(f"/api/v1/licenses/{license_no}", headers=founder)).status_code
    assert issued == 404, "the license is the enterprise's, not the founder's own"
    uscc = await _holder_uscc(client, form["company_name"], license_no)
    acting = await client.post("/api/v1/auth/act-as", headers=founder, json={"uscc": uscc})
    assert acting.status_code == 200, acting.text
    assert (acting.json()["role"], acting.json()["source"]) == (
        "legal_representative", f"application:{case['number']}"
    )  # fmt: skip
    enterprise = {"Authorization": f"Bearer {acting.json()['access_token']}"}
    wallet = (await client.get("/api/v1/me/licenses", headers=enterprise)).json()["items"]
    assert [(item["license_no"], item["holder"]["name"]) for item in wallet] == [
        (license_no, form["company_name"])
    ]
    assert wallet[0]["fields"]["legal_representative"] == PERSONAS["printer"].name
    credential = await client.get(f"/api/v1/licenses/{license_no}/credential", headers=enterprise)
    assert credential.status_code == 200
    checked = await client.post(
        "/api/v1/licenses/verify", json={"credential": credential.json()["credential"]}
    )
    assert checked.json()["result"] == "valid", checked.json()
    # Another person may not act for it.
    stranger = await sign_in("renter", face=True)
    refused = await client.post("/api/v1/auth/act-as", headers=stranger, json={"uscc": uscc})
    assert refused.status_code == 403


async def _holder_uscc(client: httpx.AsyncClient, name: str, license_no: str) -> str:
    """The new enterprise's credit code, as public verification by number and name shows it."""
    verified = await client.post(
        "/api/v1/licenses/verify", json={"license_no": license_no, "holder_name": name}
    )
    answer = verified.json()
    assert (answer["result"], answer["license"]["type"]["code"]) == ("valid", "business-license")
    return str(answer["license"]["holder"]["uscc"])
