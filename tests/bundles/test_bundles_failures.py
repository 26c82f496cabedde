"""A failing step never loses or undoes the others: the gas company down for a while (gas
retries with backoff and completes), down past the retry budget (gas goes to its clerk with
the error, the six others stand), and a registration the registry's clerk rejects (no utility
transfer starts, no certificate is issued)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from bundle_support import (
    StaffHeaders,
    Travel,
    read_case,
    run_saga,
    sale_confirmed,
    simulator,
    steps_of,
)
from persona_support import SignIn

from app.adapters.service import reset_exchange
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database

SIX = {"water", "power", "citycard", "heat", "catv", "broadband"}


@pytest.fixture(autouse=True)
async def fresh_utilities() -> AsyncIterator[None]:
    """Every account with its first holder, and no fault, before and after."""
    await simulator("DELETE", "/_admin/transfers")
    await simulator("DELETE", "/_admin/faults")
    yield
    await simulator("DELETE", "/_admin/faults")
    await simulator("DELETE", "/_admin/transfers")


async def _gas_down() -> None:
    down = await simulator("PUT", "/_admin/faults/gas", json={"error_rate": 1.0})
    assert down.status_code == 200, down.text


async def test_gas_down_for_a_while_retries_and_completes_while_the_six_others_complete(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    travel: Travel,
) -> None:
    await _gas_down()
    case = await sale_confirmed(client, await sign_in("seller"), buyer := await sign_in("buyer"))
    await run_saga(database, settings)
    now = steps_of(await read_case(client, buyer, case["id"]))
    assert {k for k, s in now.items() if s == "done"} == SIX | {"registration"}
    assert now["gas"] == "retrying"
    gas = next(
        s for s in (await read_case(client, buyer, case["id"]))["steps"] if s["key"] == "gas"
    )
    assert gas["attempts"] == 1
    assert "gas" in gas["error"]
    # Not before its backoff: nothing is due yet.
    assert await run_saga(database, settings) == 0
    travel("2026-11-24T09:02:00+08:00")
    assert await run_saga(database, settings) == 1
    assert steps_of(await read_case(client, buyer, case["id"]))["gas"] == "retrying"

    await simulator("DELETE", "/_admin/faults")
    travel("2026-11-24T09:08:00+08:00")
    assert await run_saga(database, settings) == 1
    final = await read_case(client, buyer, case["id"])
    assert final["status"] == "completed"
    gas = next(s for s in final["steps"] if s["key"] == "gas")
    assert (gas["status"], gas["attempts"], gas["error"]) == ("done", 2, None)
    assert gas["outcome"]["transfer_id"]


async def test_gas_down_past_the_budget_goes_to_its_clerk_and_the_rest_stands(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    travel: Travel,
    staff_headers: StaffHeaders,
) -> None:
    await _gas_down()
    buyer = await sign_in("buyer")
    case = await sale_confirmed(client, await sign_in("seller"), buyer)
    # Backoff 60 s, 120 s, 240 s (the bundle's `retry`), then the budget of 4 is spent.
    await run_saga(database, settings)
    for moment in ("09:02:00", "09:05:00", "09:09:30"):
        travel(f"2026-11-24T{moment}+08:00")
        await run_saga(database, settings)
    read = await read_case(client, buyer, case["id"])
    assert read["status"] == "attention", read["steps"]
    steps = steps_of(read)
    assert steps["gas"] == "with_clerk"
    assert {steps[k] for k in SIX} == {"done"}
    gas = next(s for s in read["steps"] if s["key"] == "gas")
    assert (gas["attempts"], gas["department"]) == (4, "gas")
    assert "gas" in gas["error"]

    gas_clerk = await staff_headers("gas.clerk", StaffRole.CLERK, department="gas")
    water_clerk = await staff_headers("water.clerk", StaffRole.CLERK, department="water")
    queue = (await client.get("/api/v1/review/bundle-steps", headers=gas_clerk)).json()
    [mine] = [s for s in queue if s["case_id"] == case["id"]]
    assert (mine["key"], mine["case_number"]) == ("gas", case["number"])
    assert (await client.get("/api/v1/review/bundle-steps", headers=water_clerk)).json() == []
    decision = {"action": "retry", "reason": "燃气公司系统已恢复"}
    other = await client.post(
        f"/api/v1/review/bundle-steps/{mine['id']}/decision", headers=water_clerk, json=decision
    )
    assert other.status_code == 404, "another department's step is not found"

    await simulator("DELETE", "/_admin/faults")
    # The gas company is back and the exchange's breaker for it closed again (its cool-down runs
    # on the monotonic clock, which the test does not travel): a fresh exchange.
    reset_exchange()
    retried = await client.post(
        f"/api/v1/review/bundle-steps/{mine['id']}/decision", headers=gas_clerk, json=decision
    )
    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "queued"
    again = await client.post(
        f"/api/v1/review/bundle-steps/{mine['id']}/decision", headers=gas_clerk, json=decision
    )
    assert again.status_code == 409
    assert await run_saga(database, settings) == 1
    final = await read_case(client, buyer, case["id"])
    assert final["status"] == "completed"
    assert set(steps_of(final).values()) == {"done"}


async def test_a_rejected_registration_starts_no_utility_transfer(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    staff_headers: StaffHeaders,
) -> None:
    buyer = await sign_in("buyer")
    # A title the registry does not show as the seller's: the rules cannot approve it.
    case = await sale_confirmed(
        client,
        await sign_in("seller"),
        buyer,
        certificate_number="鲁(2019)青岛市不动产权第0000001号",
    )
    await run_saga(database, settings)
    read = await read_case(client, buyer, case["id"])
    assert steps_of(read)["registration"] == "with_clerk"
    assert {s for k, s in steps_of(read).items() if k != "registration"} == {"waiting"}

    clerk = await staff_headers("bdc.clerk", StaffRole.CLERK, department="bdc")
    [step] = [
        s
        for s in (await client.get("/api/v1/review/bundle-steps", headers=clerk)).json()
        if s["case_id"] == case["id"]
    ]
    rejected = await client.post(
        f"/api/v1/review/bundle-steps/{step['id']}/decision",
        headers=clerk,
        json={"action": "reject", "reason": "权属不符"},
    )
    assert rejected.status_code == 200, rejected.text
    assert await run_saga(database, settings) == 0, "nothing was queued"
    final = await read_case(client, buyer, case["id"])
    assert final["status"] == "stopped"
    assert steps_of(final)["registration"] == "rejected"
    assert {s for k, s in steps_of(final).items() if k != "registration"} == {"not_started"}
    wallet = (await client.get("/api/v1/me/licenses", headers=buyer)).json()["items"]
    assert not [lic for lic in wallet if lic["type"]["code"] == "property-certificate"]
    transfers = (await simulator("GET", "/_admin/transfers")).json()
    assert transfers == []
