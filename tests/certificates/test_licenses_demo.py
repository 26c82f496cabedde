"""The demo world's licenses: each persona's wallet holds what the scenarios need, agreeing
with what the simulated departments report."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import (
    DEMO_PASSWORD,
    HYGIENE_PERMIT_DAYS,
    KINDERGARTEN_LICENCE_DAYS,
    Persona,
    build_personas,
)
from app.adapters.simulator.population import Population
from app.certificates import service as certificates
from app.certificates.lifecycle import today
from app.config import Settings
from app.db import Database
from app.demo import seed_demo_world

PERSONAS = {p.key: p for p in build_personas(Population())[0]}


@pytest.fixture(autouse=True)
def fresh_exchange() -> Iterator[None]:
    reset_exchange()  # registration and act-as ask the simulated departments
    yield
    reset_exchange()


async def _login(client: httpx.AsyncClient, persona: Persona) -> dict[str, str]:
    response = await client.post(
        "/api/v1/auth/login",
        json={"method": "password", "login": persona.login, "password": DEMO_PASSWORD},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def _wallet(
    client: httpx.AsyncClient, persona: Persona, *, own: bool = False
) -> dict[str, dict[str, Any]]:
    """The persona's wallet: the enterprise's when they represent one, unless `own`."""
    headers = await _login(client, persona)
    if persona.enterprise_uscc is not None and not own:
        acting = await client.post(
            "/api/v1/auth/act-as", headers=headers, json={"uscc": persona.enterprise_uscc}
        )
        assert acting.status_code == 200, acting.text
        headers = {"Authorization": f"Bearer {acting.json()['access_token']}"}
    wallet = await client.get("/api/v1/me/licenses", headers=headers)
    assert wallet.status_code == 200, wallet.text
    return {item["type"]["code"]: item for item in wallet.json()["items"]}


async def test_personas_hold_the_licenses_of_their_scenarios(
    client: httpx.AsyncClient, database: Database, settings: Settings, on_world_day: None
) -> None:
    seeded = await seed_demo_world(database, settings)
    assert seeded["licenses_issued"] == 32
    assert (await seed_demo_world(database, settings))["licenses_issued"] == 0, "idempotent"
    day = today()

    printer = await _wallet(client, PERSONAS["printer"])
    assert set(printer) == {"business-license", "printing-licence"}
    business = printer["business-license"]
    assert business["holder"]["uscc"] == PERSONAS["printer"].enterprise_uscc
    assert business["fields"]["legal_representative"] == PERSONAS["printer"].name
    assert business["status"] == "valid"

    hygiene = (await _wallet(client, PERSONAS["hygiene"]))["hygiene-permit"]
    assert hygiene["valid_until"] == (day + timedelta(HYGIENE_PERMIT_DAYS)).isoformat()
    kindergarten = await _wallet(client, PERSONAS["kindergarten"])
    licence = kindergarten["kindergarten-licence"]
    assert licence["valid_until"] == (day + timedelta(KINDERGARTEN_LICENCE_DAYS)).isoformat()

    assert set(await _wallet(client, PERSONAS["kindergarten"], own=True)) == {
        "marriage-certificate"
    }
    talent = await _wallet(client, PERSONAS["talent"])
    assert talent["degree-certificate"]["fields"]["degree"].endswith("硕士")
    assert talent["degree-certificate"]["fields"]["university"] == "中国海洋大学"
    assert "property-certificate" in await _wallet(client, PERSONAS["flat_owner"])
    assert "property-certificate" not in await _wallet(client, PERSONAS["buyer"])

    async with database.session() as session:
        expiring = await certificates.licenses_expiring(session, within_days=30)
    assert [row.type.code for row in expiring] == ["hygiene-permit"], "45 days is not yet due"
