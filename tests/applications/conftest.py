"""Applications test fixtures: the demo world (personas with accounts), signed in as they
would be from the app, at the real-name level a service asks for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator

import httpx
import pytest

from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import DEMO_PASSWORD, Persona, build_personas
from app.adapters.simulator.population import Population
from app.config import Settings
from app.db import Database
from app.demo import seed_demo_world

Headers = dict[str, str]
SignIn = Callable[..., Awaitable[Headers]]
PERSONAS = {p.key: p for p in build_personas(Population())[0]}


@pytest.fixture(autouse=True)
def fresh_exchange() -> Iterator[None]:
    reset_exchange()  # registration, act-as and decisions ask the simulated departments
    yield
    reset_exchange()


@pytest.fixture
async def world(database: Database, settings: Settings) -> None:
    """The personas' accounts (L2) and licenses, and the demo staff."""
    await seed_demo_world(database, settings)


@pytest.fixture
def sign_in(client: httpx.AsyncClient, world: None) -> SignIn:
    """`await sign_in("renter", face=True, enterprise=False)`: the persona's bearer header;
    `face` raises them to L3 through face verification, `enterprise` acts for their firm."""

    async def make(key: str, *, face: bool = False, enterprise: bool = False) -> Headers:
        persona: Persona = PERSONAS[key]
        login = await client.post(
            "/api/v1/auth/login",
            json={"method": "password", "login": persona.login, "password": DEMO_PASSWORD},
        )
        assert login.status_code == 200, login.text
        headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
        if face:
            verified = await client.post(
                "/api/v1/auth/face-verification", headers=headers,
                json={"selfie_token": "selfie-2026-11-24"},
            )  # fmt: skip
            assert verified.status_code == 200, verified.text
        if enterprise:
            acting = await client.post(
                "/api/v1/auth/act-as", headers=headers, json={"uscc": persona.enterprise_uscc}
            )
            assert acting.status_code == 200, acting.text
            headers = {"Authorization": f"Bearer {acting.json()['access_token']}"}
        return headers

    return make
