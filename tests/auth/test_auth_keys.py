"""Signing keys: the JWKS, and rotation that publishes the next key before it signs."""

from __future__ import annotations

import base64
import json

import httpx
from oidc_support import Provider, publish_next_key_now

PHONE = "13866667777"


async def jwks(api: httpx.AsyncClient) -> dict[str, dict[str, str]]:
    response = await api.get("/oauth/jwks")
    assert response.status_code == 200
    assert "max-age" in response.headers["cache-control"]
    return {key["kid"]: key for key in response.json()["keys"]}


def header_of(token: str) -> dict[str, str]:
    header = token.split(".")[0]
    decoded: dict[str, str] = json.loads(
        base64.urlsafe_b64decode(header + "=" * (-len(header) % 4))
    )
    return decoded


def kid_of(token: str) -> str:
    return header_of(token)["kid"]


async def test_the_jwks_publishes_an_rs256_and_an_es256_family_with_kid_use_and_alg(
    api: httpx.AsyncClient,
) -> None:
    keys = await jwks(api)
    # Each family: the active key and the next one.
    assert sorted(key["alg"] for key in keys.values()) == ["ES256", "ES256", "RS256", "RS256"]
    for kid, key in keys.items():
        assert key["kid"] == kid
        assert key["use"] == "sig"
        if key["alg"] == "RS256":
            assert set(key) == {"kty", "kid", "use", "alg", "n", "e"}  # no private parts
            assert key["kty"] == "RSA"
        else:
            assert set(key) == {"kty", "crv", "kid", "use", "alg", "x", "y"}  # no "d"
            assert (key["kty"], key["crv"]) == ("EC", "P-256")


async def test_access_tokens_are_es256_and_id_tokens_rs256(
    browser: httpx.AsyncClient, provider: Provider
) -> None:
    await provider.person(PHONE)
    rp = await provider.register()
    tokens = await provider.tokens_for(browser, rp, login=PHONE)
    published = await jwks(provider.api)
    assert header_of(tokens["access_token"])["alg"] == "ES256"
    assert published[kid_of(tokens["access_token"])]["alg"] == "ES256"
    assert header_of(tokens["id_token"])["alg"] == "RS256"
    assert published[kid_of(tokens["id_token"])]["alg"] == "RS256"


async def test_rotation_signs_with_the_published_next_key_and_keeps_the_old_one(
    browser: httpx.AsyncClient, provider: Provider
) -> None:
    await provider.person(PHONE)
    rp = await provider.register()
    before = await jwks(provider.api)
    old_tokens = await provider.tokens_for(browser, rp, login=PHONE)
    old_access, old_id = kid_of(old_tokens["access_token"]), kid_of(old_tokens["id_token"])
    next_of = {
        alg: next(
            k for k, key in before.items() if key["alg"] == alg and k not in (old_access, old_id)
        )
        for alg in ("ES256", "RS256")
    }

    listed = await provider.api.get("/api/v1/admin/keys", headers=provider.admin)
    states = {key["kid"]: key["state"] for key in listed.json()["items"]}
    assert states == {
        old_access: "active",
        old_id: "active",
        next_of["ES256"]: "next",
        next_of["RS256"]: "next",
    }

    await publish_next_key_now(provider.database)
    too_soon = await provider.api.post("/api/v1/admin/keys/rotate", headers=provider.admin)
    assert too_soon.status_code == 409
    assert too_soon.json()["code"] == "auth.key_rotation_too_soon"
    rotated = await provider.api.post(
        "/api/v1/admin/keys/rotate", params={"force": "true"}, headers=provider.admin
    )
    assert rotated.status_code == 200
    rotations = {rotation["algorithm"]: rotation for rotation in rotated.json()}
    # In each family the key that signs now was in the JWKS before it signed anything.
    assert rotations["ES256"]["active"] == next_of["ES256"]
    assert rotations["ES256"]["retired"] == old_access
    assert rotations["RS256"]["active"] == next_of["RS256"]
    assert rotations["RS256"]["retired"] == old_id
    after = await jwks(provider.api)
    assert set(after) == set(before) | {rotation["next"] for rotation in rotations.values()}

    new_tokens = await provider.tokens_for(browser, rp, login=PHONE, prompt="login")
    assert kid_of(new_tokens["access_token"]) == next_of["ES256"]
    assert kid_of(new_tokens["id_token"]) == next_of["RS256"]
    # Tokens signed before the rotation keep working until they expire.
    for tokens in (old_tokens, new_tokens):
        info = await provider.api.get(
            "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert info.status_code == 200
    listed = await provider.api.get("/api/v1/admin/keys", headers=provider.admin)
    retired = {key["kid"]: key for key in listed.json()["items"]}[old_access]
    assert retired["state"] == "retired"
    assert retired["publish_until"] > retired["retired_at"]
