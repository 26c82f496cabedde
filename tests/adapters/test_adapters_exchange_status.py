"""The admin exchange status endpoint, on the process-wide exchange."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from app.adapters.client import Subject
from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import Actor, Unavailable, gather_facts, get_exchange, reset_exchange
from app.adapters.simulator.datasets import DEPARTMENTS
from app.adapters.simulator.personas import build_personas
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN

STATUS = "/api/v1/admin/exchange/status"
ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}


@pytest.fixture(autouse=True)
def fresh_exchange() -> Iterator[None]:
    reset_exchange()
    yield
    reset_exchange()


async def test_status_answers_per_department(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    response = await client.get(STATUS, headers=admin_headers)
    assert response.status_code == 200
    departments = {d["department"]: d for d in response.json()["departments"]}
    assert set(DEPARTMENTS) <= set(departments)
    gjj: dict[str, Any] = departments["gjj"]
    assert gjj["breaker"]["state"] == "closed"
    assert gjj["calls"] == 0
    assert gjj["p50_ms"] is None
    assert gjj["error_rate"] is None


async def test_status_shows_latency_and_an_open_breaker(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    exchange = get_exchange()
    http = exchange.client.http
    population = exchange.client.registry.simulator_app.state.simulator.population
    renter = next(p for p in build_personas(population)[0] if p.key == "renter")
    subject = Subject.person(renter.id_number)
    actor = Actor("staff", "clerk-1")
    await gather_facts(None, subject, [("gjj", "fund-account")], purpose="review", actor=actor)
    fault = {"error_rate": 1.0}
    response = await http.put(f"{SIMULATOR_BASE_URL}/_admin/faults/mzj", json=fault, headers=ADMIN)
    assert response.status_code == 200
    results = [
        await gather_facts(
            None, subject, [("mzj", "marriage-status")], purpose="review", actor=actor
        )
        for _ in range(4)
    ]
    assert results[-1][("mzj", "marriage-status")] == Unavailable("circuit_open")
    body = (await client.get(STATUS, headers=admin_headers)).json()
    departments = {d["department"]: d for d in body["departments"]}
    assert departments["mzj"]["breaker"]["state"] == "open"
    assert departments["mzj"]["breaker"]["retry_in_seconds"] > 0
    assert departments["mzj"]["error_rate"] == 1.0
    assert departments["gjj"]["calls"] == 1
    assert departments["gjj"]["error_rate"] == 0.0
    assert departments["gjj"]["p50_ms"] > 0
    assert departments["gjj"]["p95_ms"] > 0
    assert departments["gaj"]["breaker"]["state"] == "closed"
