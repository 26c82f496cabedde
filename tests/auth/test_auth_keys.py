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


def kid_of(token: str) -> str:
    header = token.split(".")[0]
    return str(json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"])


async def test_the_jwks_publishes_rsa_signing_keys_with_kid_use_and_alg(
    api: httpx.AsyncClient,
) -> None:
    keys = await jwks(api)
    assert len(keys) == 2  # the active key and the next one
    for kid, key in keys.items():
        assert key["kid"] == kid
        assert (key["kty"], key["use"], key["alg"]) == ("RSA", "sig", "RS256")
        assert set(key) == {"kty", "kid", "use", "alg", "n", "e"}  # no private parts


async def test_rotation_signs_with_the_published_next_key_and_keeps_the_old_one(
    browser: httpx.AsyncClient, provider: Provider
) -> None:
    await provider.person(PHONE)
    rp = await provider.register()
    before = await jwks(provider.api)
    old_tokens = await provider.tokens_for(browser, rp, login=PHONE)
    old_kid = kid_of(old_tokens["access_token"])
    (next_kid,) = set(before) - {old_kid}

    listed = await provider.api.get("/api/v1/admin/keys", headers=provider.admin)
    states = {key["kid"]: key["state"] for key in listed.json()["items"]}
    assert states == {old_kid: "active", next_kid: "next"}

    await publish_next_key_now(provider.database)
    too_soon = await provider.api.post("/api/v1/admin/keys/rotate", headers=provider.admin)
    assert too_soon.status_code == 409
    assert too_soon.json()["code"] == "auth.key_rotation_too_soon"
    rotated = await provider.api.post(
        "/api/v1/admin/keys/rotate", params={"force": "true"}, headers=provider.admin
    )
    assert rotated.status_code == 200
    rotation = rotated.json()
    # The key that signs now was in the JWKS before it signed anything.
    assert rotation["active"] == next_kid
    assert rotation["retired"] == old_kid
    after = await jwks(provider.api)
    assert set(after) == {old_kid, next_kid, rotation["next"]}

    new_tokens = await provider.tokens_for(browser, rp, login=PHONE, prompt="login")
    assert kid_of(new_tokens["access_token"]) == next_kid
    assert kid_of(new_tokens["id_token"]) == next_kid
    # Tokens signed before the rotation keep working until they expire.
    for tokens in (old_tokens, new_tokens):
        info = await provider.api.get(
            "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert info.status_code == 200
    listed = await provider.api.get("/api/v1/admin/keys", headers=provider.admin)
    retired = {key["kid"]: key for key in listed.json()["items"]}[old_kid]
    assert retired["state"] == "retired"
    assert retired["publish_until"] > retired["retired_at"]
