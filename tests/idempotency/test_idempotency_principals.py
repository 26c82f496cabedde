"""Idempotency keys belong to whom the token speaks for, not to the token: a refreshed token
retries the same key, other people and enterprises never meet it, and a token that does not
verify neither stores nor replays anything."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from persona_support import PERSONAS, Headers, SignIn, uploaded
from sqlalchemy import func, select

from app.adapters.simulator.personas import DEMO_PASSWORD
from app.auth import access
from app.auth import service as auth
from app.db import Database
from app.idempotency.models import IdempotencyRecord

APPLICATIONS = "/api/v1/applications"
DOG_LICENCE = "gaj.t020"  # 养犬登记证核发: manual, for a person (L2), 5 working days
KINDERGARTEN = "jyj.kindergarten-licence.continue"


async def _login(client: httpx.AsyncClient, persona: str) -> dict[str, Any]:
    """The first-party app's token response (access and refresh token) for a persona."""
    answer = await client.post(
        "/api/v1/auth/login",
        json={"method": "password", "login": PERSONAS[persona].login, "password": DEMO_PASSWORD},
    )
    assert answer.status_code == 200, answer.text
    tokens: dict[str, Any] = answer.json()
    return tokens


async def _refreshed(client: httpx.AsyncClient, tokens: dict[str, Any]) -> Headers:
    answer = await client.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": auth.FIRST_PARTY_APP_ID,
    })  # fmt: skip
    assert answer.status_code == 200, answer.text
    fresh = answer.json()["access_token"]
    assert fresh != tokens["access_token"]
    return _bearer(fresh)


def _bearer(token: str) -> Headers:
    return {"Authorization": f"Bearer {token}"}


async def _dog_licence(client: httpx.AsyncClient, headers: Headers, persona: str) -> dict[str, Any]:
    """A complete application of a person for a dog licence (its form upload made once)."""
    person = PERSONAS[persona]
    return {
        "service_code": DOG_LICENCE,
        "form": {
            "applicant_name": person.name, "id_number": person.id_number, "phone": person.login,
            "matter_description": "为家中饲养的一只柯基犬办理养犬登记",
        },
        "materials": await uploaded(client, headers, "application-form"),
    }  # fmt: skip


async def _kindergarten(client: httpx.AsyncClient, agent: Headers) -> dict[str, Any]:
    """The kindergarten's licence continuation, filed by its legal representative."""
    persona = PERSONAS["kindergarten"]
    form = {
        "unit_name": "青岛市小太阳幼儿园", "uscc": persona.enterprise_uscc,
        "contact_name": persona.name, "phone": persona.login,
        "kindergarten_name": "青岛市小太阳幼儿园", "licence_number": "教民137020000001868号",
        "school_address": "山东省青岛市莱西市石岛路223号", "classes": 6, "capacity": 180,
        "expires_on": "2027-01-08",
    }  # fmt: skip
    codes = ("org-certificate", "fire-safety", "audit-report")
    return {
        "service_code": KINDERGARTEN,
        "form": form,
        "materials": await uploaded(client, agent, *codes),
    }


async def _cases(client: httpx.AsyncClient, headers: Headers) -> list[dict[str, Any]]:
    listed = await client.get(APPLICATIONS, headers=headers)
    assert listed.status_code == 200, listed.text
    items: list[dict[str, Any]] = listed.json()["items"]
    return items


