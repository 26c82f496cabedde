"""告知承诺制 through the API: the salon's renewal stands on its word that the premises are
unchanged; the approval records the commitment, and the health inspectors' record checks it a
month later — held, the timeline says so; contradicted, the case goes back to a clerk."""

from __future__ import annotations

from typing import Any

import httpx
from jobs_support import APPLICATION_JOBS
from persona_support import PERSONAS, SignIn
from service_support import apply
from sqlalchemy import select

from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import get_exchange
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.services.applications.commitments import COMMITMENT_CHECK_JOB

HYGIENE = "wjw.hygiene-permit.renew"


async def _renewed(client: httpx.AsyncClient, sign_in: SignIn) -> tuple[dict[str, Any], Any]:
    salon = await sign_in("hygiene", enterprise=True)
    case = (await apply(client, salon, HYGIENE)).json()
    assert case["status"] == "approved", case["decision"]
    return case, salon


async def _check(database: Database, settings: Settings) -> Job:
    assert (
        await Worker(
            database, settings, backoff_base=0.0, backoff_cap=0.0, kinds=APPLICATION_JOBS
        ).run_once()
        == 1
    )
    async with database.session(write=False) as session:
        [job] = (await session.scalars(select(Job).where(Job.kind == COMMITMENT_CHECK_JOB))).all()
    return job


async def test_the_commitment_is_recorded_and_checked_a_month_later(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings,
    travel: Any,
) -> None:  # fmt: skip
    case, _ = await _renewed(client, sign_in)
    [commitment] = case["decision"]["commitments"]
    assert commitment["criterion"] == "conditions_unchanged"
    assert "国办发〔2020〕42号" in commitment["legal_reference"]
    assert commitment["declared"] == {"form.conditions_unchanged": True}
    assert "30 日内核查" in case["timeline"][-1]["note"]
    worker = Worker(database, settings, backoff_base=0.0, backoff_cap=0.0, kinds=APPLICATION_JOBS)
    assert await worker.run_once() == 0, "not due before the month is out"
    travel("2026-12-25T09:00:00+08:00")
    job = await _check(database, settings)
    assert job.state == "done", job.last_error
    salon = await sign_in("hygiene", enterprise=True)
    seen = (await client.get(f"/api/v1/applications/{case['id']}", headers=salon)).json()
    assert (seen["status"], seen["timeline"][-1]["note"]) == ("approved", "承诺事项核查无误")


async def test_a_broken_commitment_puts_the_case_before_a_clerk(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings,
    staff_headers: Any, travel: Any,
) -> None:  # fmt: skip
    case, _ = await _renewed(client, sign_in)
    uscc = PERSONAS["hygiene"].enterprise_uscc
    inspected = await get_exchange().client.http.put(
        f"{SIMULATOR_BASE_URL}/_admin/inspections/{uscc}", json={"conditions_unchanged": False},
        headers={"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"},
    )  # fmt: skip
    assert inspected.status_code == 200, inspected.text
    travel("2026-12-25T09:00:00+08:00")
    job = await _check(database, settings)
    assert job.state == "done", job.last_error
    salon = await sign_in("hygiene", enterprise=True)
    seen = (await client.get(f"/api/v1/applications/{case['id']}", headers=salon)).json()
    assert seen["status"] == "commitment_breached"
    assert "承诺事项核查不符" in seen["timeline"][-1]["note"]
    clerk = await staff_headers(
        "xzsp.check", StaffRole.CLERK, department=seen["service"]["department"]
    )
    queue = (await client.get("/api/v1/review/cases", headers=clerk)).json()["items"]
    assert [item["number"] for item in queue] == [case["number"]]
