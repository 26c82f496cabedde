"""Guessing passwords and codes: the lockout holds however parallel the guesses, and a refused
login costs no password hash, on either backend of the limits (the database, or Redis).

"Answered" below means checked against the password (or code): a locked or over-limit attempt
gets the same 400 as a wrong password, so from outside only the counted checks tell them apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest
from oidc_support import ISSUER, PASSWORD, Pkce, Provider, transport
from redis.asyncio import Redis
from sqlalchemy import select

from app.auth import opaque, passwords
from app.auth.models import RateLimitCounter
from app.config import Settings
from app.db import Database
from app.main import create_app

LOGIN = "/api/v1/auth/login"
PHONE = "13866660001"
STRANGER = "13866669999"
GUESSES = 12


@pytest.fixture(params=["database", "redis"])
async def backend(request: pytest.FixtureRequest, settings: Settings) -> Settings:
    """The test's settings with the limits in the database, or in a (flushed) Redis."""
    if request.param == "database":
        return settings
    url: str = request.getfixturevalue("redis_url")
    async with Redis.from_url(url) as redis:
        await redis.flushdb()
    return settings.model_copy(update={"redis_url": url})


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every argon2 computation the app asks for from now on ("verify" or "hash")."""
    made: list[str] = []
    verify, make = passwords.verify_password, passwords.hash_password

    async def counted_verify(stored: str | None, password: str) -> bool:
        made.append("verify")
        return await verify(stored, password)

    async def counted_hash(password: str) -> str:
        made.append("hash")
        return await make(password)

    monkeypatch.setattr(passwords, "verify_password", counted_verify)
    monkeypatch.setattr(passwords, "hash_password", counted_hash)
    return made


@asynccontextmanager
async def api_on(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client (one address, keeping cookies) of an API process with these settings."""
    app = create_app(settings, database=database)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport(app), base_url=ISSUER) as http,
    ):
        yield http


def password_login(login: str, password: str) -> dict[str, str]:
    return {"method": "password", "login": login, "password": password}


async def lockouts_held(settings: Settings, database: Database) -> dict[str, int]:
    """How many lockout counters each backend holds."""
    statement = select(RateLimitCounter.key).where(RateLimitCounter.key.like("login.lockout:%"))
    async with database.session(write=False) as session:
        held = {"database": len((await session.scalars(statement)).all()), "redis": 0}
    if settings.redis_url:
        async with Redis.from_url(settings.redis_url) as redis:
            held["redis"] = len(await redis.keys("qe:rl:login.lockout:*"))
    return held


async def in_parallel(http: httpx.AsyncClient, count: int, **request: Any) -> list[int]:
    """Send the same POST `count` times at once; the statuses."""
    answers = await asyncio.gather(*(http.post(**request) for _ in range(count)))
    return [answer.status_code for answer in answers]


async def test_parallel_wrong_passwords_get_no_more_answers_than_the_lockout_allows(
    backend: Settings, database: Database, provider: Provider, hashes: list[str]
) -> None:
    await provider.person(PHONE)
    hashes.clear()
    async with api_on(backend, database) as api:
        wrong = password_login(PHONE, "Wrong-2026")
        statuses = await in_parallel(api, GUESSES, url=LOGIN, json=wrong)
        assert statuses == [400] * GUESSES
        # Only the lockout's worth of guesses were checked; the others were refused as locked.
        assert hashes == ["verify"] * backend.lockout_failures
        right = await api.post(LOGIN, json=password_login(PHONE, PASSWORD))
        assert right.status_code == 400, "locked: the right password is refused too"
        assert right.json()["code"] == "auth.login_failed"
        assert len(hashes) == backend.lockout_failures
    where = "redis" if backend.redis_url else "database"
    assert await lockouts_held(backend, database) == {"database": 0, "redis": 0, where: 1}


async def test_parallel_wrong_staff_passwords_on_the_login_form_are_limited_alike(
    backend: Settings, database: Database, provider: Provider, hashes: list[str]
) -> None:
    created = await provider.api.post(
        "/api/v1/admin/staff",
        json={"login": "gjj.li", "name": "李娜", "role": "clerk", "department_code": "gjj"},
        headers=provider.admin,
    )
    password = created.json()["initial_password"]
    rp = await provider.register()
    hashes.clear()
    async with api_on(backend, database) as browser:
        _, form = await provider.login_page(browser, rp, Pkce())
        wrong = {**form, "login": "gjj.li", "password": "Wrong-Pass-2026!"}
        statuses = await in_parallel(browser, GUESSES, url="/oauth/login", data=wrong)
        assert statuses == [400] * GUESSES
        assert hashes == ["verify"] * backend.lockout_failures
        right = await browser.post(
            "/oauth/login", data={**form, "login": "gjj.li", "password": password}
        )
        assert right.status_code == 400
        assert "location" not in right.headers
        assert len(hashes) == backend.lockout_failures


