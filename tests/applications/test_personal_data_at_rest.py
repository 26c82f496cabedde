"""Personal data at rest and in view (DESIGN §2, principle 6).

After a day of the platform's work through the API — 秒批 approvals and a referral a clerk
decides, an enterprise founded, a permit renewed, licenses issued to people and shared — no ID
number, phone number or bank account number is stored in clear in any column of any table;
and what people are shown of them is whole only where it may be: the applicant's own case,
the department clerk's audited case page, the holder's own license.

The day is one fixture, so that a later feature adds its steps (and its values) there and the
scan covers them; the scan itself is tests/personal_data_scan.py.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest
from application_forms import hygiene_renewal, printing_enterprise, rent_withdrawal
from jobs_support import APPLICATION_JOBS
from persona_support import PERSONAS, Headers, SignIn, submitted, upload
from personal_data_scan import find_in_clear, personal_values
from sqlalchemy import select

from app.adapters.simulator import facts
from app.audit.models import AuditRecord
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database
from app.jobs.worker import Worker
from app.kit.clock import utcnow

RENT = "gjj.withdraw.rent"
StaffHeaders = Callable[..., Awaitable[Headers]]
# The card the fund centre pays the renter's withdrawal to (the platform reads it from the
# centre to name it in the instruction), and the housing-fund account on the deposit
# certificate a fund-centre clerk issues him.
BANK_CARD = facts.bound_card(f"37020{PERSONAS['renter'].index:010d}").card_number
HPF_ACCOUNT = "370200001234567"


@dataclass
class Day:
    """What the day did and what the people in it were shown."""

    values: dict[str, str] = field(default_factory=dict)
    seen: dict[str, Any] = field(default_factory=dict)


async def _issue(
    client: httpx.AsyncClient, clerk: Headers, type_code: str, holder: str, fields: dict[str, Any]
) -> dict[str, Any]:
    persona = PERSONAS[holder]
    answer = await client.post(
        "/api/v1/licenses", headers=clerk,
        json={"type": type_code, "fields": fields,
              "holder": {"kind": "person", "name": persona.name, "id_number": persona.id_number}},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


async def _ok(response: Awaitable[httpx.Response]) -> Any:
    answer = await response
    assert answer.status_code in (200, 201), answer.text
    return answer.json()


@pytest.fixture
async def day(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    staff_headers: StaffHeaders,
    database: Database,
    settings: Settings,
) -> Day:
    """The platform's day, walked through the API by the personas and the clerks."""
    done = Day()
    for key in ("renter", "flat_owner", "printer", "hygiene", "buyer"):
        done.values[f"{key}.id_number"] = PERSONAS[key].id_number
        done.values[f"{key}.phone"] = PERSONAS[key].login
    done.values["renter.bank_card"] = BANK_CARD

    # 秒批: the renter's withdrawal is approved, and its disbursement instruction is sent to
    # the card the fund centre holds. An upload's name carries the card and the ID number, as
    # people name their photos.
    renter = await sign_in("renter", face=True)
    form = rent_withdrawal(PERSONAS["renter"])
    done.values |= personal_values("renter.form", form)
    await upload(client, renter, name=f"银行卡{BANK_CARD}-{PERSONAS['renter'].id_number}")
    done.seen["renter.case"] = await submitted(client, renter, RENT, form, [])
    assert done.seen["renter.case"]["status"] == "approved"
    assert (
        await Worker(
            database, settings, backoff_base=0.0, backoff_cap=0.0, kinds=APPLICATION_JOBS
        ).run_once()
        == 1
    )

    # The printer founds an enterprise; the salon renews its hygiene permit, for the enterprise.
    printer = await sign_in("printer", face=True)
    form = printing_enterprise(PERSONAS["printer"])
    done.values |= personal_values("printer.form", form)
    founded = await submitted(client, printer, "scjg.enterprise.establish", form)
    assert founded["status"] == "approved", founded["decision"]
    salon = await sign_in("hygiene", enterprise=True)
    form = hygiene_renewal(PERSONAS["hygiene"])
    done.values |= personal_values("hygiene.form", form)
    renewed = await submitted(client, salon, "wjw.hygiene-permit.renew", form)
    assert renewed["status"] == "approved", renewed["decision"]

    # The flat owner's withdrawal is referred; a clerk of the fund centre reads and rejects it.
    owner = await sign_in("flat_owner", face=True)
    form = rent_withdrawal(PERSONAS["flat_owner"])
    done.values |= personal_values("flat_owner.form", form)
    referred = done.seen["owner.case"] = await submitted(client, owner, RENT, form)
    assert referred["status"] == "pending_review"
    clerk = await staff_headers("gjj.wang", StaffRole.CLERK)
    path = f"/api/v1/review/cases/{referred['id']}"
    done.seen["clerk.queue"] = await _ok(client.get("/api/v1/review/cases", headers=clerk))
    done.seen["clerk.case"] = await _ok(client.get(path, headers=clerk))
    done.seen["clerk.claimed"] = await _ok(client.post(f"{path}/claim", headers=clerk))
    done.seen["clerk.rejected"] = await _ok(
        client.post(
            f"{path}/reject", headers=clerk,
            json={"reason": f"名下在青岛有自有住房（{PERSONAS['flat_owner'].id_number}）"},
        )
    )  # fmt: skip
    done.seen["owner.rejected"] = await _ok(client.get(f"/api/v1/applications/{referred['id']}",
                                                       headers=owner))  # fmt: skip

    # Licenses issued to people by their departments' clerks: a marriage certificate naming
    # both spouses' ID numbers, and a housing-fund deposit certificate with the account.
    mzj = await staff_headers("mzj.clerk", StaffRole.CLERK, department="mzj")
    marriage = {
        "certificate_number": "J370202-2026-000123",
        "husband_name": PERSONAS["renter"].name,
        "husband_id_number": PERSONAS["renter"].id_number,
        "wife_name": PERSONAS["buyer"].name,
        "wife_id_number": PERSONAS["buyer"].id_number,
        "registered_on": "2026-11-20",
    }
    certificate = await _issue(client, mzj, "marriage-certificate", "renter", marriage)
    gjj = await staff_headers("gjj.issuer", StaffRole.CLERK, department="gjj")
    deposit = {
        "account_number": HPF_ACCOUNT, "employer": "青岛海韵印务有限公司",
        "monthly_amount": 1520, "balance": 48210, "status": "正常",
    }  # fmt: skip
    await _issue(client, gjj, "hpf-deposit-proof", "renter", deposit)
    done.values |= personal_values("marriage", marriage) | personal_values("deposit", deposit)

    # The renter looks at his wallet, and shows the marriage certificate through a share (its
    # purpose, in his words, quotes his phone number).
    done.seen["renter.wallet"] = await _ok(client.get("/api/v1/me/licenses", headers=renter))
    number = certificate["license_no"]
    share = await _ok(
        client.post(
            f"/api/v1/licenses/{number}/shares", headers=renter,
            json={"purpose": f"办理公积金提取，联系电话 {PERSONAS['renter'].login}",
                  "fields": ["husband_name", "wife_id_number"],
                  "expires_at": (utcnow() + timedelta(days=7)).isoformat()},
        )
    )  # fmt: skip
    done.seen["verifier.share"] = await _ok(
        client.post("/api/v1/licenses/verify", json={"share_token": share["token"]})
    )
    done.seen["verifier.number"] = await _ok(
        client.post("/api/v1/licenses/verify",
                    json={"license_no": number, "holder_name": PERSONAS["renter"].name})
    )  # fmt: skip
    return done


