"""Acceptance: a certified OpenID Connect client library (Authlib) drives the provider end to end.

discovery → authorize (the login form) → token → ID token verified against the JWKS → userinfo
→ refresh → revoke → introspect → logout; a second client gets a code from the SSO session
without a login, and logout delivers back-channel logout tokens to both.
"""

from __future__ import annotations

import secrets
from typing import Any

import httpx
from authlib.integrations.httpx_client import AsyncOAuth2Client
from authlib.jose import JsonWebKey, JsonWebToken
from authlib.oidc.core import CodeIDToken
from fastapi import FastAPI
from oidc_support import (
    ISSUER,
    PASSWORD,
    Provider,
    Receiver,
    hidden_fields,
    query_of,
    transport,
)

PHONE = "13912345678"
RS256 = JsonWebToken(["RS256"])
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"


def relying_party(
    app: FastAPI, client_id: str, secret: str | None, redirect: str, **kw: Any
) -> AsyncOAuth2Client:
    """A relying party built on Authlib's OAuth 2.0 / OpenID Connect client."""
    return AsyncOAuth2Client(
        client_id=client_id,
        client_secret=secret,
        scope="openid profile phone realname",
        redirect_uri=redirect,
        code_challenge_method="S256",
        transport=transport(app, ("192.0.2.10", 443)),
        **kw,
    )


def verify_id_token(
    token: str, jwks: dict[str, Any], *, client_id: str, nonce: str, access: str
) -> dict[str, Any]:
    """Authlib's ID token validation: signature (JWKS), iss, aud, exp, iat, nonce, at_hash."""
    claims = RS256.decode(
        token,
        JsonWebKey.import_key_set(jwks),
        claims_cls=CodeIDToken,
        claims_options={"iss": {"essential": True, "value": ISSUER}},
        claims_params={"nonce": nonce, "client_id": client_id, "access_token": access},
    )
    claims.validate()
    return dict(claims)


