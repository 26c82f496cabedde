"""`kill -9` of a worker process in the middle of a house sale's saga: after another worker
takes over, every step ends exactly once — one completion per step (the database's primary
key), one transfer per utility at the utility (its write is idempotent by key), one new
certificate for the buyer. Real processes: the department simulator and two `qingeban worker`s
on PostgreSQL, the platform's API in the test."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from bundle_support import ADMIN, UTILITIES, file_sale
from persona_support import PERSONAS, SignIn
from redis_support import free_port
from sqlalchemy import func, select

from app.certificates.models import License
from app.config import Settings
from app.db import Database
from app.jobs.models import Job
from app.services.bundles.models import BundleCase, CaseStep, StepCompletion
from app.services.bundles.saga import RUN_STEP_JOB

ROOT = Path(__file__).resolve().parents[2]
DEPARTMENTS = ("bdc", *UTILITIES)


@contextmanager
def _process(args: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=env, stdout=output,
            stderr=output,
        )  # fmt: skip
        try:
            yield process
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=20)


async def _until(what: str, check: object, log: Path, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if await check():  # type: ignore[operator]
            return
        await asyncio.sleep(0.05)
    tail = await asyncio.to_thread(log.read_text)
    raise AssertionError(f"never {what}: {tail[-3000:]}")


@pytest.fixture
def postgresql(database: Database, database_url: str) -> str:
    if not database.is_postgresql:
        pytest.skip("several worker processes share PostgreSQL; SQLite has one in-process worker")
    return database_url


async def test_kill_9_mid_saga_then_every_step_ends_exactly_once(
    postgresql: str, client: httpx.AsyncClient, sign_in: SignIn, database: Database,
    settings: Settings, tmp_path: Path,
) -> None:  # fmt: skip
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {**os.environ, "QE_DATABASE_URL": postgresql, "QE_ENV": "test",
           "QE_INPROCESS_WORKER": "false", "QE_SECRET_KEY": settings.secret_key.get_secret_value(),
           "QE_JOB_LEASE_SECONDS": "3", "QE_JOB_POLL_SECONDS": "0.1",
           "QE_DEPARTMENT_URLS": json.dumps(dict.fromkeys(DEPARTMENTS, base))}  # fmt: skip
    simulator_log = tmp_path / "simulator.log"
    with _process(["simulator", "--port", str(port)], env, simulator_log):
        async with httpx.AsyncClient(base_url=base, headers=ADMIN, timeout=5) as sim:

            async def up() -> bool:
                try:
                    return (await sim.get("/_admin/faults")).status_code == 200
                except httpx.HTTPError:
                    return False

            await _until("the simulator answered", up, simulator_log)
            # The gas company is slow: its step is surely in flight when the worker dies.
            slow = await sim.put("/_admin/faults/gas", json={"latency_ms": 1200})
            assert slow.status_code == 200, slow.text

            seller, buyer = await sign_in("seller"), await sign_in("buyer")
            case = (await file_sale(client, seller)).json()
            confirmed = await client.post(
                f"/api/v1/bundles/applications/{case['id']}/confirm", headers=buyer
            )
            assert confirmed.status_code == 200, confirmed.text

            async def gas_in_flight() -> bool:
                async with database.session(write=False) as session:
                    gas = await session.scalar(select(CaseStep.id).where(
                        CaseStep.case_id == BundleCase.id, BundleCase.number == case["number"],
                        CaseStep.key == "gas"))  # fmt: skip
                    jobs = (await session.scalars(select(Job).where(
                        Job.kind == RUN_STEP_JOB, Job.state == "running"))).all()  # fmt: skip
                return any(job.payload["step_id"] == str(gas) for job in jobs)

            first_log = tmp_path / "worker-1.log"
            with _process(["worker"], env, first_log) as first:
                await _until("the gas step ran", gas_in_flight, first_log)
                first.kill()  # SIGKILL: no cleanup, its transaction and lease left behind
                first.wait(timeout=20)
            async with database.session(write=False) as session:
                done_before = await session.scalar(select(func.count()).select_from(StepCompletion))
            assert done_before is not None
            assert done_before < 8, "the worker died mid-saga"

            await sim.delete("/_admin/faults")
            second_log = tmp_path / "worker-2.log"
            with _process(["worker"], env, second_log):

                async def completed() -> bool:
                    async with database.session(write=False) as session:
                        status = await session.scalar(
                            select(BundleCase.status).where(BundleCase.number == case["number"])
                        )
                    return status == "completed"

                await _until("the case completed", completed, second_log)

            transfers = (await sim.get("/_admin/transfers")).json()
    async with database.session(write=False) as session:
        completions = await session.scalar(select(func.count()).select_from(StepCompletion))
        statuses = (await session.scalars(select(CaseStep.status))).all()
        certificates = await session.scalar(
            select(func.count())
            .select_from(License)
            .where(
                License.type_code == "property-certificate",
                License.holder_name == PERSONAS["buyer"].name,
            )
        )
    assert completions == 8
    assert sorted(statuses) == ["done"] * 8
    assert sorted(t["utility"] for t in transfers) == sorted(UTILITIES), "one transfer each"
    assert {t["new_holder_id_number_masked"][-4:] for t in transfers} == {
        PERSONAS["buyer"].id_number[-4:]
    }
    assert certificates == 1
