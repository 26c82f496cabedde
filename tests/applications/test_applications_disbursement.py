"""An approved housing-fund withdrawal is paid out: the instruction is a durable job that reaches
the fund centre's system once, after the approval committed, and is retried when the centre is
down."""

from __future__ import annotations

import httpx
from application_forms import rent_withdrawal
from jobs_support import APPLICATION_JOBS
from persona_support import PERSONAS, SignIn, materials_for
from service_support import department_record
from sqlalchemy import select

from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import get_exchange
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN
from app.audit.models import AuditRecord
from app.config import Settings
from app.db import Database
from app.jobs.models import Job
from app.jobs.worker import Worker
from app.services.applications.outcomes import HPF_DISBURSEMENT_JOB

ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}


async def _receipt(number: str) -> httpx.Response:
    """The fund centre's receipt for a case, read as the platform reads the centre."""
    return await department_record(f"/gjj/disbursements/{number}")


async def _job(database: Database, number: str) -> Job:
    async with database.session(write=False) as session:
        jobs = (await session.scalars(select(Job).where(Job.kind == HPF_DISBURSEMENT_JOB))).all()
    [job] = [job for job in jobs if job.payload["number"] == number]
    return job


async def test_the_approved_withdrawal_reaches_the_fund_centre_once_and_survives_its_outage(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings
) -> None:
    headers = await sign_in("renter", face=True)
    body = {
        "service_code": "gjj.withdraw.rent", "form": rent_withdrawal(PERSONAS["renter"]),
        "materials": await materials_for(client, headers, "gjj.withdraw.rent"),
    }  # fmt: skip
    case = (await client.post("/api/v1/applications", headers=headers, json=body)).json()
    assert case["status"] == "approved", case
    number = case["number"]
    assert (await _receipt(number)).status_code == 404, "nothing is sent before the job runs"

    # The centre is down: the attempt fails, the job waits for its retry, nothing is lost.
    http = get_exchange().client.http
    down = await http.put(f"{SIMULATOR_BASE_URL}/_admin/faults/gjj", headers=ADMIN,
                          json={"error_rate": 1.0})  # fmt: skip
    assert down.status_code == 200, down.text
    worker = Worker(database, settings, backoff_base=0.0, backoff_cap=0.0, kinds=APPLICATION_JOBS)
    assert await worker.run_once() == 1
    failed = await _job(database, number)
    assert (failed.state, failed.attempts) == ("queued", 1)
    assert "gjj" in (failed.last_error or "")

    await http.delete(f"{SIMULATOR_BASE_URL}/_admin/faults", headers=ADMIN)
    assert await worker.run_once() == 1
    assert (await _job(database, number)).state == "done"
    receipt = (await _receipt(number)).json()
    assert (receipt["application_number"], receipt["status"]) == (number, "accepted")
    async with database.session(write=False) as session:
        audited = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.action == "hpf.disbursement.instructed")
            )
        ).all()
    assert [r.subject_id for r in audited] == [case["id"]], "instructed once, audited once"
