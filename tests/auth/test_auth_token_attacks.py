"""Forged and misused access tokens are refused by the API and by UserInfo.

Claim checks (issuer, audience, times) are tested with tokens signed by the provider's own key,
so that only the claim can be what makes them fail; a control token signed the same way with
the genuine claims is accepted. The same key is what a thief of it would have: a token it signs
is still refused unless the provider issued exactly those claims.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jose import jwk, jwt
from oidc_support import ISSUER
from sqlalchemy import event

from app.auth import keys, tokens
from app.config import Settings
from app.db import Database

ADMIN_API = "/api/v1/admin/staff"


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(header: dict[str, Any], claims: dict[str, Any]) -> str:
    return f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims).encode())}"


def parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, claims, _ = token.split(".")
    return (
        json.loads(base64.urlsafe_b64decode(header + "==")),
        json.loads(base64.urlsafe_b64decode(claims + "==")),
    )


@pytest.fixture
def genuine(admin_headers: dict[str, str]) -> str:
    """A platform admin's real access token (scopes openid and admin)."""
    return admin_headers["Authorization"].removeprefix("Bearer ")


@pytest.fixture
async def resign(database: Database, settings: Settings) -> Callable[..., Any]:
    """Sign claims with the provider's own active key, as only the provider could."""

    async def sign(
        claims: dict[str, Any],
        typ: str = tokens.ACCESS_TOKEN_TYP,
        algorithm: str = settings.access_token_algorithm,
    ) -> str:
        async with database.session(write=False) as session:
            kid, key = await keys.signer(session, settings, algorithm)
        return tokens.sign(claims, key, kid=kid, typ=typ, algorithm=algorithm)

    return sign


async def refused_everywhere(api: httpx.AsyncClient, token: str) -> None:
    bearer = {"Authorization": f"Bearer {token}"}
    admin = await api.get(ADMIN_API, headers=bearer)
    assert admin.status_code == 401, admin.text
    assert admin.headers["content-type"] == "application/problem+json"
    assert admin.json()["code"] == "auth.invalid_token"
    assert 'error="invalid_token"' in admin.headers["www-authenticate"]
    info = await api.get("/oauth/userinfo", headers=bearer)
    assert info.status_code == 401
    assert info.json()["error"] == "invalid_token"


async def test_the_genuine_token_and_a_faithful_resigning_are_accepted(
    api: httpx.AsyncClient, genuine: str, resign: Callable[..., Any]
) -> None:
    _, claims = parts(genuine)
    for token in (genuine, await resign(claims)):
        bearer = {"Authorization": f"Bearer {token}"}
        assert (await api.get(ADMIN_API, headers=bearer)).status_code == 200
        assert (await api.get("/oauth/userinfo", headers=bearer)).json()["sub"] == claims["sub"]


async def test_alg_none_is_refused(api: httpx.AsyncClient, genuine: str) -> None:
    header, claims = parts(genuine)
    await refused_everywhere(api, unsigned({**header, "alg": "none"}, claims) + ".")


async def test_hs256_keyed_with_the_public_key_is_refused(
    api: httpx.AsyncClient, genuine: str
) -> None:
    header, claims = parts(genuine)
    (published,) = [
        key for key in (await api.get("/oauth/jwks")).json()["keys"] if key["kid"] == header["kid"]
    ]
    pem = jwk.construct(published, published["alg"]).to_pem()
    signing_input = unsigned({**header, "alg": "HS256"}, claims)
    mac = hmac.new(pem, signing_input.encode(), hashlib.sha256).digest()
    await refused_everywhere(api, f"{signing_input}.{b64(mac)}")


@pytest.mark.parametrize(
    "change",
    [
        {"iss": "https://evil.example.com"},
        {"aud": "dept-someone-else"},
        {"aud": ISSUER + "/other"},
        {"exp": int(time.time()) - 3600},
        {"nbf": int(time.time()) + 3600},
        {"client_id": "no-such-client"},
    ],
    ids=["wrong-iss", "client-audience", "wrong-aud", "expired", "not-yet-valid", "unknown-client"],
)
async def test_claims_are_checked(
    api: httpx.AsyncClient, genuine: str, resign: Callable[..., Any], change: dict[str, Any]
) -> None:
    _, claims = parts(genuine)
    await refused_everywhere(api, await resign({**claims, **change}))


async def test_an_id_token_is_not_an_access_token(
    api: httpx.AsyncClient, genuine: str, resign: Callable[..., Any]
) -> None:
    _, claims = parts(genuine)
    await refused_everywhere(api, await resign(claims, typ=tokens.ID_TOKEN_TYP))


async def test_a_signature_under_another_familys_kid_is_refused(
    api: httpx.AsyncClient, genuine: str
) -> None:
    header, claims = parts(genuine)
    assert header["alg"] == "ES256"
    (rsa_kid,) = [
        key["kid"]
        for key in (await api.get("/oauth/jwks")).json()["keys"]
        if key["alg"] == "RS256" and key["kid"] != header["kid"]
    ][:1]
    _, _, signature = genuine.split(".")
    # The ES256 signature stays; the header names the RS256 key, with either algorithm.
    for alg in ("ES256", "RS256"):
        relabelled = unsigned({**header, "kid": rsa_kid, "alg": alg}, claims)
        await refused_everywhere(api, f"{relabelled}.{signature}")


