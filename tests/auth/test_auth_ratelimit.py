"""Login and SMS limits hold across API processes: in Redis when configured, else the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import pytest
from oidc_support import (
    BROWSER_ADDRESS,
    ISSUER,
    Pkce,
    Provider,
    RegisteredClient,
    free_port,
    transport,
)
from redis.asyncio import Redis
from sqlalchemy import func, select

from app.auth.models import RateLimitCounter
from app.config import Settings
from app.db import Database
from app.main import create_app

PHONE = "13888880000"


@pytest.fixture
async def rp(provider: Provider) -> RegisteredClient:
    await provider.person(PHONE)
    return await provider.register()


@asynccontextmanager
async def browser_on(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A browser on an API process of its own with these settings."""
    app = create_app(settings, database=database)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport(app), base_url=ISSUER) as browser,
    ):
        yield browser


async def wrong_password(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> int:
    _, form = await provider.login_page(browser, rp, Pkce())
    response = await browser.post(
        "/oauth/login", data={**form, "login": PHONE, "password": "Wrong-2026"}
    )
    return response.status_code


async def browser_counters(database: Database) -> int:
    """Rate-limit counters in the database for the browser's address."""
    key = f"login.address:{BROWSER_ADDRESS[0]}:%"
    statement = select(func.count()).where(RateLimitCounter.key.like(key))
    async with database.session(write=False) as session:
        return int(await session.scalar(statement) or 0)


async def test_two_api_processes_share_the_limit_in_redis(
    settings: Settings, database: Database, provider: Provider, rp: RegisteredClient, redis_url: str
) -> None:
    shared = settings.model_copy(update={"redis_url": redis_url, "login_attempts_per_address": 4})
    await Redis.from_url(redis_url).flushdb()
    async with browser_on(shared, database) as first, browser_on(shared, database) as second:
        answers = [
            await wrong_password(browser, provider, rp)
            for browser in (first, second, first, second)
        ]
        assert answers == [400, 400, 400, 400]
        assert await wrong_password(second, provider, rp) == 429
        assert await wrong_password(first, provider, rp) == 429
    keys = await Redis.from_url(redis_url).keys("qe:rl:login.address:*")
    assert keys
    assert await browser_counters(database) == 0  # Redis held the counts, not the database


async def test_the_database_takes_over_when_redis_is_unreachable(
    settings: Settings, database: Database, provider: Provider, rp: RegisteredClient
) -> None:
    down = settings.model_copy(
        update={"redis_url": f"redis://127.0.0.1:{free_port()}/0", "login_attempts_per_address": 2}
    )
    async with browser_on(down, database) as browser:
        answers = [await wrong_password(browser, provider, rp) for _ in range(3)]
    assert answers == [400, 400, 429]
    assert await browser_counters(database) == 1


async def test_sms_codes_are_limited_per_phone_and_per_address(
    settings: Settings, database: Database, provider: Provider, rp: RegisteredClient
) -> None:
    tight = settings.model_copy(update={"sms_codes_per_address_per_hour": 3})
    async with browser_on(tight, database) as browser:
        _, form = await provider.login_page(browser, rp, Pkce())
        statuses = []
        for phone in ("13888880001", "13888880001", "13888880002", "13888880003"):
            response = await browser.post("/oauth/login/otp", data={**form, "phone": phone})
            statuses.append(response.status_code)
    # A second text to one phone within a minute is refused; the address may ask three times.
    assert statuses == [200, 429, 200, 429]


@pytest.mark.parametrize("backend", ["database", "redis"])
async def test_a_cooldown_holds_across_the_clocks_minute(
    backend: str, database: Database, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One SMS code a minute: a second code half a second later is refused even when a minute
    of the clock turns in between (an aligned window would have allowed it), and allowed a
    minute after the first."""
    from datetime import UTC, datetime, timedelta

    from app.auth import ratelimit

    start = datetime(2026, 11, 24, 8, 0, 59, 700_000, tzinfo=UTC)
    clock = {"now": start}
    monkeypatch.setattr(ratelimit, "utcnow", lambda: clock["now"])
    cooldown = ratelimit.Limit("test.cooldown", 1, 60, anchored=True)
    aligned = ratelimit.Limit("test.aligned", 1, 60)
    async with database.session() as session:
        fallback = ratelimit.DatabaseBackend(session)
        store: ratelimit.Backend = fallback
        if backend == "redis":
            store = ratelimit.RedisBackend(Redis.from_url(redis_url), fallback)
        limiter = ratelimit.RateLimiter(store)
        assert (await limiter.hit(cooldown, "phone")).allowed
        assert (await limiter.hit(aligned, "phone")).allowed
        clock["now"] = start + timedelta(seconds=0.6)  # 08:01:00.3
        refused = await limiter.hit(cooldown, "phone")
        assert (refused.allowed, refused.retry_after) == (False, 61)
        assert (await limiter.hit(aligned, "phone")).allowed, "what the aligned window allows"
        if backend == "database":  # Redis expires keys on its own clock, not the patched one
            clock["now"] = start + timedelta(seconds=60.1)
            assert (await limiter.hit(cooldown, "phone")).allowed
            clock["now"] = start + timedelta(seconds=61)
            assert not (await limiter.hit(cooldown, "phone")).allowed
