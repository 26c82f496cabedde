"""The city-brain screen's overview through the API, with the demo personas: 秒批 approvals, a
referral a clerk rejects, a manual case a clerk approves, open cases; exact figures on both
databases, and who may read them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest
from persona_support import PERSONAS, Headers, submitted
from sqlalchemy import update

from app.adapters.simulator.personas import Persona
from app.auth.models import StaffRole
from app.certificates.models import License
from app.db import Database
from app.kit.clock import SHANGHAI, utcnow
from app.services.applications.models import Application

OVERVIEW = "/api/v1/stats/overview"
RENT = "gjj.withdraw.rent"
HYGIENE = "wjw.hygiene-permit.renew"
KINDERGARTEN = "jyj.kindergarten-licence.continue"
MakeHeaders = Callable[..., Awaitable[Headers]]


def _rent(who: Persona) -> dict[str, Any]:
    return {
        "applicant_name": who.name, "id_number": who.id_number, "phone": who.login,
        "rent_basis": "按本市租房提取限额",
        "rental_address": "青岛市市南区香港中路 10 号 3 单元 501 户",
        "lease_start": "2026-09-01", "lease_end": "2027-08-31",
    }  # fmt: skip


def _hygiene(who: Persona) -> dict[str, Any]:
    return {
        "unit_name": "青岛海韵美容美发有限公司", "uscc": who.enterprise_uscc,
        "contact_name": who.name, "phone": who.login,
        "permit_number": "青卫公字〔2022〕第001772号",
        "premises_address": "山东省青岛市即墨区烟青一级路62号",
        "business_items": ["美容美发场所"], "conditions_unchanged": True,
    }  # fmt: skip


def _kindergarten(who: Persona) -> dict[str, Any]:
    return {
        "unit_name": "青岛市小太阳幼儿园", "uscc": who.enterprise_uscc,
        "contact_name": who.name, "phone": who.login,
        "kindergarten_name": "青岛市小太阳幼儿园", "licence_number": "教民137020000001868号",
        "school_address": "山东省青岛市莱西市石岛路223号", "classes": 6, "capacity": 180,
        "expires_on": "2027-01-08",
    }  # fmt: skip


async def _review(client: httpx.AsyncClient, clerk: Headers, case: dict[str, Any], action: str,
                  body: dict[str, Any] | None = None) -> None:  # fmt: skip
    path = f"/api/v1/review/cases/{case['id']}"
    assert (await client.post(f"{path}/claim", headers=clerk)).status_code == 200
    if action != "claim":
        done = await client.post(f"{path}/{action}", headers=clerk, json=body or {})
        assert done.status_code == 200, done.text


async def _overview(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    answer = await client.get(OVERVIEW, headers=headers)
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def _midnight() -> datetime:
    day = utcnow().astimezone(SHANGHAI).date()
    return datetime.combine(day, time(0), SHANGHAI).astimezone(UTC)


async def _timed(database: Database, case: dict[str, Any], submitted: datetime,
                 decided_after: float | None = None) -> None:  # fmt: skip
    """Give a case known times: submitted then, decided `decided_after` seconds later."""
    values: dict[str, Any] = {"submitted_at": submitted}
    if decided_after is not None:
        values["decided_at"] = submitted + timedelta(seconds=decided_after)
    async with database.session() as session:
        await session.execute(
            update(Application).where(Application.number == case["number"]).values(**values)
        )


async def test_the_overview_counts_the_personas_cases(
    client: httpx.AsyncClient, sign_in: MakeHeaders, staff_headers: MakeHeaders,
    database: Database,
) -> None:  # fmt: skip
    admin = await staff_headers("stats.admin", StaffRole.PLATFORM_ADMIN, department="xzsp")
    before = await _overview(client, admin)
    assert before["applications"] == {"total": 0, "today": 0}
    assert before["online_share"] is None
    assert before["automation"] == {
        "decided": 0, "approved_by_rules": 0, "rate": None, "by_service": []
    }  # fmt: skip
    assert before["median_time_to_decision"] == {
        "auto_seconds": None, "auto_decided": 0, "manual_seconds": None, "manual_decided": 0
    }  # fmt: skip
    assert before["pending_by_department"] == []
    seeded = before["licenses_issued"]
    assert seeded["total"] == seeded["today"] > 0, "the demo world's licenses, made just now"

    # Two eligible renters (one rent withdrawal each: a second would meet the interval rule),
    # two flat owners referred, and the kindergarten twice (one open case at a time).
    approved = [
        await submitted(client, await sign_in(key, face=True), RENT, _rent(PERSONAS[key]))
        for key in ("renter", "buyer")
    ]
    salon = await sign_in("hygiene", enterprise=True)
    renewed = await submitted(client, salon, HYGIENE, _hygiene(PERSONAS["hygiene"]))
    referred, waiting = [
        await submitted(client, await sign_in(key, face=True), RENT, _rent(PERSONAS[key]))
        for key in ("flat_owner", "seller")
    ]
    school = await sign_in("kindergarten", enterprise=True)
    form = _kindergarten(PERSONAS["kindergarten"])
    continued = await submitted(client, school, KINDERGARTEN, form)
    assert [c["status"] for c in (*approved, renewed)] == ["approved"] * 3
    assert [c["status"] for c in (referred, waiting, continued)] == ["pending_review"] * 3
    gjj = await staff_headers("gjj.stats", StaffRole.CLERK, department="gjj")
    await _review(client, gjj, referred, "reject", {"reason": "名下在青岛有自有住房"})
    jyj = await staff_headers("jyj.stats", StaffRole.CLERK, department="jyj")
    await _review(client, jyj, continued, "approve")
    queued = await submitted(client, school, KINDERGARTEN, form)
    assert queued["status"] == "pending_review"
    await _review(client, jyj, queued, "claim")

    # Known times: 秒批 in 1, 2 and 4 s; clerks in 1 and 2 hours; one case from yesterday.
    midnight = _midnight()
    for case, seconds in ((approved[0], 1), (approved[1], 2), (renewed, 4),
                          (referred, 3600), (continued, 7200)):  # fmt: skip
        await _timed(database, case, midnight + timedelta(minutes=1), seconds)
    await _timed(database, waiting, midnight - timedelta(minutes=1))
    async with database.session() as session:  # the renewed permit: issued yesterday
        await session.execute(
            update(License)
            .where(License.license_no == renewed["license_no"])
            .values(created_at=midnight - timedelta(seconds=1))
        )

    after = await _overview(client, admin)
    assert after["applications"] == {"total": 7, "today": 6}
    assert after["online_share"] == 1.0
    assert after["automation"] == {
        "decided": 5,
        "approved_by_rules": 3,
        "rate": 0.6,
        "by_service": [
            {"service_code": RENT, "decided": 4, "approved_by_rules": 2, "rate": 0.5},
            {"service_code": HYGIENE, "decided": 1, "approved_by_rules": 1, "rate": 1.0},
        ],
    }
    assert after["median_time_to_decision"] == {
        "auto_seconds": 2.0, "auto_decided": 3, "manual_seconds": 5400.0, "manual_decided": 2
    }  # fmt: skip
    empty = {"pending_review": 0, "in_review": 0, "resubmitted": 0, "supplement_requested": 0,
             "overdue": 0, "due_soon": 0}  # fmt: skip
    assert after["pending_by_department"] == [
        # 住房公积金 withdrawals are decided within days: the waiting one is due soon.
        {"department_code": "gjj", **empty, "pending_review": 1, "total": 1, "due_soon": 1},
        {"department_code": "jyj", **empty, "in_review": 1, "total": 1},
    ]
    # The permit's renewal and the kindergarten licence's continuation issued two licenses.
    assert after["licenses_issued"] == {
        "total": seeded["total"] + 2, "today": seeded["today"] + 1
    }  # fmt: skip
    assert after["day"] == utcnow().astimezone(SHANGHAI).date().isoformat()


@pytest.mark.parametrize(
    ("role", "allowed"),
    [
        (StaffRole.PLATFORM_ADMIN, True),
        (StaffRole.AUDITOR, True),
        (StaffRole.DEPARTMENT_ADMIN, False),
        (StaffRole.CLERK, False),
    ],
)
async def test_platform_admins_and_auditors_read_the_figures_other_staff_do_not(
    client: httpx.AsyncClient, staff_headers: MakeHeaders, role: StaffRole, allowed: bool
) -> None:
    headers = await staff_headers(f"stats.{role.value}", role, department="gjj")
    answer = await client.get(OVERVIEW, headers=headers)
    assert answer.status_code == (200 if allowed else 403), answer.text
    if not allowed:
        assert answer.json()["code"] == "auth.role_required"


async def _partner(client: httpx.AsyncClient, admin: Headers, scopes: list[str]) -> Headers:
    body = {"name": "城市大脑", "kind": "partner", "grant_types": ["client_credentials"],
            "scopes": scopes}  # fmt: skip
    registered = await client.post("/api/v1/admin/clients", json=body, headers=admin)
    assert registered.status_code == 201, registered.text
    created = registered.json()
    token = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": created["client_id"],
              "client_secret": created["client_secret"]},
    )  # fmt: skip
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_a_partner_needs_the_stats_read_scope(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    screen = await _partner(client, admin_headers, ["stats.read"])
    assert (await client.get(OVERVIEW, headers=screen)).status_code == 200
    verifier = await _partner(client, admin_headers, ["licenses.verify"])
    refused = await client.get(OVERVIEW, headers=verifier)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.insufficient_scope")


async def test_citizens_and_anonymous_callers_are_refused(
    client: httpx.AsyncClient, sign_in: MakeHeaders
) -> None:
    citizen = await sign_in("renter")
    assert (await client.get(OVERVIEW, headers=citizen)).status_code == 403
    assert (await client.get(OVERVIEW)).status_code == 401
