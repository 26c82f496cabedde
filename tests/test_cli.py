"""The `qingeban` command line, run as a user would run it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select

from app.cli import main
from app.config import get_settings
from app.db import Database
from app.jobs import service as jobs
from app.jobs.models import Job
from app.kit.resident_id import is_valid_resident_id

COMMITTED_OPENAPI = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


@pytest.fixture
def fresh_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """QE_DATABASE_URL pointing at an empty SQLite file, for commands that read the settings."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("QE_DATABASE_URL", url)
    # Set (not deleted) so that teardown restores it: `seed --demo` writes QE_DEMO=true into the
    # environment, which would otherwise leak into every later test of this process.
    monkeypatch.setenv("QE_DEMO", "false")
    get_settings.cache_clear()
    yield url
    get_settings.cache_clear()


def test_seed_twice_then_migrate_and_verify_the_audit_chain(
    fresh_sqlite: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["seed"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["tables"]["services"]["inserted"] >= 7000

    assert main(["seed"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["tables"]["services"] == {
        "inserted": 0,
        "updated": 0,
        "unchanged": first["tables"]["services"]["inserted"],
        "pruned": 0,
    }
    # `migrate` (the deployment's init step) seeds too: on a seeded database it changes nothing.
    assert main(["migrate"]) == 0
    assert main(["seed"]) == 0
    assert json.loads(capsys.readouterr().out)["tables"] == again["tables"]

    assert main(["audit", "verify"]) == 0
    assert json.loads(capsys.readouterr().out)["ok"] is True

    # Search's popularity counts: nothing applied for yet (tests/catalog counts a real one).
    assert main(["services", "popularity"]) == 0
    assert json.loads(capsys.readouterr().out) == {"services_applied_for": 0}


def test_seed_demo_gives_personas_and_staff_accounts_once(
    fresh_sqlite: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    on_world_day: None,
) -> None:
    assert main(["seed", "--demo"]) == 0
    first = json.loads(capsys.readouterr().out)["demo"]
    assert first == {"person_accounts_created": 23, "staff_created": 5, "licenses_issued": 32}
    assert main(["seed", "--demo"]) == 0
    assert json.loads(capsys.readouterr().out)["demo"] == {
        "person_accounts_created": 0, "staff_created": 0, "licenses_issued": 0}  # fmt: skip

    async def renter_logs_in() -> dict[str, object]:
        from app.main import create_app

        settings = get_settings()
        database = Database.from_url(fresh_sqlite)
        app = create_app(settings, database=database)
        try:
            async with (
                app.router.lifespan_context(app),
                httpx.AsyncClient(
                    transport=httpx.ASGITransport(app=app), base_url="http://test"
                ) as http,
            ):
                renter = {"method": "password", "login": "19965111634", "password": "Demo@2026"}
                login = await http.post("/api/v1/auth/login", json=renter)
                bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
                me: dict[str, object] = (await http.get("/api/v1/me", headers=bearer)).json()
                return me
        finally:
            await database.dispose()

    me = asyncio.run(renter_logs_in())
    assert (me["name"], me["realname_level"]) == ("王晓明", "L2")
    assert me["realname_source"] == "gaj/identity-verification"


def test_openapi_command_writes_the_committed_document(tmp_path: Path) -> None:
    target = tmp_path / "openapi.json"
    assert main(["openapi", "--output", str(target)]) == 0
    assert json.loads(target.read_text(encoding="utf-8")) == json.loads(
        COMMITTED_OPENAPI.read_text(encoding="utf-8")
    )


def test_worker_process_runs_jobs_and_stops_on_sigterm(database_url: str) -> None:
    async def enqueue() -> None:
        database = Database.from_url(database_url)
        async with database.session() as session:
            # No handler exists for this kind: the worker buries it at once, which proves a
            # separate process claimed and processed it.
            await jobs.enqueue(session, "cli.test.unknown-kind", {"n": 1})
        await database.dispose()

    async def state() -> str:
        database = Database.from_url(database_url)
        async with database.session(write=False) as session:
            value = await session.scalar(select(Job.state))
        await database.dispose()
        return str(value)

    asyncio.run(enqueue())
    env = {**os.environ, "QE_DATABASE_URL": database_url, "QE_JOB_POLL_SECONDS": "0.1"}
    worker = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], env=env)
    try:
        deadline = time.monotonic() + 30
        while asyncio.run(state()) != "dead" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert asyncio.run(state()) == "dead"
    finally:
        worker.send_signal(signal.SIGTERM)
        code = worker.wait(timeout=15)
    assert code == 0


def test_demo_personas_lists_logins_and_scenarios(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["demo", "personas"]) == 0
    personas = json.loads(capsys.readouterr().out)
    assert len(personas) >= 10
    for persona in personas:
        assert persona["login"].isdigit()
        assert len(persona["login"]) == 11
        assert is_valid_resident_id(persona["id_number"])
        assert persona["password"]
        assert persona["scenarios"]
    assert len({p["id_number"] for p in personas}) == len(personas)
    assert any(p.get("enterprise") for p in personas)


def test_simulator_command_serves_the_departments_over_tcp() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "app.cli", "simulator", "--port", str(port)],
        env={**os.environ, "QE_SIM_SIZE": "1000"},
    )
    headers = {
        "Authorization": "Bearer qingeban-demo-caller-token",
        "X-Caller-System": "qingeban",
        "X-End-User": "cli-test",
        "X-Purpose": "identity-verification",
    }
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    f"http://127.0.0.1:{port}/gaj/datasets", headers=headers, timeout=2
                )
                break
            except httpx.TransportError:
                assert time.monotonic() < deadline, "the simulator did not start"
                time.sleep(0.2)
        assert response.status_code == 200
        assert {d["code"] for d in response.json()["datasets"]} >= {"identity-verification"}
        assert httpx.get(f"http://127.0.0.1:{port}/gaj/datasets", timeout=2).status_code == 401
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=15)
