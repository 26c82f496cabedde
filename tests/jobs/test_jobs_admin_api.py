"""The admin job API: dead jobs are visible and can be retried; errors are problem+json."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.jobs import registry, service
from app.jobs.worker import Worker

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _as_platform_admin(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    """These tests call the admin API as a platform admin."""
    client.headers.update(admin_headers)


@pytest.fixture
def flaky_kind() -> Iterator[dict[str, bool]]:
    """A handler that fails while `switch["fail"]` is set; unregistered afterwards."""
    switch = {"fail": True}

    @registry.job_handler("test.flaky")
    async def handle(session: AsyncSession, payload: dict[str, Any]) -> None:
        if switch["fail"]:
            raise ConnectionError("department system timed out")

    yield switch
    registry.unregister("test.flaky")


async def enqueue(database: Database, kind: str, **kwargs: Any) -> str:
    async with database.session() as session:
        job = await service.enqueue(session, kind, {"secret": "370202199001011234"}, **kwargs)
    return str(job.id)


async def read_job(client: httpx.AsyncClient, job_id: str) -> dict[str, Any]:
    response = await client.get("/api/v1/admin/jobs", params={"limit": 100})
    assert response.status_code == 200
    (job,) = [item for item in response.json()["items"] if item["id"] == job_id]
    return job


async def test_failing_job_backs_off_dies_and_is_retried_by_an_admin(
    client: httpx.AsyncClient, database: Database, settings: Settings, flaky_kind: dict[str, bool]
) -> None:
    base = 0.2
    worker = Worker(database, settings, backoff_base=base)
    job_id = await enqueue(database, "test.flaky", max_attempts=3)

    for attempt in (1, 2, 3):
        assert await worker.run_once() == 1
        assert await worker.run_once() == 0  # not due again yet (nor ever, once dead)
        job = await read_job(client, job_id)
        assert job["attempts"] == attempt
        assert job["last_error"] == "ConnectionError: department system timed out"
        if attempt < 3:
            assert job["state"] == "queued"
            delay = (
                datetime.fromisoformat(job["run_after"]) - datetime.fromisoformat(job["updated_at"])
            ).total_seconds()
            nominal = base * 2 ** (attempt - 1)
            assert 0.5 * nominal - 0.001 <= delay <= 1.5 * nominal + 0.001
            await asyncio.sleep(delay + 0.01)

    response = await client.get("/api/v1/admin/jobs", params={"state": "dead"})
    assert response.status_code == 200
    (dead,) = response.json()["items"]
    assert dead["id"] == job_id
    assert dead["state"] == "dead"
    assert dead["finished_at"] is not None
    assert "payload" not in dead
    assert "370202199001011234" not in response.text

    response = await client.post(f"/api/v1/admin/jobs/{job_id}/retry")
    assert response.status_code == 200
    retried = response.json()
    assert (retried["state"], retried["attempts"], retried["max_attempts"]) == ("queued", 0, 3)
    assert retried["finished_at"] is None
    assert (await client.get("/api/v1/admin/jobs", params={"state": "dead"})).json()["items"] == []

    flaky_kind["fail"] = False
    assert await worker.run_once() == 1
    job = await read_job(client, job_id)
    assert (job["state"], job["attempts"]) == ("done", 1)


async def test_list_is_paginated_newest_first_and_filtered(
    client: httpx.AsyncClient, database: Database
) -> None:
    ids = [await enqueue(database, "test.page") for _ in range(5)]

    seen: list[str] = []
    cursor: str | None = None
    for _ in range(3):
        params: dict[str, Any] = {"limit": 2, "state": "queued"}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get("/api/v1/admin/jobs", params=params)).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
    assert seen == list(reversed(ids))
    assert cursor is None

    running = await client.get("/api/v1/admin/jobs", params={"state": "running"})
    assert running.json() == {"items": [], "next_cursor": None}


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"state": "bogus"}, "request.invalid"),
        ({"limit": 0}, "request.invalid"),
        ({"limit": 101}, "request.invalid"),
        ({"cursor": "not-a-cursor"}, "pagination.invalid_cursor"),
    ],
)
async def test_bad_list_parameters_are_422_problems(
    client: httpx.AsyncClient, params: dict[str, Any], code: str
) -> None:
    response = await client.get("/api/v1/admin/jobs", params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == code


async def test_retry_of_unknown_job_is_404(client: httpx.AsyncClient) -> None:
    response = await client.post(f"/api/v1/admin/jobs/{uuid.uuid4()}/retry")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith(PROBLEM)
    assert response.json()["code"] == "jobs.not_found"


async def test_retry_of_a_job_that_is_not_dead_is_409(
    client: httpx.AsyncClient, database: Database
) -> None:
    job_id = await enqueue(database, "test.not_dead")
    response = await client.post(
        f"/api/v1/admin/jobs/{job_id}/retry", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 409
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["code"] == "jobs.not_dead"
    assert body["state"] == "queued"
    assert (await read_job(client, job_id))["state"] == "queued"


async def test_metrics_report_jobs_by_state(client: httpx.AsyncClient, database: Database) -> None:
    await enqueue(database, "test.metrics")
    response = await client.get("/metrics")
    assert response.status_code == 200
    assert 'qingeban_jobs{state="queued"} 1.0' in response.text
    assert 'qingeban_jobs{state="dead"} 0.0' in response.text