async def test_unknown_kid_is_refused(api: httpx.AsyncClient, genuine: str) -> None:
    header, claims = parts(genuine)
    stranger = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = stranger.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    forged = jwt.encode(claims, pem, algorithm="RS256", headers={"kid": "nobody", "typ": "at+jwt"})
    await refused_everywhere(api, forged)
    # The provider's own kid on a stranger's signature is a tampered signature.
    impostor = jwt.encode(
        claims, pem, algorithm="RS256", headers={"kid": header["kid"], "typ": "at+jwt"}
    )
    await refused_everywhere(api, impostor)


async def test_tampered_tokens_are_refused(api: httpx.AsyncClient, genuine: str) -> None:
    header, claims = parts(genuine)
    _, _, signature = genuine.split(".")
    widened = unsigned(header, {**claims, "scope": claims["scope"] + " licenses.verify"})
    await refused_everywhere(api, f"{widened}.{signature}")
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    await refused_everywhere(api, genuine.rsplit(".", 1)[0] + "." + flipped)


@pytest.mark.parametrize(
    "authorization",
    ["", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer not-a-jwt", "Bearer a.b.c"],
)
async def test_missing_or_malformed_tokens_are_401_problems(
    api: httpx.AsyncClient, authorization: str
) -> None:
    response = await api.get(ADMIN_API, headers={"Authorization": authorization})
    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] in {"auth.unauthenticated", "auth.invalid_token"}
    assert response.headers["www-authenticate"].startswith('Bearer realm="qingeban"')


def never_issued(claims: dict[str, Any]) -> dict[str, Any]:
    return {**claims, "jti": "minted-with-the-key-alone"}


def widened(claims: dict[str, Any]) -> dict[str, Any]:
    """An issued token's own jti, with more scope than was granted."""
    return {**claims, "scope": claims["scope"] + " licenses.verify webhooks"}


def as_its_client(claims: dict[str, Any]) -> dict[str, Any]:
    """A client-credentials token of the genuine token's client, which needs no grant."""
    cut = {name: value for name, value in claims.items() if name not in {"gid", "sid", "auth_time"}}
    return {**cut, "sub": claims["client_id"], "jti": "minted-for-the-client"}


@pytest.mark.parametrize(
    "forge", [never_issued, widened, as_its_client], ids=lambda forge: forge.__name__
)
async def test_a_token_signed_with_the_key_but_never_issued_is_refused(
    api: httpx.AsyncClient,
    genuine: str,
    resign: Callable[..., Any],
    forge: Callable[[dict[str, Any]], dict[str, Any]],
) -> None:
    _, claims = parts(genuine)
    await refused_everywhere(api, await resign(forge(claims)))
    bearer = {"Authorization": f"Bearer {genuine}"}
    assert (await api.get(ADMIN_API, headers=bearer)).status_code == 200, "the real one works"


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    """The SQL statements run on the database while the block runs: on PostgreSQL as asyncpg
    sends them (the hottest look-ups bypass SQLAlchemy's execution, app.db.fetch_driver_row),
    on SQLite as SQLAlchemy runs them."""
    seen: list[str] = []
    if not database.is_postgresql:

        def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            seen.append(statement.lower())

        event.listen(database.engine.sync_engine, "before_cursor_execute", note)
        try:
            yield seen
        finally:
            event.remove(database.engine.sync_engine, "before_cursor_execute", note)
        return

    def log(query: Any) -> None:
        seen.append(query.query.lower())

    watched: list[Any] = []

    def watch(dbapi_connection: Any, _record: Any, _proxy: Any) -> None:
        driver = dbapi_connection.driver_connection
        if driver not in watched:
            driver.add_query_logger(log)
            watched.append(driver)

    event.listen(database.engine.sync_engine.pool, "checkout", watch)
    try:
        yield seen
    finally:
        event.remove(database.engine.sync_engine.pool, "checkout", watch)
        for driver in watched:
            driver.remove_query_logger(log)


async def test_a_token_is_checked_in_one_query(
    api: httpx.AsyncClient, genuine: str, database: Database
) -> None:
    bearer = {"Authorization": f"Bearer {genuine}"}
    assert (await api.get(ADMIN_API, headers=bearer)).status_code == 200  # keys cached
    with statements(database) as seen:
        assert (await api.get(ADMIN_API, headers=bearer)).status_code == 200
    token_tables = ("access_tokens", "oauth_clients", "oauth_grants", "sso_sessions")
    about_the_token = [sql for sql in seen if any(table in sql for table in token_tables)]
    assert len(about_the_token) == 1, about_the_token
    assert all(table in about_the_token[0] for table in token_tables)
