"""The exchange over the in-process simulator, for the adapters' tests: faults and request
counts through the simulator's admin API, and a persona to read about."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from app.adapters import access_log
from app.adapters.client import DepartmentClient, Subject
from app.adapters.registry import SIMULATOR_BASE_URL, DepartmentRegistry
from app.adapters.service import Actor, Exchange
from app.adapters.simulator.endpoints import create_simulator_app
from app.adapters.simulator.personas import Persona, build_personas
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN, SimulatorSettings
from app.config import Settings

ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
CLERK = Actor("staff", "clerk-7")
# What the platform sends every department: its caller token and the X-Road-style headers.
CALLER = {
    "Authorization": "Bearer qingeban-demo-caller-token",
    "X-Caller-System": "qingeban",
    "X-End-User": "clerk-0042",
    "X-Purpose": "review",
}


@asynccontextmanager
async def simulator_http(app: Any = None) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the simulator's ASGI app (a fresh one by default), as the platform."""
    transport = httpx.ASGITransport(app=app or create_simulator_app(SimulatorSettings()))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://sim", headers=CALLER
    ) as client:
        yield client


class Sim:
    """The exchange under test, its simulator and the simulator's admin API."""

    def __init__(self, exchange: Exchange, personas: dict[str, Persona]) -> None:
        self.exchange = exchange
        self.personas = personas

    async def fault(self, department: str, **fault: Any) -> None:
        http = self.exchange.client.http
        url = f"{SIMULATOR_BASE_URL}/_admin/faults/{department}"
        response = await http.put(url, json=fault, headers=ADMIN)
        assert response.status_code == 200, response.text

    async def requests_to(self, department: str) -> int:
        http = self.exchange.client.http
        response = await http.get(f"{SIMULATOR_BASE_URL}/_admin/stats", headers=ADMIN)
        stats: dict[str, Any] = response.json()["departments"]
        return int(stats.get(department, {}).get("total", 0))

    def renter(self) -> Subject:
        person = self.personas["renter"]
        return Subject.person(person.id_number, name=person.name)


@asynccontextmanager
async def simulated(settings: Settings) -> AsyncIterator[Sim]:
    """An exchange on a client of its own over a fresh in-process simulator; its faults are
    cleared and the client closed afterwards."""
    app = create_simulator_app()
    personas = {p.key: p for p in build_personas(app.state.simulator.population)[0]}
    client = DepartmentClient(DepartmentRegistry(simulator_app=app))
    exchange = Exchange(blind_index=access_log.blind_index_from_settings(settings), client=client)
    try:
        yield Sim(exchange, personas)
    finally:
        await client.http.delete(f"{SIMULATOR_BASE_URL}/_admin/faults", headers=ADMIN)
        await client.aclose()