async def _records(database: Database) -> int:
    async with database.session(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


def _with_key(headers: Headers, key: str) -> Headers:
    return {**headers, "Idempotency-Key": key}


async def test_a_retry_with_a_refreshed_token_is_the_first_answer_and_one_case(
    client: httpx.AsyncClient, world: None
) -> None:
    tokens = await _login(client, "renter")
    first_token = _bearer(tokens["access_token"])
    body = await _dog_licence(client, first_token, "renter")
    first = await client.post(APPLICATIONS, headers=_with_key(first_token, "dog-1"), json=body)
    assert first.status_code == 201, first.text
    assert "idempotent-replayed" not in first.headers

    refreshed = await _refreshed(client, tokens)
    again = await client.post(APPLICATIONS, headers=_with_key(refreshed, "dog-1"), json=body)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert [case["id"] for case in await _cases(client, refreshed)] == [first.json()["id"]]

    other = {**body, "form": {**body["form"], "matter_description": "再登记一只狗"}}
    reused = await client.post(APPLICATIONS, headers=_with_key(refreshed, "dog-1"), json=other)
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency.key_reused"
    assert len(await _cases(client, refreshed)) == 1


async def test_two_people_with_the_same_key_never_meet(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    renter, buyer = await sign_in("renter"), await sign_in("buyer")
    mine = await client.post(
        APPLICATIONS, headers=_with_key(renter, "same-key"),
        json=await _dog_licence(client, renter, "renter"),
    )  # fmt: skip
    theirs = await client.post(
        APPLICATIONS, headers=_with_key(buyer, "same-key"),
        json=await _dog_licence(client, buyer, "buyer"),
    )  # fmt: skip
    # Shared keys would have answered 422 (another body under the same key).
    assert (mine.status_code, theirs.status_code) == (201, 201), theirs.text
    assert "idempotent-replayed" not in theirs.headers
    assert theirs.json()["form"]["applicant_name"] == PERSONAS["buyer"].name
    assert [case["id"] for case in await _cases(client, buyer)] == [theirs.json()["id"]]


async def test_acting_for_an_enterprise_and_for_oneself_are_two_key_spaces(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    agent = await sign_in("kindergarten", enterprise=True)
    herself = await sign_in("kindergarten")
    body = await _kindergarten(client, agent)
    filed = await client.post(APPLICATIONS, headers=_with_key(agent, "k-1"), json=body)
    assert filed.status_code == 201, filed.text

    # The same body under the same key, as herself: the route answers her (only an enterprise
    # files this), not the enterprise's stored case.
    as_herself = await client.post(APPLICATIONS, headers=_with_key(herself, "k-1"), json=body)
    assert "idempotent-replayed" not in as_herself.headers
    assert as_herself.status_code == 422
    assert as_herself.json()["code"] == "applications.invalid"
    # And the key is hers to use for her own application.
    own = await client.post(
        APPLICATIONS, headers=_with_key(herself, "k-2"),
        json=await _dog_licence(client, herself, "kindergarten"),
    )  # fmt: skip
    assert own.status_code == 201, own.text
    agent_again = await client.post(
        APPLICATIONS, headers=_with_key(agent, "k-2"), json=await _kindergarten(client, agent)
    )
    # The route ran (the enterprise's key k-2 is not hers): its first case is still open.
    assert agent_again.status_code == 409, agent_again.text
    assert agent_again.json()["code"] == "applications.open_case_exists"
    assert "idempotent-replayed" not in agent_again.headers


def _forged(victim: str, forger: str) -> str:
    """The victim's header and claims under the forger's signature: what a forger can make."""
    head, claims, _ = victim.split(".")
    return f"{head}.{claims}.{forger.split('.')[2]}"


def _claims(token: str) -> dict[str, Any]:
    payload = token.split(".")[1]
    padded = payload + "=" * (-len(payload) % 4)
    decoded: dict[str, Any] = json.loads(base64.urlsafe_b64decode(padded))
    return decoded


async def test_a_forged_or_expired_token_is_401_and_stores_nothing(
    client: httpx.AsyncClient, world: None, database: Database, travel: Callable[[str], None]
) -> None:
    victim = (await _login(client, "renter"))["access_token"]
    forger = (await _login(client, "buyer"))["access_token"]
    body = await _dog_licence(client, _bearer(victim), "renter")
    first = await client.post(APPLICATIONS, headers=_with_key(_bearer(victim), "v-1"), json=body)
    assert first.status_code == 201
    assert await _records(database) == 1

    forged = _bearer(_forged(victim, forger))
    assert _claims(_forged(victim, forger))["sub"] == _claims(victim)["sub"]
    for key in ("v-1", "v-2"):
        refused = await client.post(APPLICATIONS, headers=_with_key(forged, key), json=body)
        assert refused.status_code == 401
        assert refused.json()["code"] == "auth.invalid_token"
        assert "idempotent-replayed" not in refused.headers
    assert await _records(database) == 1

    travel("2026-11-24T09:30:00+08:00")  # the access tokens (10 minutes) have expired
    expired = await client.post(APPLICATIONS, headers=_with_key(_bearer(victim), "v-3"), json=body)
    assert expired.status_code == 401
    assert expired.json()["code"] == "auth.invalid_token"
    assert await _records(database) == 1
    # Nothing was kept of the 401: the key runs anew with a valid token.
    fresh = _bearer((await _login(client, "renter"))["access_token"])
    retried = await client.post(APPLICATIONS, headers=_with_key(fresh, "v-3"), json=body)
    # It ran (one open case per service: the first is still waiting for a clerk).
    assert retried.status_code == 409, retried.text
    assert retried.json()["open_case"]["number"] == first.json()["number"]
    assert "idempotent-replayed" not in retried.headers


@pytest.mark.parametrize("key", [None, "verify-once"])
async def test_a_token_is_verified_once_per_request(
    client: httpx.AsyncClient, sign_in: SignIn, monkeypatch: pytest.MonkeyPatch, key: str | None
) -> None:
    headers = await sign_in("renter")
    body = await _dog_licence(client, headers, "renter")
    verified = 0
    original = access.verify

    async def counting(*args: Any, **kwargs: Any) -> Any:
        nonlocal verified
        verified += 1
        return await original(*args, **kwargs)

    monkeypatch.setattr(access, "verify", counting)
    sent = headers if key is None else _with_key(headers, key)
    assert (await client.post(APPLICATIONS, headers=sent, json=body)).status_code == 201
    assert verified == 1
