"""Fault injection, statistics and the simulator as its own uvicorn server."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import AsyncIterator

import httpx
import pytest
import uvicorn
from exchange_support import CALLER, simulator_http

from app.adapters.simulator.endpoints import create_simulator_app
from app.adapters.simulator.settings import Fault, SimulatorSettings

ADMIN = {"Authorization": "Bearer qingeban-sim-admin"}
LOOKUP = "/ybj/datasets/medical-enrolment/lookup"
BODY = {"subject": {"id_number": "110101199001011234"}}


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    async with simulator_http() as client:
        yield client


async def put_fault(client: httpx.AsyncClient, dept: str, **fault: object) -> None:
    response = await client.put(f"/_admin/faults/{dept}", json=fault, headers=ADMIN)
    assert response.status_code == 200, response.text


async def test_admin_needs_its_token(sim: httpx.AsyncClient) -> None:
    assert (await sim.get("/_admin/faults")).status_code == 401
    assert (await sim.get("/_admin/faults", headers=ADMIN)).json() == {"faults": {}}


async def test_latency_is_observed(sim: httpx.AsyncClient) -> None:
    await put_fault(sim, "ybj", latency_ms=150)
    started = time.perf_counter()
    assert (await sim.post(LOOKUP, json=BODY)).status_code == 200
    assert time.perf_counter() - started >= 0.15
    # Other departments and the admin API are unaffected.
    started = time.perf_counter()
    assert (await sim.get("/gaj/datasets")).status_code == 200
    assert (await sim.get("/_admin/stats", headers=ADMIN)).status_code == 200
    assert time.perf_counter() - started < 0.15


async def test_error_rate_one_fails_every_request(sim: httpx.AsyncClient) -> None:
    await put_fault(sim, "ybj", error_rate=1.0)
    for _ in range(3):
        response = await sim.post(LOOKUP, json=BODY)
        assert response.status_code == 503
        assert response.json()["code"] == "simulator.injected_error"
    assert (await sim.delete("/_admin/faults", headers=ADMIN)).json() == {"faults": {}}
    assert (await sim.post(LOOKUP, json=BODY)).status_code == 200


async def test_hang_until_faults_cleared(sim: httpx.AsyncClient) -> None:
    await put_fault(sim, "ybj", hang=True)
    # ASGITransport ignores httpx timeouts; the caller's deadline is asyncio's here.
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(sim.post(LOOKUP, json=BODY), timeout=0.2)
    pending = asyncio.create_task(sim.post(LOOKUP, json=BODY))
    await asyncio.sleep(0.1)
    assert not pending.done()
    await sim.delete("/_admin/faults", headers=ADMIN)
    response = await asyncio.wait_for(pending, timeout=2)
    assert response.status_code == 200


async def test_faults_from_configuration() -> None:
    settings = SimulatorSettings(faults={"ybj": Fault(error_rate=1.0)})
    async with simulator_http(create_simulator_app(settings)) as c:
        assert (await c.post(LOOKUP, json=BODY)).status_code == 503
        assert "ybj" in (await c.get("/_admin/faults", headers=ADMIN)).json()["faults"]


def test_faults_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QE_SIM_FAULTS", '{"gjj": {"latency_ms": 100, "jitter_ms": 10}}')
    assert SimulatorSettings().faults["gjj"] == Fault(latency_ms=100, jitter_ms=10)


async def test_stats_count_requests(sim: httpx.AsyncClient) -> None:
    for _ in range(3):
        await sim.post(LOOKUP, json=BODY)
    await sim.post("/ybj/datasets/medical-claims/batch", json={"subjects": [BODY["subject"]]})
    stats = (await sim.get("/_admin/stats", headers=ADMIN)).json()
    assert stats["departments"]["ybj"]["datasets"] == {"medical-enrolment": 3, "medical-claims": 1}
    assert stats["departments"]["ybj"]["total"] == 4
    assert (await sim.delete("/_admin/stats", headers=ADMIN)).json()["departments"] == {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_real_server_over_tcp_with_reset() -> None:
    port = free_port()
    config = uvicorn.Config(create_simulator_app(), host="127.0.0.1", port=port, log_level="error")
    server = uvicorn.Server(config)
    serving = asyncio.create_task(server.serve())
    try:
        for _ in range(250):  # up to 5 s for the server to bind
            if server.started:
                break
            await asyncio.sleep(0.02)
        assert server.started
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient(base_url=base, headers=CALLER, timeout=2) as client:
            assert (await client.post(LOOKUP, json=BODY)).json()["found"] is False
            await put_fault(client, "ybj", reset_rate=1.0)
            with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
                await client.post(LOOKUP, json=BODY)
            await put_fault(client, "ybj", hang=True)
            with pytest.raises(httpx.ReadTimeout):
                await client.post(LOOKUP, json=BODY, timeout=0.3)
            await client.delete("/_admin/faults", headers=ADMIN)
            assert (await client.post(LOOKUP, json=BODY)).status_code == 200
            stats = (await client.get("/_admin/stats", headers=ADMIN)).json()
            assert stats["departments"]["ybj"]["total"] == 4
    finally:
        server.should_exit = True
        await serving
