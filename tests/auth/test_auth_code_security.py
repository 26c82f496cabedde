"""The authorization endpoint and authorization codes resist the usual attacks."""

from __future__ import annotations

import httpx
import pytest
from oidc_support import PASSWORD, Pkce, Provider, RegisteredClient, query_of

PHONE = "13811112222"


@pytest.fixture
async def rp(provider: Provider) -> RegisteredClient:
    await provider.person(PHONE)
    return await provider.register()


async def test_a_reused_code_fails_and_revokes_what_it_issued(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    pkce = Pkce()
    params, callback = await provider.sign_in(browser, rp, pkce, login=PHONE)
    redeem = {
        "grant_type": "authorization_code",
        "code": callback["code"],
        "redirect_uri": params["redirect_uri"],
        "code_verifier": pkce.verifier,
    }
    first = await provider.token(rp, **redeem)
    assert first.status_code == 200
    tokens = first.json()
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await provider.api.get("/oauth/userinfo", headers=bearer)).status_code == 200

    again = await provider.token(rp, **redeem)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    assert again.headers["cache-control"] == "no-store"
    # The code leaked: what it bought is revoked, access and refresh tokens alike.
    assert (await provider.api.get("/oauth/userinfo", headers=bearer)).status_code == 401
    refresh = await provider.token(
        rp, grant_type="refresh_token", refresh_token=tokens["refresh_token"]
    )
    assert refresh.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    "verifier",
    [Pkce().verifier, "", "short", None],
    ids=["another-verifier", "empty", "too-short", "missing"],
)
async def test_a_pkce_mismatch_is_refused(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient, verifier: str | None
) -> None:
    pkce = Pkce()
    params, callback = await provider.sign_in(browser, rp, pkce, login=PHONE)
    form = {"grant_type": "authorization_code", "code": callback["code"]}
    form["redirect_uri"] = params["redirect_uri"]
    if verifier is not None:
        form["code_verifier"] = verifier
    response = await provider.token(rp, **form)
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


@pytest.mark.parametrize(
    ("overrides", "error"),
    [
        ({"code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge_method": None}, "invalid_request"),
        ({"code_challenge": None}, "invalid_request"),
        ({"code_challenge": "not-a-sha256-challenge"}, "invalid_request"),
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": "code id_token"}, "unsupported_response_type"),
        ({"scope": "openid admin"}, "invalid_scope"),
        ({"scope": "openid licenses.verify"}, "invalid_scope"),
        ({"scope": "openid unheard-of"}, "invalid_scope"),
        ({"scope": None}, "invalid_request"),
        ({"prompt": "none"}, "login_required"),
        ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
    ],
    ids=[
        "plain-pkce",
        "pkce-method-missing",
        "pkce-missing",
        "pkce-malformed",
        "implicit",
        "hybrid",
        "admin-scope",
        "api-scope",
        "unknown-scope",
        "no-scope",
        "prompt-none-without-session",
        "request-object",
    ],
)
async def test_bad_requests_go_back_to_the_client_with_an_error(
    browser: httpx.AsyncClient,
    provider: Provider,
    rp: RegisteredClient,
    overrides: dict[str, str | None],
    error: str,
) -> None:
    params = provider.authorize_params(rp, Pkce(), **overrides)
    response = await browser.get("/oauth/authorize", params=params)
    assert response.status_code == 302
    location = response.headers["location"]
    assert location.startswith(rp.redirect_uri + "?")
    answer = query_of(location)
    assert answer["error"] == error
    assert answer["state"] == params["state"]
    assert "code" not in answer


@pytest.mark.parametrize(
    "redirect_uri",
    [
        "https://attacker.example.com/callback",
        "{registered}/more",
        "{registered}?extra=1",
        "{registered}#fragment",
        "{registered_upper}",
        None,
    ],
    ids=["other-host", "longer-path", "added-query", "fragment", "case-changed", "missing"],
)
async def test_an_unregistered_redirect_uri_is_shown_an_error_never_redirected(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient, redirect_uri: str | None
) -> None:
    uri = None
    if redirect_uri is not None:
        uri = redirect_uri.format(
            registered=rp.redirect_uri, registered_upper=rp.redirect_uri.upper()
        )
    params = provider.authorize_params(rp, Pkce(), redirect_uri=uri)
    response = await browser.get("/oauth/authorize", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers
    assert response.headers["content-type"].startswith("text/html")
    assert "redirect_uri is not registered" in response.text


async def test_an_unknown_client_is_shown_an_error(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    params = provider.authorize_params(rp, Pkce(), client_id="dept-unknown")
    response = await browser.get("/oauth/authorize", params=params)
    assert response.status_code == 400
    assert "location" not in response.headers


async def test_the_code_is_bound_to_its_redirect_uri_and_client(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    other = await provider.register()
    pkce = Pkce()
    params, callback = await provider.sign_in(browser, rp, pkce, login=PHONE)
    form = {
        "grant_type": "authorization_code",
        "code": callback["code"],
        "code_verifier": pkce.verifier,
    }
    wrong_uri = await provider.token(rp, **form, redirect_uri=rp.redirect_uri + "x")
    assert wrong_uri.json()["error"] == "invalid_grant"
    no_uri = await provider.token(rp, **form)
    assert no_uri.json()["error"] == "invalid_grant"
    wrong_client = await provider.token(other, **form, redirect_uri=other.redirect_uri)
    assert wrong_client.json()["error"] == "invalid_grant"
    # None of those spent the code: its own client still redeems it.
    right = await provider.token(rp, **form, redirect_uri=params["redirect_uri"])
    assert right.status_code == 200


async def test_state_is_echoed_and_nonce_only_when_sent(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    pkce = Pkce()
    params, callback = await provider.sign_in(browser, rp, pkce, login=PHONE, nonce=None)
    assert callback["state"] == params["state"]
    response = await provider.token(
        rp,
        grant_type="authorization_code",
        code=callback["code"],
        redirect_uri=params["redirect_uri"],
        code_verifier=pkce.verifier,
    )
    id_token = response.json()["id_token"]
    claims = provider.unverified_claims(id_token)
    assert "nonce" not in claims
    assert claims["aud"] == rp.client_id


async def test_max_age_and_prompt_login_ask_for_the_password_again(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    first = await provider.tokens_for(browser, rp, login=PHONE)
    silent = await browser.get("/oauth/authorize", params=provider.authorize_params(rp, Pkce()))
    assert silent.status_code == 302
    assert "code" in query_of(silent.headers["location"])
    for extra in ({"prompt": "login"}, {"max_age": "0"}):
        page = await browser.get(
            "/oauth/authorize", params=provider.authorize_params(rp, Pkce(), **extra)
        )
        assert page.status_code == 200
        assert 'name="password"' in page.text
    # Signing in again keeps the session (the same sid) and moves auth_time on.
    again = await provider.tokens_for(browser, rp, login=PHONE, password=PASSWORD, prompt="login")
    before = provider.unverified_claims(first["id_token"])
    after = provider.unverified_claims(again["id_token"])
    assert after["sid"] == before["sid"]
    assert after["auth_time"] >= before["auth_time"]
