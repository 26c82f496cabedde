"""静默认证 through the public API: the three pensioner personas end qualified silently, invited
(and qualified by a selfie), and referred; nothing stops a payment but a clerk; pause and resume;
a batch that runs again repeats nothing; who may see what."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from campaign_support import FEEDS, case_of, drain, payment_status, pilot, progress, start
from client_support import client_credentials_headers
from persona_support import PERSONAS, SignIn
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from app.adapters.models import DataAccessRecord
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database
from app.jobs import service as jobs
from app.jobs.worker import Worker
from app.kit.clock import SHANGHAI
from app.proactive.campaigns.models import CampaignCase

Headers = dict[str, str]
StaffHeaders = Callable[..., Awaitable[Headers]]
Travel = Callable[[str], None]


@pytest.fixture
async def clerk(on_world_day: None, staff_headers: StaffHeaders) -> Headers:
    """A clerk of the pension department (人社局), signed in on the world's day."""
    return await staff_headers("rsj.campaign.clerk", StaffRole.CLERK, department="rsj")


@pytest.fixture
async def admin(on_world_day: None, admin_headers: Headers) -> Headers:
    """A platform admin signed in on the world's day (the tokens are dated)."""
    return admin_headers


async def _after_warning(
    campaign: dict[str, Any], database: Database, settings: Settings, travel: Travel
) -> None:
    """The morning after the warning period: the daily sweep queued by the schedule and run."""
    end = datetime.fromisoformat(campaign["warning_until"]).astimezone(SHANGHAI)
    travel((end + timedelta(days=1)).replace(hour=7, minute=30).isoformat())
    worker = Worker(database, settings, worker_id="morning")
    await worker.queue_schedules()
    await drain(database, settings)


async def _inbox_types(client: httpx.AsyncClient, headers: Headers) -> list[str]:
    answer = await client.get("/api/v1/me/messages", headers=headers)
    assert answer.status_code == 200, answer.text
    return [item["event_type"] for item in answer.json()["items"]]


