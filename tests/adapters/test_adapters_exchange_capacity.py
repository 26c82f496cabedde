"""How many look-ups a process keeps in flight to one department: QE_EXCHANGE_CALLS_PER_DEPARTMENT
sizes both the department's bulkhead and its connection pool, so an admitted call never waits
for a connection, and a case that reads several datasets of one department (a rent withdrawal
reads four of the housing fund centre's) does not queue behind a small bulkhead."""

from __future__ import annotations

import asyncio

import pytest
from exchange_support import CLERK, Sim

from app.adapters.client import (
    CONNECTIONS_PER_DEPARTMENT,
    Fact,
    Subject,
    close_shared_client,
    shared_client,
)
from app.adapters.service import Exchange, gather_facts
from app.config import Settings, get_settings

FUND = [("gjj", "fund-account"), ("gjj", "fund-contributions"), ("gjj", "fund-loans"),
        ("gjj", "fund-withdrawals")]  # fmt: skip


def test_the_default_is_the_client_pools_default(settings: Settings) -> None:
    assert settings.exchange_calls_per_department == CONNECTIONS_PER_DEPARTMENT == 128
    exchange = Exchange.from_settings(settings)
    assert exchange.guards("gjj").bulkhead.max_concurrent == 128


async def test_the_setting_sizes_the_bulkheads_and_the_shared_clients_pools(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QE_EXCHANGE_CALLS_PER_DEPARTMENT", "5")
    get_settings.cache_clear()
    await close_shared_client()
    try:
        assert shared_client().connections == 5
        exchange = Exchange.from_settings(get_settings())
        assert {exchange.guards(d).bulkhead.max_concurrent for d in ("gjj", "bdc")} == {5}
        # An explicit size still wins (tests and benchmarks size their own).
        assert Exchange.from_settings(get_settings(), bulkhead_size=2).bulkhead_size == 2
    finally:
        await close_shared_client()
        get_settings.cache_clear()


async def most_waiting(exchange: Exchange, subject: Subject, cases: int) -> int:
    """Gather the four fund datasets for `cases` cases at once; the most calls that waited
    for a slot of the fund centre's bulkhead at any moment (sampled every 5 ms)."""
    bulkhead = exchange.guards("gjj").bulkhead
    waiting: list[int] = []

    async def watch() -> None:
        while True:
            waiting.append(bulkhead.waiting)
            await asyncio.sleep(0.005)

    watcher = asyncio.create_task(watch())
    gathered = await asyncio.gather(*(
        gather_facts(None, subject, FUND, purpose="review", actor=CLERK, deadline_seconds=5.0,
                     exchange=exchange)
        for _ in range(cases)
    ))  # fmt: skip
    watcher.cancel()
    assert all(isinstance(fact, Fact) for facts in gathered for fact in facts.values())
    assert waiting
    return max(waiting)


async def test_twenty_cases_reading_four_fund_datasets_never_wait_for_a_slot(
    sim: Sim, settings: Settings
) -> None:
    await sim.fault("gjj", latency_ms=100)
    exchange = Exchange.from_settings(settings, client=sim.exchange.client)
    # 80 calls in flight at once: at the old size of 64, 16 of them waited a whole look-up.
    assert await most_waiting(exchange, sim.renter(), cases=20) == 0


async def test_a_smaller_setting_queues_the_calls_beyond_it(sim: Sim, settings: Settings) -> None:
    await sim.fault("gjj", latency_ms=100)
    small = Exchange.from_settings(
        settings.model_copy(update={"exchange_calls_per_department": 64}),
        client=sim.exchange.client,
    )
    assert await most_waiting(small, sim.renter(), cases=20) == 80 - 64