def _masked_id(id_number: str) -> str:
    return id_number[:6] + "*" * 8 + id_number[-4:]


def _raw(value: Any, day: Day, *labels: str) -> set[str]:
    """Which of the day's values (by label prefix) appear unmasked in what was shown."""
    shown = json.dumps(value, ensure_ascii=False).upper()
    return {
        label
        for label, raw in day.values.items()
        if label.startswith(labels) and raw.strip().upper() in shown
    }


async def test_no_id_phone_or_bank_account_number_is_stored_in_clear(
    day: Day, database: Database
) -> None:
    kinds = {"renter.form.id_number", "renter.bank_card", "marriage.wife_id_number",
             "deposit.account_number", "printer.form.shareholders[0].id_number"}  # fmt: skip
    assert kinds <= set(day.values), "the scan looks for every kind of value"
    hits = await find_in_clear(database, day.values)
    assert hits == [], "\n".join(f"{h.table}.{h.column}: {h.label}" for h in hits)
    # The scan reads every table: what is meant to be in clear, it finds.
    found = await find_in_clear(database, {"name": PERSONAS["renter"].name, "code": "id-card"})
    assert {(h.table, h.column) for h in found} >= {
        ("person_accounts", "name"),
        ("applications", "materials"),  # a JSON column
    }


async def test_a_case_is_whole_to_its_applicant_and_on_the_clerks_audited_case_page(
    day: Day, database: Database
) -> None:
    owner = ("flat_owner.",)
    assert _raw(day.seen["owner.case"]["form"], day, *owner) >= {
        "flat_owner.form.id_number", "flat_owner.form.phone"
    }, "the applicant's own form, whole"  # fmt: skip
    assert _raw(day.seen["clerk.queue"], day, *owner) == set(), "the queue shows no values"
    page = day.seen["clerk.case"]
    assert page["form"] == day.seen["owner.case"]["form"], "the case page shows it whole"
    async with database.session(write=False) as session:
        viewed = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.action == "application.personal_data_viewed")
            )
        ).all()
    assert [(r.actor_type, r.subject_id) for r in viewed] == [("staff", page["id"])]
    for answer in ("clerk.claimed", "clerk.rejected"):
        shown = day.seen[answer]
        assert _raw(shown, day, *owner) == set(), f"{answer} is masked"
        assert shown["form"]["id_number"] == _masked_id(PERSONAS["flat_owner"].id_number)
        assert shown["form"]["phone"].count("*") == 4
    # The clerk's reason quoted the ID number: the applicant reads it whole, the clerk masked.
    assert _raw(day.seen["owner.rejected"], day, "flat_owner.id_number")
    assert not _raw(day.seen["clerk.rejected"]["decision"], day, "flat_owner.id_number")


async def test_a_license_is_whole_to_its_holder_and_masked_to_a_verifier(day: Day) -> None:
    wallet = {item["type"]["code"]: item for item in day.seen["renter.wallet"]["items"]}
    assert _raw(wallet["marriage-certificate"]["fields"], day, "marriage.") == {
        "marriage.husband_id_number", "marriage.wife_id_number"
    }  # fmt: skip
    assert wallet["hpf-deposit-proof"]["fields"]["account_number"] == HPF_ACCOUNT
    shared = day.seen["verifier.share"]
    assert shared["result"] == "valid"
    assert shared["license"]["fields"] == {
        "husband_name": PERSONAS["renter"].name,
        "wife_id_number": _masked_id(PERSONAS["buyer"].id_number),
    }, "only what the holder chose, the ID number masked"
    by_number = day.seen["verifier.number"]
    assert (by_number["result"], by_number["license"]["fields"]) == ("valid", {})
    assert not _raw([shared, by_number], day, "marriage.", "renter.", "buyer.")