async def test_the_three_pensioners_end_silent_invited_and_referred_and_only_a_clerk_stops_pay(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    admin: Headers,
    clerk: Headers,
    sign_in: SignIn,
    travel: Travel,
    staff_headers: StaffHeaders,
) -> None:
    active, silent = await sign_in("active_pensioner"), await sign_in("silent_pensioner")
    campaign = await start(client, admin)
    assert campaign["status"] == "running"
    assert set(campaign["datasets"]) == FEEDS
    await drain(database, settings)

    figures = await progress(client, admin, campaign["id"])
    assert figures["status"] == "completed"
    done = figures["progress"]
    assert done["batches_done"] == done["batches_total"] == 3
    assert done["done"] == done["silent"] + done["invited"] + done["referred"] > 30
    assert done["silent_share"] == round(done["silent"] / done["done"], 4)

    screen = await client.get("/api/v1/stats/overview", headers=admin)
    assert screen.status_code == 200, screen.text
    assert screen.json()["pension_qualification"] == {
        "campaigns": 1, "classified": done["done"], "silent": done["silent"],
        "silent_share": done["silent"] / done["done"], "invited": done["invited"],
        "referred": done["referred"], "pending": done["pending"], "suspended": 0,
    }  # fmt: skip

    qualified = await case_of(client, clerk, campaign["id"], "active_pensioner")
    assert (qualified["outcome"], qualified["state"]) == ("silent", "qualified")
    assert qualified["qualified_until"] == "2027-11-23"
    assert "pension.qualified" in await _inbox_types(client, active)

    invited = await case_of(client, clerk, campaign["id"], "silent_pensioner")
    assert (invited["outcome"], invited["state"], invited["last_activity"]) == (
        "invited", "invited", None,
    )  # fmt: skip
    assert "pension.verification_invited" in await _inbox_types(client, silent)

    referred = await case_of(client, clerk, campaign["id"], "deceased_pensioner")
    assert (referred["outcome"], referred["state"]) == ("referred", "referred")
    assert {"wjw/deaths", "mzj/cremations", "gaj/household-cancellations"} <= set(
        referred["evidence"]
    )
    # A death on record stops nothing by itself: the pension system still pays.
    assert await payment_status("deceased_pensioner") == "paying"

    # The selfie qualifies the invited person.
    await sign_in("silent_pensioner", face=True)
    selfie = await case_of(client, clerk, campaign["id"], "silent_pensioner")
    assert selfie["state"] == "qualified"
    assert selfie["qualified_until"] is not None

    # The warning period ends: the still-invited go to the clerks; still nobody's pay stops.
    await _after_warning(campaign, database, settings, travel)
    clerk = await staff_headers("rsj.clerk.later", StaffRole.CLERK, department="rsj")
    admin = await staff_headers(
        "platform.admin.later", StaffRole.PLATFORM_ADMIN, department="xzsp", scope="openid admin"
    )
    queue = await client.get(f"/api/v1/review/campaigns/{campaign['id']}/cases", headers=clerk)
    assert queue.status_code == 200
    states = {item["state"] for item in queue.json()["items"]}
    assert states <= {"referred", "due"}
    assert len(queue.json()["items"]) == done["referred"] + done["invited"] - 1
    assert await payment_status("deceased_pensioner") == "paying"
    assert await payment_status("silent_pensioner") == "paying"

    # The clerk confirms the deceased's suspension: a durable instruction stops the pension.
    confirmed = await client.post(
        f"/api/v1/review/campaigns/{campaign['id']}/suspensions",
        json={"case_ids": [referred["id"]], "reason": "死亡、火化、户籍注销记录一致"},
        headers=clerk,
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["count"] == 1
    assert await payment_status("deceased_pensioner") == "paying"  # not before the job runs
    await drain(database, settings)
    assert await payment_status("deceased_pensioner") == "suspended"
    stopped = await case_of(client, clerk, campaign["id"], "deceased_pensioner")
    assert (stopped["state"], stopped["payment_status"]) == ("suspended", "suspended")

    # Confirming it again is refused (nothing twice); a clerk's finding restores payment.
    again = await client.post(
        f"/api/v1/review/campaigns/{campaign['id']}/suspensions",
        json={"case_ids": [referred["id"]], "reason": "重复"}, headers=clerk,
    )  # fmt: skip
    assert again.status_code == 409
    assert again.json()["code"] == "campaigns.case_not_suspendable"
    restored = await client.post(
        f"/api/v1/review/campaigns/{campaign['id']}/cases/{referred['id']}/restore",
        json={"reason": "户籍注销系误登，已更正"}, headers=clerk,
    )  # fmt: skip
    assert restored.status_code == 200, restored.text
    assert restored.json()["state"] == "restored"
    await drain(database, settings)
    assert await payment_status("deceased_pensioner") == "paying"
    figures = (await progress(client, admin, campaign["id"]))["progress"]
    assert figures["suspended"] == 0
    assert figures["restored"] == 1


async def test_a_face_verification_after_suspension_restores_payment(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    admin: Headers,
    clerk: Headers,
    sign_in: SignIn,
    travel: Travel,
    staff_headers: StaffHeaders,
) -> None:
    campaign = await start(client, admin, warning_days=30)
    await drain(database, settings)
    await _after_warning(campaign, database, settings, travel)
    clerk = await staff_headers("rsj.clerk.later", StaffRole.CLERK, department="rsj")
    due = await case_of(client, clerk, campaign["id"], "silent_pensioner")
    assert due["state"] == "due"
    confirmed = await client.post(
        f"/api/v1/review/campaigns/{campaign['id']}/suspensions",
        json={"case_ids": [due["id"]], "reason": "告警期满未认证"}, headers=clerk,
    )  # fmt: skip
    assert confirmed.status_code == 200, confirmed.text
    await drain(database, settings)
    assert await payment_status("silent_pensioner") == "suspended"

    await sign_in("silent_pensioner", face=True)
    await drain(database, settings)
    assert await payment_status("silent_pensioner") == "paying"
    case = await case_of(client, clerk, campaign["id"], "silent_pensioner")
    assert (case["state"], case["payment_status"]) == ("restored", "paying")


async def test_pause_defers_batches_and_resume_finishes_them(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Headers,
    world: None,
) -> None:  # fmt: skip
    campaign = await start(client, admin)
    paused = await client.post(f"/api/v1/admin/campaigns/{campaign['id']}/pause", headers=admin)
    assert paused.status_code == 200
    assert paused.json()["status"] == "paused"
    twice = await client.post(f"/api/v1/admin/campaigns/{campaign['id']}/pause", headers=admin)
    assert twice.status_code == 409
    assert twice.json()["code"] == "campaigns.not_running"
    await drain(database, settings)
    held = await progress(client, admin, campaign["id"])
    assert held["status"] == "paused"
    assert held["progress"]["batches_done"] == 0
    assert held["progress"]["done"] == 0

    resumed = await client.post(f"/api/v1/admin/campaigns/{campaign['id']}/resume", headers=admin)
    assert resumed.status_code == 200
    assert resumed.json()["status"] == "running"
    await drain(database, settings)
    finished = await progress(client, admin, campaign["id"])
    assert finished["status"] == "completed"
    assert finished["progress"]["batches_done"] == 3
    async with database.session() as session:
        cases = await session.scalar(
            select(func.count())
            .select_from(CampaignCase)
            .where(CampaignCase.campaign_id == uuid.UUID(campaign["id"]))
        )
    assert cases == finished["progress"]["done"]
    not_paused = await client.post(
        f"/api/v1/admin/campaigns/{campaign['id']}/resume", headers=admin
    )
    assert not_paused.status_code == 409


async def test_a_batch_that_runs_again_repeats_nothing_and_the_database_forbids_a_second_case(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Headers,
    world: None,
) -> None:  # fmt: skip
    campaign = await start(client, admin)
    await drain(database, settings)
    before = await progress(client, admin, campaign["id"])

    async def counts() -> tuple[int, int]:
        async with database.session() as session:
            cases = await session.scalar(select(func.count()).select_from(CampaignCase))
            reads = await session.scalar(
                select(func.count())
                .select_from(DataAccessRecord)
                .where(
                    DataAccessRecord.purpose == f"pension-qualification-campaign:{campaign['id']}"
                )
            )
        return int(cases or 0), int(reads or 0)

    first = await counts()
    assert first[0] == first[1] == before["progress"]["done"]
    # Redelivered jobs (a worker killed after its commit): every batch runs again.
    async with database.session() as session:
        for number in range(3):
            await jobs.enqueue(
                session, "campaigns.batch", {"campaign_id": campaign["id"], "batch": number}
            )
    assert await Worker(database, settings, worker_id="again").run_once() == 3
    assert await counts() == first
    assert (await progress(client, admin, campaign["id"]))["progress"] == before["progress"]

    async with database.session() as session:
        existing = (await session.scalars(select(CampaignCase).limit(1))).one()
        twin: dict[str, Any] = {
            c.key: getattr(existing, c.key) for c in CampaignCase.__mapper__.column_attrs
        }
        twin["id"] = None
    twin.pop("id")

    async def insert_twin() -> None:
        async with database.session() as session:
            session.add(CampaignCase(**twin))
            await session.flush()

    with pytest.raises(IntegrityError):
        await insert_twin()


async def test_one_data_access_record_per_person_and_campaign_listing_the_datasets(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Headers,
    sign_in: SignIn,
) -> None:  # fmt: skip
    headers = await sign_in("active_pensioner")
    campaign = await start(client, admin)
    await drain(database, settings)
    log = await client.get("/api/v1/me/data-access-log", headers=headers, params={"limit": 100})
    assert log.status_code == 200, log.text
    mine = [
        item for item in log.json()["items"]
        if item["purpose"] == f"pension-qualification-campaign:{campaign['id']}"
    ]  # fmt: skip
    assert len(mine) == 1
    assert set(mine[0]["datasets"]) == FEEDS
    assert mine[0]["actor_type"] == "system"
    assert mine[0]["case_id"] == campaign["id"]


async def test_only_platform_admins_run_campaigns_and_only_pension_clerks_decide(
    client: httpx.AsyncClient,
    admin: Headers,
    staff_headers: StaffHeaders,
    clerk: Headers,
    sign_in: SignIn,
) -> None:
    citizen = await sign_in("active_pensioner")
    partner = await client_credentials_headers(client, admin, {
        "name": "养老服务合作方", "kind": "partner", "scopes": ["webhooks"],
    })  # fmt: skip
    campaign = await start(client, admin)
    for headers in (citizen, clerk, partner):
        for method, path in (
            ("GET", "/api/v1/admin/campaigns"),
            ("POST", "/api/v1/admin/campaigns"),
            ("GET", f"/api/v1/admin/campaigns/{campaign['id']}"),
            ("POST", f"/api/v1/admin/campaigns/{campaign['id']}/pause"),
        ):
            answer = await client.request(method, path, headers=headers, json={})
            assert answer.status_code == 403, (method, path, answer.text)
    anonymous = await client.get("/api/v1/admin/campaigns")
    assert anonymous.status_code == 401
    # A citizen is no clerk; another department's clerk finds no campaign.
    cases = f"/api/v1/review/campaigns/{campaign['id']}/cases"
    assert (await client.get(cases, headers=citizen)).status_code == 403
    assert (await client.get(cases, headers=partner)).status_code == 403
    other = await staff_headers("gjj.campaign.clerk", StaffRole.CLERK, department="gjj")
    assert (await client.get(cases, headers=other)).status_code == 404
    assert (await client.get(cases, headers=clerk)).status_code == 200
    unknown = await client.get(
        "/api/v1/admin/campaigns/00000000-0000-0000-0000-000000000000", headers=admin
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "campaigns.not_found"
    listed = await client.get("/api/v1/admin/campaigns", headers=admin)
    assert [item["id"] for item in listed.json()] == [campaign["id"]]


async def test_bad_input_is_a_problem_not_a_crash(
    client: httpx.AsyncClient, admin: Headers, world: None
) -> None:
    kind = await client.post("/api/v1/admin/campaigns", json={"kind": "nonsense"}, headers=admin)
    assert kind.status_code == 422
    assert kind.json()["code"] == "campaigns.kind_unknown"
    beyond = await client.post(
        "/api/v1/admin/campaigns", json={"pilot": [{"start": 0, "end": 10**9}]},
        headers={**admin, "Accept-Language": "en"},
    )  # fmt: skip
    assert beyond.status_code == 422
    assert beyond.json()["code"] == "campaigns.pilot_out_of_roster"
    assert "within" in beyond.json()["detail"]
    unknown_case = await client.post(
        f"/api/v1/review/campaigns/{PERSONAS['active_pensioner'].index}/suspensions", json={}
    )
    assert unknown_case.status_code in (401, 422)


async def test_a_bulk_confirmation_with_one_case_outside_the_queue_suspends_nothing(
    client: httpx.AsyncClient, database: Database, settings: Settings, admin: Headers,
    clerk: Headers, world: None,
) -> None:  # fmt: skip
    campaign = await start(client, admin)
    await drain(database, settings)
    referred = await case_of(client, clerk, campaign["id"], "deceased_pensioner")
    qualified = await case_of(client, clerk, campaign["id"], "active_pensioner")
    mixed = await client.post(
        f"/api/v1/review/campaigns/{campaign['id']}/suspensions",
        json={"case_ids": [referred["id"], qualified["id"]], "reason": "批量确认"},
        headers={**clerk, "Accept-Language": "en"},
    )
    assert mixed.status_code == 409
    assert mixed.json()["code"] == "campaigns.case_not_suspendable"
    assert mixed.json()["case_ids"] == [qualified["id"]]
    assert mixed.json()["title"] == "The case is not awaiting a clerk's decision on suspension"
    still = await case_of(client, clerk, campaign["id"], "deceased_pensioner")
    assert still["state"] == "referred"
    await drain(database, settings)
    assert await payment_status("deceased_pensioner") == "paying"
    bad_cursor = await client.get(
        f"/api/v1/review/campaigns/{campaign['id']}/cases", params={"cursor": "nonsense"},
        headers=clerk,
    )  # fmt: skip
    assert bad_cursor.status_code == 422
    other_campaign = await client.post(
        f"/api/v1/review/campaigns/{uuid.uuid4()}/suspensions",
        json={"case_ids": [referred["id"]], "reason": "x"}, headers=clerk,
    )  # fmt: skip
    assert other_campaign.status_code == 404


async def test_the_command_line_runs_a_pilot_with_a_progress_bar(
    database_url: str,
    database: Database,
    world: None,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("QE_DATABASE_URL", database_url)
    from app.cli import main
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        ranges = [f"--pilot={r['start']}:{r['end']}" for r in pilot()]
        argv = ["campaigns", "run", "pension-qualification", *ranges, "--block-size", "100"]
        assert await asyncio.to_thread(main, argv) == 0
    finally:
        get_settings.cache_clear()
    out, err = capsys.readouterr()
    summary = json.loads(out)
    assert summary["status"] == "completed"
    assert summary["batches_done"] == summary["batches_total"] == 3
    assert summary["done"] == summary["silent"] + summary["invited"] + summary["referred"]
    assert "[##############################] 3/3 batches" in err
