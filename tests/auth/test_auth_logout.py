"""RP-initiated logout and back-channel logout delivery as durable, retried jobs."""

from __future__ import annotations

import asyncio

import httpx
from oidc_support import Provider, Receiver
from sqlalchemy import select

from app.db import Database
from app.jobs.models import Job

PHONE = "13877778888"
OTHER = "13877779999"


async def job_states(database: Database) -> list[tuple[str, int]]:
    async with database.session(write=False) as session:
        jobs = (await session.execute(select(Job.state, Job.attempts))).all()
    return [(state, attempts) for state, attempts in jobs]


async def test_delivery_is_retried_until_the_client_accepts(
    browser: httpx.AsyncClient, provider: Provider, receiver: Receiver, database: Database
) -> None:
    await provider.person(PHONE)
    rp = await provider.register(backchannel_logout_uri=receiver.url("flaky"))
    await provider.tokens_for(browser, rp, login=PHONE)
    receiver.failures_left["flaky"] = 1

    page = await browser.get("/oauth/logout")
    assert page.status_code == 200
    assert "您已退出登录" in page.text
    assert await provider.run_jobs() == 1
    assert receiver.tokens("flaky") == []
    assert await job_states(database) == [("queued", 1)]
    await asyncio.sleep(0.05)  # the retry is due after a (test-sized) backoff
    assert await provider.run_jobs() == 1
    (token,) = receiver.tokens("flaky")
    assert provider.unverified_claims(token)["aud"] == rp.client_id
    assert await job_states(database) == [("done", 2)]


async def test_logging_out_twice_notifies_once(
    browser: httpx.AsyncClient, provider: Provider, receiver: Receiver
) -> None:
    await provider.person(PHONE)
    rp = await provider.register(backchannel_logout_uri=receiver.url("once"))
    tokens = await provider.tokens_for(browser, rp, login=PHONE)
    hint = {"id_token_hint": tokens["id_token"]}
    assert (await browser.get("/oauth/logout", params=hint)).status_code == 200
    assert (await browser.get("/oauth/logout", params=hint)).status_code == 200
    assert await provider.run_jobs() == 1
    assert len(receiver.tokens("once")) == 1


async def test_bad_logout_requests_are_shown_and_end_nothing(
    browser: httpx.AsyncClient, provider: Provider
) -> None:
    await provider.person(PHONE)
    rp = await provider.register()
    tokens = await provider.tokens_for(browser, rp, login=PHONE)
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    for params in (
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://evil.example/"},
        {"post_logout_redirect_uri": rp.post_logout_redirect_uri},
        {"id_token_hint": tokens["id_token"][:-4] + "AAAA"},
        {"id_token_hint": tokens["access_token"]},
        {"id_token_hint": tokens["id_token"], "client_id": "dept-other"},
    ):
        refused = await browser.get("/oauth/logout", params=params)
        assert refused.status_code == 400, params
        assert "location" not in refused.headers
    assert (await provider.api.get("/oauth/userinfo", headers=bearer)).status_code == 200
    # With client_id instead of a hint, the registered redirect is followed.
    done = await browser.get(
        "/oauth/logout",
        params={"client_id": rp.client_id, "post_logout_redirect_uri": rp.post_logout_redirect_uri},
    )
    assert done.status_code == 302
    assert done.headers["location"] == rp.post_logout_redirect_uri
    assert (await provider.api.get("/oauth/userinfo", headers=bearer)).status_code == 401


async def test_a_new_user_on_the_same_browser_ends_the_previous_session(
    browser: httpx.AsyncClient, provider: Provider, receiver: Receiver
) -> None:
    await provider.person(PHONE)
    await provider.person(OTHER)
    rp = await provider.register(backchannel_logout_uri=receiver.url("shared"))
    first = await provider.tokens_for(browser, rp, login=PHONE)
    second = await provider.tokens_for(browser, rp, login=OTHER, prompt="login")
    assert await provider.run_jobs() == 1
    (token,) = receiver.tokens("shared")
    first_sid = provider.unverified_claims(first["id_token"])["sid"]
    assert provider.unverified_claims(token)["sid"] == first_sid
    assert provider.unverified_claims(second["id_token"])["sid"] != first_sid
    old = {"Authorization": f"Bearer {first['access_token']}"}
    new = {"Authorization": f"Bearer {second['access_token']}"}
    assert (await provider.api.get("/oauth/userinfo", headers=old)).status_code == 401
    assert (await provider.api.get("/oauth/userinfo", headers=new)).status_code == 200


async def test_an_expired_id_token_is_still_a_valid_hint(
    browser: httpx.AsyncClient, provider: Provider, database: Database
) -> None:
    from app.auth import keys, tokens
    from app.config import Settings

    await provider.person(PHONE)
    rp = await provider.register()
    issued = await provider.tokens_for(browser, rp, login=PHONE)
    claims = provider.unverified_claims(issued["id_token"])
    settings: Settings = provider.settings
    async with database.session(write=False) as session:
        kid, key = await keys.signer(session, settings, tokens.ID_TOKEN_ALGORITHM)
    expired = tokens.sign(
        {**claims, "exp": claims["iat"] - 3000, "iat": claims["iat"] - 3600},
        key,
        kid=kid,
        typ=tokens.ID_TOKEN_TYP,
        algorithm=tokens.ID_TOKEN_ALGORITHM,
    )
    response = await browser.get(
        "/oauth/logout",
        params={
            "id_token_hint": expired,
            "post_logout_redirect_uri": rp.post_logout_redirect_uri,
            "state": "s1",
        },
    )
    assert response.status_code == 302
    assert response.headers["location"] == f"{rp.post_logout_redirect_uri}?state=s1"
