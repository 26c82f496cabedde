"""Tokens' states read together: concurrent introspections and bearer requests each get their own
token's answer, whichever batch their read went in (app.auth.token_states)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import httpx
import pytest
from oidc_support import Provider, RegisteredClient

from app.auth import token_states
from app.auth.token_states import AccessTokenState, TokenLookup
from app.db import Database

PHONE = "13855557777"


@pytest.fixture
def batches(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The size of each batch of token states read in one statement."""
    sizes: list[int] = []
    read = token_states.access_token_states

    async def counted(
        driver: object, lookups: Sequence[TokenLookup]
    ) -> list[AccessTokenState | None]:
        sizes.append(len(lookups))
        return await read(driver, lookups)

    monkeypatch.setattr(token_states, "access_token_states", counted)
    return sizes


async def _partner(provider: Provider) -> RegisteredClient:
    return await provider.register("partner", scopes=["licenses.verify"])


async def _client_token(provider: Provider, client: RegisteredClient) -> str:
    response = await provider.api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(client.client_id, client.client_secret or ""),
    )
    assert response.status_code == 200
    token: str = response.json()["access_token"]
    return token


async def test_concurrent_introspections_each_answer_for_their_own_token(
    browser: httpx.AsyncClient, provider: Provider, database: Database, batches: list[int]
) -> None:
    await provider.person(PHONE)
    first, second = await _partner(provider), await _partner(provider)
    firsts = [await _client_token(provider, first) for _ in range(3)]
    seconds = [await _client_token(provider, second) for _ in range(3)]
    department = await provider.register()
    revoked = await provider.tokens_for(browser, department, login=PHONE)
    refreshed = await provider.token(
        department, grant_type="refresh_token", refresh_token=revoked["refresh_token"]
    )
    assert refreshed.status_code == 200
    signed_in = refreshed.json()
    answer = await provider.api.post(
        "/oauth/revoke",
        data={"token": revoked["access_token"], "token_type_hint": "access_token"},
        auth=(department.client_id, department.client_secret or ""),
    )
    assert answer.status_code == 200
    # (who asks, which token, what it must hear): live tokens of each client, a person's
    # token, a revoked one, and tokens the asking client does not hold.
    cases = [
        *[(first, token, first.client_id) for token in firsts],
        *[(second, token, second.client_id) for token in seconds],
        (department, signed_in["access_token"], department.client_id),
        (department, revoked["access_token"], None),
        *[(second, token, None) for token in firsts],
        (department, seconds[0], None),
    ] * 3

    batches.clear()
    answers = await asyncio.gather(
        *(provider.introspect(client, token) for client, token, _ in cases)
    )
    for (_, token, holder), body in zip(cases, answers, strict=True):
        if holder is None:
            assert body == {"active": False}
        else:
            assert body["active"] is True
            assert body["client_id"] == holder
            assert body["jti"] == provider.unverified_claims(token)["jti"]
    if database.is_postgresql:
        # Every introspection read its state through the reader, and some went together.
        assert sum(batches) == len(cases)
        assert max(batches) > 1
    else:
        assert batches == [], "SQLite reads in the request's own unit of work"


async def test_a_token_revoked_between_two_reads_is_refused_by_the_second(
    provider: Provider, batches: list[int]
) -> None:
    client = await _partner(provider)
    token = await _client_token(provider, client)
    auth = (client.client_id, client.client_secret or "")
    before = await provider.api.post("/oauth/introspect", data={"token": token}, auth=auth)
    assert before.json()["active"] is True
    revoked = await provider.api.post("/oauth/revoke", data={"token": token}, auth=auth)
    assert revoked.status_code == 200
    after = await provider.api.post("/oauth/introspect", data={"token": token}, auth=auth)
    assert after.json() == {"active": False}
