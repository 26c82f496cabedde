"""Filing and running bundles (一件事一次办) as the app does, and reading what the simulated
departments recorded: shared by the bundle tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from persona_support import PERSONAS, Headers

from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import get_exchange
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN
from app.config import Settings
from app.db import Database
from app.jobs.worker import Worker
from app.services.bundles.saga import RUN_STEP_JOB

HOUSE = "bundle.house-transfer"
NEWBORN = "bundle.newborn"
UTILITIES = ("water", "power", "citycard", "heat", "gas", "catv", "broadband")
ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
# The fixtures' types (conftest's `travel` and `staff_headers`), for annotations.
Travel = Callable[[str], None]
StaffHeaders = Callable[..., Awaitable[dict[str, str]]]


async def merged_form(
    client: httpx.AsyncClient, headers: Headers, code: str, **typed: Any
) -> dict[str, Any]:
    """The merged form as the app sends it: every prefilled value back, the rest typed."""
    prefill = await client.get(f"/api/v1/bundles/{code}/prefill", headers=headers)
    assert prefill.status_code == 200, prefill.text
    form = {
        f["name"]: f["value"]
        for f in prefill.json()["fields"]
        if f["value"] is not None and f["fill"] != "at_confirmation"
    }
    return {**form, **typed}


def sale_terms(buyer: str = "buyer") -> dict[str, Any]:
    """What the seller types: who buys, for how much, how it is owned."""
    person = PERSONAS[buyer]
    return {
        "buyer_name": person.name,
        "buyer_id_number": person.id_number,
        "price": 1_850_000,
        "ownership": "单独所有",
    }


async def file_sale(
    client: httpx.AsyncClient, seller: Headers, *, key: str | None = None, **typed: Any
) -> httpx.Response:
    """The seller files the house sale (not checked)."""
    form = await merged_form(client, seller, HOUSE, **{**sale_terms(), **typed})
    headers = {**seller, **({"Idempotency-Key": key} if key else {})}
    return await client.post(
        f"/api/v1/bundles/{HOUSE}/applications", headers=headers, json={"form": form}
    )


async def run_saga(database: Database, settings: Settings, *, rounds: int = 30) -> int:
    """Run the bundle steps' jobs that are due until none is left; how many ran."""
    worker = Worker(
        database, settings, backoff_base=0.0, backoff_cap=0.0, kinds=frozenset({RUN_STEP_JOB})
    )
    total = 0
    for _ in range(rounds):
        ran = await worker.run_once()
        if not ran:
            return total
        total += ran
    return total


async def simulator(method: str, path: str, **kwargs: Any) -> httpx.Response:
    """Call the simulated departments' admin API."""
    http = get_exchange().client.http
    return await http.request(method, f"{SIMULATOR_BASE_URL}{path}", headers=ADMIN, **kwargs)


async def holder_matches(utility: str, address: str, id_number: str) -> bool:
    """Whether the utility's records have `id_number` as the holder of the dwelling's account."""
    client = get_exchange().client
    endpoint = client.registry.endpoint(utility)
    response = await client.http.post(
        f"{SIMULATOR_BASE_URL}/{utility}/datasets/account-by-address/lookup",
        headers={
            "Authorization": f"Bearer {endpoint.token}",
            "X-Caller-System": client.registry.caller_system,
            "X-End-User": "test",
            "X-Purpose": "review",
        },
        json={"subject": {"address": address}, "holder_id_number": id_number},
    )
    assert response.status_code == 200, response.text
    return bool(response.json()["record"]["holder_matches"])


def steps_of(case: dict[str, Any]) -> dict[str, str]:
    """Each step's status by key."""
    return {step["key"]: step["status"] for step in case["steps"]}


async def sale_confirmed(
    client: httpx.AsyncClient, seller: Headers, buyer: Headers, **typed: Any
) -> dict[str, Any]:
    """The seller files, the buyer confirms: the case, running."""
    filed = await file_sale(client, seller, **typed)
    assert filed.status_code == 201, filed.text
    case_id = filed.json()["id"]
    confirmed = await client.post(f"/api/v1/bundles/applications/{case_id}/confirm", headers=buyer)
    assert confirmed.status_code == 200, confirmed.text
    result: dict[str, Any] = confirmed.json()
    return result


async def read_case(client: httpx.AsyncClient, headers: Headers, case_id: str) -> dict[str, Any]:
    """A case as a party reads it."""
    response = await client.get(f"/api/v1/bundles/applications/{case_id}", headers=headers)
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result
