"""A verifier checks a city code offline: with the keys the platform publishes and a JOSE
library of its own (joserfc here; the platform signs with python-jose), and learns from the
code alone that it is genuine and live, not who presents it."""

from __future__ import annotations

import json

import httpx
import pytest
from joserfc import jwt
from joserfc.errors import BadSignatureError, ExpiredTokenError, UnsupportedAlgorithmError
from joserfc.jwk import KeySet
from persona_support import PERSONAS, SignIn

from app.config import Settings
from app.kit.clock import utcnow

PERSONA = PERSONAS["renter"]


async def test_a_code_verifies_offline_with_the_published_keys(
    client: httpx.AsyncClient, sign_in: SignIn, settings: Settings
) -> None:
    person = await sign_in(PERSONA.key)
    issued = await client.get("/api/v1/me/code", headers=person)
    assert issued.status_code == 200, issued.text
    code, jwks_uri = issued.json()["code"], issued.json()["jwks_uri"]
    # Fetched once, ahead of time: the verifier needs nothing online afterwards.
    published = await client.get(jwks_uri.removeprefix(settings.issuer_url))
    assert published.status_code == 200, published.text
    keys = KeySet.import_key_set(published.json())

    token = jwt.decode(code, keys, algorithms=["ES256"])
    assert token.header["alg"] == "ES256"
    assert token.header["typ"] == "city-code+jwt"
    assert token.header["kid"] in {key["kid"] for key in published.json()["keys"]}
    now = int(utcnow().timestamp())
    live = jwt.JWTClaimsRegistry(
        now=now,
        iss={"essential": True, "value": settings.issuer_url},
        exp={"essential": True},
        iat={"essential": True},
        jti={"essential": True},
    )
    live.validate(token.claims)
    assert token.claims["exp"] - token.claims["iat"] == 60

    # Past its end the same library refuses it.
    later = jwt.JWTClaimsRegistry(now=token.claims["exp"] + 1, exp={"essential": True})
    with pytest.raises(ExpiredTokenError):
        later.validate(token.claims)
    # One changed claim, or an algorithm the verifier does not allow, and it does not verify.
    header, claims, signature = code.split(".")
    with pytest.raises(BadSignatureError):
        jwt.decode(f"{header}.{claims[:-2]}AA.{signature}", keys, algorithms=["ES256"])
    with pytest.raises(UnsupportedAlgorithmError):
        jwt.decode(code, keys, algorithms=["RS256"])

    # The code carries no personal data: only an opaque reference to the person.
    assert set(token.claims) == {"iss", "sub", "jti", "iat", "exp"}
    me = (await client.get("/api/v1/me", headers=person)).json()
    text = json.dumps(token.claims, ensure_ascii=False)
    for secret in (me["account_id"], me["sub"], PERSONA.id_number, PERSONA.name, PERSONA.login):
        assert secret not in text
    again = jwt.decode((await client.get("/api/v1/me/code", headers=person)).json()["code"], keys)
    assert again.claims["sub"] != token.claims["sub"], "two codes of one person are unlinkable"
