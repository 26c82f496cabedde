"""The contract under abuse: schemathesis calls every operation of the served OpenAPI document
with generated requests, valid and not (bodies that are not JSON or not UTF-8, values out of
range, wrong types, missing fields, unexpected methods), in-process on the ASGI app. Every
answer must be one the document declares for the operation, and none a server error.

It runs twice: anonymously, and with the bearer token the platform's app gets when a demo
persona signs in (what a citizen's phone sends). The run is derandomized with a fixed seed, so
a failure is the same on every machine and every rerun; the budget (`MAX_EXAMPLES` per
operation, besides the examples and the coverage phase's cases) keeps each run to about 3,000
requests and half a minute on one core. Deselect with `-m "not fuzz"` while iterating on
something else.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import schemathesis
from persona_support import PERSONAS
from schemathesis.python import asgi
from settings_support import make_settings

from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import DEMO_PASSWORD
from app.config import Settings
from app.db import Database
from app.demo import seed_demo_world
from app.main import create_app

pytestmark = pytest.mark.fuzz

SEED = 20261124
# Per operation: the examples in the document, the coverage phase's boundary and negative
# cases (as many as the schema calls for), and this many generated cases.
MAX_EXAMPLES = 10
# Fewer cases than this means operations went untested (filtered out, or a schema the
# generator cannot read): the run would prove little while passing.
MIN_CASES = 2000
# NUL characters in strings too: PostgreSQL cannot store them in text, and the edge
# (app/ops/edge.py) refuses them with a documented 422 before any route reads them.
ALLOW_NUL = True
CITIZEN = PERSONAS["renter"]
# The demo world's next working morning (conftest.WORLD_DAY): its licenses are current then.
WORLD_DAY = "2026-11-24T09:00:00+08:00"
Travel = Callable[[str], None]

# Requests sent per run, counted by the tests below.
sent: dict[str, int] = {}


def _config(headers: dict[str, str]) -> schemathesis.Config:
    phases = ("examples", "coverage", "fuzzing")
    return schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "generation": {
                "deterministic": True,
                "max-examples": MAX_EXAMPLES,
                "allow-x00": ALLOW_NUL,
            },
            # Stateful sequences need links between operations, which the document has none of.
            "phases": {
                **{phase: {"enabled": True} for phase in phases},
                "stateful": {"enabled": False},
            },
            "checks": {
                "enabled": False,
                "not_a_server_error": {"enabled": True},
                "status_code_conformance": {"enabled": True},
            },
            "headers": headers,
        }
    )


async def _demo_world(settings: Settings, *, sign_in: bool) -> str | None:
    """Seed the demo world; with `sign_in`, the persona's token from the platform's app."""
    database = Database.from_url(settings.database_url)
    try:
        await seed_demo_world(database, settings)
        if not sign_in:
            return None
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app)
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
        ):
            login = await http.post(
                "/api/v1/auth/login",
                json={"method": "password", "login": CITIZEN.login, "password": DEMO_PASSWORD},
            )
        assert login.status_code == 200, login.text
        return str(login.json()["access_token"])
    finally:
        await database.dispose()


def _served_schema(
    database_url: str, travel: Travel, label: str, *, signed_in: bool
) -> Iterator[Any]:
    travel(WORLD_DAY)
    reset_exchange()
    settings = make_settings(database_url)
    token = asyncio.run(_demo_world(settings, sign_in=signed_in))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    # The app opens its own database in its lifespan, on schemathesis's event loop (a thread).
    app = create_app(settings)
    sent[label] = 0
    try:
        yield schemathesis.openapi.from_asgi("/openapi.json", app, config=_config(headers))
    finally:
        asgi.shutdown_lifespans()
        reset_exchange()
    print(f"fuzzing {label}: {sent[label]} requests")
    assert sent[label] >= MIN_CASES, f"the {label} run sent only {sent[label]} requests"


@pytest.fixture
def anonymous_api(database_url: str, travel: Travel) -> Iterator[Any]:
    """The served document of an app with the demo world, called without a token."""
    yield from _served_schema(database_url, travel, "anonymous", signed_in=False)


@pytest.fixture
def citizen_api(database_url: str, travel: Travel) -> Iterator[Any]:
    """The served document of an app with the demo world, called with a citizen's token."""
    yield from _served_schema(database_url, travel, "citizen", signed_in=True)


anonymous = schemathesis.pytest.from_fixture("anonymous_api")
citizen = schemathesis.pytest.from_fixture("citizen_api")


@anonymous.parametrize()
def test_anonymous_callers_get_only_documented_answers(case: schemathesis.Case) -> None:
    sent["anonymous"] += 1
    case.call_and_validate()


@citizen.parametrize()
def test_a_citizens_token_gets_only_documented_answers(case: schemathesis.Case) -> None:
    sent["citizen"] += 1
    case.call_and_validate()
