"""Expired identity records are purged; live ones are left alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from fastapi import FastAPI
from oidc_support import ISSUER, Pkce, Provider, transport
from sqlalchemy import func, select, update

from app.auth import service
from app.auth.models import AuthorizationCode, AuthorizationRequest, Grant, RefreshToken, SsoSession
from app.cli import main
from app.config import get_settings
from app.db import Database
from app.kit.clock import utcnow

PHONE = "13899991111"


async def count(database: Database, model: type) -> int:
    async with database.session(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_expired_records_go_and_live_sessions_stay(
    app: FastAPI, browser: httpx.AsyncClient, provider: Provider, database: Database
) -> None:
    await provider.person(PHONE)
    rp = await provider.register()
    old = await provider.tokens_for(browser, rp, login=PHONE)
    await provider.login_page(browser, rp, Pkce(), prompt="login")  # an abandoned login page
    # Everything so far expired long ago...
    long_ago = utcnow() - timedelta(days=40)
    async with database.session() as session:
        for model in (AuthorizationRequest, AuthorizationCode, RefreshToken, Grant, SsoSession):
            await session.execute(update(model).values(expires_at=long_ago))
    # ...and a new user signs in afresh on another browser.
    async with httpx.AsyncClient(transport=transport(app), base_url=ISSUER) as other:
        await provider.person("13899992222")
        live = await provider.tokens_for(other, rp, login="13899992222")

    async with database.session() as session:
        deleted = await service.purge_expired(session)
    # The old browser's session and the admin fixture's app session, their grants and codes.
    assert deleted["sso_sessions"] == 2
    assert deleted["oauth_grants"] == 2
    assert deleted["authorization_codes"] == 1
    assert deleted["authorization_requests"] == 2
    assert await count(database, SsoSession) == 1
    assert await count(database, Grant) == 1
    bearer = {"Authorization": f"Bearer {live['access_token']}"}
    assert (await provider.api.get("/oauth/userinfo", headers=bearer)).status_code == 200
    refreshed = await provider.token(
        rp, grant_type="refresh_token", refresh_token=live["refresh_token"]
    )
    assert refreshed.status_code == 200
    gone = await provider.token(rp, grant_type="refresh_token", refresh_token=old["refresh_token"])
    assert gone.json()["error"] == "invalid_grant"


@pytest.fixture
def configured(database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("QE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_purge_command_reports_what_it_deleted(
    configured: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["identity", "purge"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert set(report) >= {
        "authorization_codes",
        "refresh_tokens",
        "sso_sessions",
        "sms_challenges",
        "idempotency_records",
        "uploads",
    }
    assert all(value == 0 for value in report.values())
