"""One request id from the API into the work it leaves behind: the jobs a request queues keep
its X-Request-ID, the admin API shows it, and the worker's lines about them carry it."""

from __future__ import annotations

import logging

import httpx
import pytest
from persona_support import SignIn

from app.burden import apply_as_prefilled
from app.config import Settings
from app.db import Database
from app.jobs.worker import Worker

TRACE = "trace-rent-20261124-1"


async def test_a_requests_jobs_carry_its_id_into_the_worker_logs(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    admin_headers: dict[str, str],
    database: Database,
    settings: Settings,
    caplog: pytest.LogCaptureFixture,
) -> None:
    renter = await sign_in("renter", face=True)
    _, filed = await apply_as_prefilled(client, {**renter, "X-Request-ID": TRACE},
                                        "gjj.withdraw.rent")  # fmt: skip
    assert filed is not None
    assert filed.status_code == 201, filed.text
    queued = (await client.get("/api/v1/admin/jobs", headers=admin_headers)).json()["items"]
    mine = [job for job in queued if job["request_id"] == TRACE]
    assert mine, queued
    assert {job["kind"] for job in mine} >= {"applications.hpf_disbursement"}

    with caplog.at_level(logging.INFO, logger="qingeban.jobs"):
        await Worker(database, settings, worker_id="tests").run_once()
    finished = [r for r in caplog.records if r.getMessage().startswith("job ")]
    ours = [r for r in finished if getattr(r, "job_id", None) in {j["id"] for j in mine}]
    assert ours, [r.__dict__ for r in finished]
    assert {getattr(r, "request_id", None) for r in ours} == {TRACE}