async def test_authlib_signs_in_single_sign_on_and_single_sign_out(
    app: FastAPI, browser: httpx.AsyncClient, provider: Provider, receiver: Receiver
) -> None:
    account_id = await provider.person(PHONE, name="王晓明", id_number="370212198904124492")
    first = await provider.register(backchannel_logout_uri=receiver.url("first"))
    second = await provider.register(backchannel_logout_uri=receiver.url("second"))

    async with relying_party(app, first.client_id, first.client_secret, first.redirect_uri) as rp:
        discovery = (
            await rp.request(
                "GET", f"{ISSUER}/.well-known/openid-configuration", withhold_token=True
            )
        ).json()
        assert discovery["issuer"] == ISSUER
        jwks = (await rp.request("GET", discovery["jwks_uri"], withhold_token=True)).json()

        # The browser follows the authorization URL and fills in the login form.
        verifier, nonce = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url, state = rp.create_authorization_url(
            discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce
        )
        page = await browser.get(url)
        assert page.status_code == 200
        assert "登录" in page.text
        signed_in = await browser.post(
            "/oauth/login", data={**hidden_fields(page.text), "login": PHONE, "password": PASSWORD}
        )
        assert signed_in.status_code == 303
        callback = signed_in.headers["location"]
        assert query_of(callback)["iss"] == ISSUER

        token = await rp.fetch_token(
            discovery["token_endpoint"],
            authorization_response=callback,
            code_verifier=verifier,
            state=state,
        )
        assert token["token_type"] == "Bearer"
        assert {"access_token", "refresh_token", "id_token", "expires_in"} <= set(token)
        claims = verify_id_token(
            token["id_token"],
            jwks,
            client_id=first.client_id,
            nonce=nonce,
            access=token["access_token"],
        )
        assert claims["sub"] == account_id  # department clients see the public subject
        assert claims["amr"] == ["pwd"]
        assert {"auth_time", "sid", "acr"} <= set(claims)

        info = (await rp.get(discovery["userinfo_endpoint"])).json()
        assert info["sub"] == claims["sub"]
        assert info["name"] == "王晓明"
        assert info["phone_number"] == "+86" + PHONE
        assert info["id_number_masked"] == "370212********4492"
        assert info["realname_level"] == "L1"

        old_refresh = token["refresh_token"]
        refreshed = await rp.refresh_token(discovery["token_endpoint"])
        assert refreshed["refresh_token"] != old_refresh
        assert refreshed["access_token"] != token["access_token"]
        refreshed_claims = RS256.decode(refreshed["id_token"], JsonWebKey.import_key_set(jwks))
        assert refreshed_claims["sub"] == claims["sub"]
        assert refreshed_claims["auth_time"] == claims["auth_time"]
        assert "nonce" not in refreshed_claims

        revoked = await rp.revoke_token(
            discovery["revocation_endpoint"],
            token=refreshed["access_token"],
            token_type_hint="access_token",
        )
        assert revoked.status_code == 200
        introspected = await rp.introspect_token(
            discovery["introspection_endpoint"], token=refreshed["access_token"]
        )
        assert introspected.json() == {"active": False}
        live = await rp.introspect_token(
            discovery["introspection_endpoint"], token=refreshed["refresh_token"]
        )
        assert live.json()["active"] is True

    # A second department system: the SSO session signs the user in without the login page.
    async with relying_party(
        app,
        second.client_id,
        second.client_secret,
        second.redirect_uri,
        token_endpoint_auth_method="client_secret_post",
    ) as rp2:
        verifier2, nonce2 = secrets.token_urlsafe(48), secrets.token_urlsafe(16)
        url2, state2 = rp2.create_authorization_url(
            discovery["authorization_endpoint"], code_verifier=verifier2, nonce=nonce2
        )
        straight_back = await browser.get(url2)
        assert straight_back.status_code == 302
        callback2 = straight_back.headers["location"]
        assert callback2.startswith(second.redirect_uri)
        token2 = await rp2.fetch_token(
            discovery["token_endpoint"],
            authorization_response=callback2,
            code_verifier=verifier2,
            state=state2,
        )
        claims2 = verify_id_token(
            token2["id_token"],
            jwks,
            client_id=second.client_id,
            nonce=nonce2,
            access=token2["access_token"],
        )
        assert claims2["sid"] == claims["sid"]
        assert claims2["auth_time"] == claims["auth_time"]

    # RP-initiated logout from the first client ends the session for both.
    logout = await browser.get(
        discovery["end_session_endpoint"],
        params={
            "id_token_hint": token["id_token"],
            "post_logout_redirect_uri": first.post_logout_redirect_uri,
            "state": "bye",
        },
    )
    assert logout.status_code == 302
    assert logout.headers["location"] == f"{first.post_logout_redirect_uri}?state=bye"
    assert await provider.run_jobs() == 2
    for name, client in (("first", first), ("second", second)):
        (logout_token,) = receiver.tokens(name)
        header = JsonWebKey.import_key_set(jwks)  # the same keys verify logout tokens
        decoded = RS256.decode(logout_token, header)
        assert decoded.header["typ"] == "logout+jwt"
        assert decoded["iss"] == ISSUER
        assert decoded["aud"] == client.client_id
        assert decoded["sid"] == claims["sid"]
        assert decoded["sub"] == account_id
        assert decoded["events"] == {LOGOUT_EVENT: {}}
        assert "nonce" not in decoded

    # Everything issued in the session is dead, and the next sign-in asks for the password.
    userinfo = await provider.api.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {token2['access_token']}"}
    )
    assert userinfo.status_code == 401
    dead = await provider.token(
        first, grant_type="refresh_token", refresh_token=refreshed["refresh_token"]
    )
    assert dead.json()["error"] == "invalid_grant"
    again = await browser.get(url2)
    assert again.status_code == 200
    assert 'name="password"' in again.text
