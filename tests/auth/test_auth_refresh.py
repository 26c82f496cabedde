"""Refresh tokens rotate; presenting a spent one kills the whole family."""

from __future__ import annotations

import httpx
import pytest
from oidc_support import Provider, RegisteredClient

PHONE = "13822223333"


@pytest.fixture
async def rp(provider: Provider) -> RegisteredClient:
    await provider.person(PHONE)
    return await provider.register()


async def refresh(
    provider: Provider, rp: RegisteredClient, token: str, **form: str
) -> httpx.Response:
    return await provider.token(rp, grant_type="refresh_token", refresh_token=token, **form)


async def test_refresh_tokens_rotate_and_reuse_revokes_the_family(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    first = await provider.tokens_for(browser, rp, login=PHONE)
    second = (await refresh(provider, rp, first["refresh_token"])).json()
    third = (await refresh(provider, rp, second["refresh_token"])).json()
    assert len({first["refresh_token"], second["refresh_token"], third["refresh_token"]}) == 3
    live = {"Authorization": f"Bearer {third['access_token']}"}
    assert (await provider.api.get("/oauth/userinfo", headers=live)).status_code == 200

    # A thief replays the first (spent) refresh token: refused, and the family dies, so the
    # thief's and the owner's latest tokens stop working alike.
    replay = await refresh(provider, rp, first["refresh_token"])
    assert replay.status_code == 400
    assert replay.json()["error"] == "invalid_grant"
    assert (await refresh(provider, rp, third["refresh_token"])).json()["error"] == "invalid_grant"
    assert (await provider.api.get("/oauth/userinfo", headers=live)).status_code == 401
    introspected = await provider.api.post(
        "/oauth/introspect",
        data={"token": third["refresh_token"]},
        auth=(rp.client_id, rp.client_secret or ""),
    )
    assert introspected.json() == {"active": False}


async def test_another_family_of_the_same_user_survives(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    stolen = await provider.tokens_for(browser, rp, login=PHONE)
    other = await provider.tokens_for(browser, rp, login=PHONE, prompt="login")
    await refresh(provider, rp, stolen["refresh_token"])
    await refresh(provider, rp, stolen["refresh_token"])  # reuse: only this family dies
    assert (await refresh(provider, rp, other["refresh_token"])).status_code == 200


async def test_a_refresh_token_belongs_to_its_client(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    other = await provider.register()
    tokens = await provider.tokens_for(browser, rp, login=PHONE)
    stolen = await refresh(provider, other, tokens["refresh_token"])
    assert stolen.json()["error"] == "invalid_grant"
    assert (await refresh(provider, rp, tokens["refresh_token"])).status_code == 200


async def test_a_refresh_may_narrow_the_scope_but_not_widen_it(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    tokens = await provider.tokens_for(browser, rp, login=PHONE, scope="openid profile")
    wider = await refresh(provider, rp, tokens["refresh_token"], scope="openid profile phone")
    assert wider.json()["error"] == "invalid_scope"
    narrower = await refresh(provider, rp, tokens["refresh_token"], scope="openid")
    assert narrower.status_code == 200
    assert narrower.json()["scope"] == "openid"


@pytest.mark.parametrize("token", ["", "x" * 300, "never-issued"])
async def test_unknown_refresh_tokens_are_invalid_grants(
    provider: Provider, rp: RegisteredClient, token: str
) -> None:
    response = await refresh(provider, rp, token)
    assert response.status_code == 400
    assert response.json()["error"] in {"invalid_grant", "invalid_request"}