async def test_parallel_wrong_sms_codes_get_no_more_answers_than_a_code_allows(
    backend: Settings,
    database: Database,
    provider: Provider,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await provider.person(PHONE)
    checks: list[str] = []
    matches = opaque.matches

    def counted(settings: Settings, kind: str, value: str, stored: str) -> bool:
        if kind.startswith("sms:"):
            checks.append(value)
        return matches(settings, kind, value, stored)

    monkeypatch.setattr(opaque, "matches", counted)
    async with api_on(backend, database) as api:
        sent = await api.post("/api/v1/auth/otp", json={"phone": PHONE})
        assert sent.status_code == 202
        code = await provider.demo_sms_code(PHONE)
        wrong = {"method": "sms_otp", "phone": PHONE, "otp": f"{(int(code) + 1) % 10**6:06d}"}
        statuses = await in_parallel(api, GUESSES, url=LOGIN, json=wrong)
        assert statuses == [400] * GUESSES
        assert len(checks) == 5, "five attempts per code"
        right = await api.post(LOGIN, json={**wrong, "otp": code})
        assert right.status_code == 400, "the code is used up"
        assert len(checks) == 5


async def test_the_lock_ends_after_the_lockout_and_a_success_starts_the_count_afresh(
    settings: Settings, database: Database, provider: Provider, travel: Callable[[str], None]
) -> None:
    travel("2026-11-24T09:00:00+08:00")
    await provider.person(PHONE)
    async with api_on(settings, database) as api:
        wrong, right = password_login(PHONE, "Wrong-2026"), password_login(PHONE, PASSWORD)
        for _ in range(settings.lockout_failures):
            assert (await api.post(LOGIN, json=wrong)).status_code == 400
        assert (await api.post(LOGIN, json=right)).status_code == 400
        travel("2026-11-24T09:14:59+08:00")
        assert (await api.post(LOGIN, json=right)).status_code == 400, "still locked"
        # QE_LOCKOUT_SECONDS (900) after the last guess. The clock ran on from 09:00:00 while
        # the guesses were hashed: on a loaded machine the last came over a second later.
        travel("2026-11-24T09:15:30+08:00")
        assert (await api.post(LOGIN, json=right)).status_code == 200
        for _ in range(settings.lockout_failures - 1):
            assert (await api.post(LOGIN, json=wrong)).status_code == 400
        assert (await api.post(LOGIN, json=right)).status_code == 200


@pytest.mark.parametrize("refusal", ["locked", "address limit", "login limit"])
async def test_a_refused_login_costs_no_password_hash(
    backend: Settings, database: Database, provider: Provider, hashes: list[str], refusal: str
) -> None:
    await provider.person(PHONE)
    await provider.person("13866660002")
    limits = {
        "locked": {},
        "address limit": {"login_attempts_per_address": 3},
        "login limit": {"login_attempts_per_login": 3},
    }[refusal]
    hashes.clear()
    async with api_on(backend.model_copy(update=limits), database) as api:
        wrong, right = password_login(PHONE, "Wrong-2026"), password_login(PHONE, PASSWORD)
        allowed = 3 if limits else backend.lockout_failures
        for _ in range(allowed):
            assert (await api.post(LOGIN, json=wrong)).status_code == 400
        assert hashes == ["verify"] * allowed
        refused = [await api.post(LOGIN, json=guess) for guess in (wrong, right, wrong, right)]
        if refusal == "address limit":
            other = await api.post(LOGIN, json=password_login("13866660002", PASSWORD))
            refused.append(other)
            assert {answer.status_code for answer in refused} == {429}
        else:
            assert {answer.status_code for answer in refused} == {400}
        assert len(hashes) == allowed, f"{refusal}: refused without hashing"


async def test_an_unknown_login_is_locked_like_a_known_one(
    backend: Settings, database: Database, provider: Provider, hashes: list[str]
) -> None:
    """Locked answers cost no hash, so an unknown login that went on costing one would tell
    which phone numbers have accounts: unknown logins are counted and locked the same way."""
    await provider.person(PHONE)
    hashes.clear()
    async with api_on(backend, database) as api:
        answers: dict[str, list[httpx.Response]] = {}
        for phone in (PHONE, STRANGER):
            guess = password_login(phone, "Wrong-2026")
            answers[phone] = [
                await api.post(LOGIN, json=guess) for _ in range(backend.lockout_failures + 3)
            ]
    assert hashes == ["verify"] * (2 * backend.lockout_failures)
    known, unknown = answers[PHONE], answers[STRANGER]
    assert [a.status_code for a in known] == [a.status_code for a in unknown]
    assert [problem(a) for a in known] == [problem(a) for a in unknown]


def problem(answer: httpx.Response) -> dict[str, Any]:
    """An answer's problem document without its per-request id."""
    body: dict[str, Any] = answer.json()
    body.pop("request_id")
    return body
