"""A signed-in search waits for public security's household record only as long as
QE_SEARCH_RESIDENCE_DEADLINE_SECONDS (production: 0.5 s): past it the search ranks city-wide."""

from __future__ import annotations

import time

import httpx
import pytest
from persona_support import SignIn
from settings_support import make_settings

from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import get_exchange
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN
from app.config import Settings

DEADLINE = 0.5


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Production's wait (the suite's default is a generous 5 s)."""
    return make_settings(database_url, search_residence_deadline_seconds=DEADLINE)


async def test_a_hanging_household_record_leaves_the_search_city_wide(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    talent = await sign_in("talent")  # lives in Jiaozhou (370281)
    http = get_exchange().client.http
    hung = await http.put(f"{SIMULATOR_BASE_URL}/_admin/faults/gaj", json={"hang": True},
                          headers={"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"})  # fmt: skip
    assert hung.status_code == 200, hung.text
    started = time.perf_counter()
    response = await client.get("/api/v1/services", params={"q": "营业执照补领"}, headers=talent)
    elapsed = time.perf_counter() - started
    assert response.status_code == 200, response.text
    # The city's own copy, not Jiaozhou's: the residence was not known in time.
    assert response.json()["items"][0]["code"] == "xzsp.t009"
    # Without the wait the search would hang for the exchange's 30 s backstop; the margin is
    # for a loaded test machine.
    assert elapsed < DEADLINE + 1.5, elapsed
