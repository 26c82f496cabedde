"""Client credentials, client authentication, pairwise subjects, claims by scope, introspection
and revocation."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from oidc_support import Provider, RegisteredClient

PHONE = "13855556666"


@pytest.fixture
async def partner(provider: Provider) -> RegisteredClient:
    return await provider.register("partner", scopes=["licenses.verify", "stats.read"])


async def test_client_credentials_issue_an_access_token_only(
    provider: Provider, partner: RegisteredClient
) -> None:
    response = await provider.api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "scope": "licenses.verify"},
        auth=(partner.client_id, partner.client_secret or ""),
    )
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert body["scope"] == "licenses.verify"
    claims = provider.unverified_claims(body["access_token"])
    assert claims["sub"] == partner.client_id
    assert claims["client_id"] == partner.client_id
    # No user behind it: UserInfo has nothing to say.
    info = await provider.api.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    assert info.status_code == 403
    assert info.json()["error"] == "insufficient_scope"
    everything = await provider.token(partner, grant_type="client_credentials")
    assert everything.json()["scope"] == "licenses.verify stats.read"


@pytest.mark.parametrize(
    ("scope", "error"),
    [("openid", "invalid_scope"), ("staff", "invalid_scope"), ("nope", "invalid_scope")],
)
async def test_client_credentials_never_carry_user_scopes(
    provider: Provider, partner: RegisteredClient, scope: str, error: str
) -> None:
    response = await provider.token(partner, grant_type="client_credentials", scope=scope)
    assert response.status_code == 400
    assert response.json()["error"] == error


@pytest.mark.parametrize(
    ("auth", "form", "status", "error"),
    [
        (("{id}", "wrong"), {}, 401, "invalid_client"),
        (("unknown", "{secret}"), {}, 401, "invalid_client"),
        (None, {"client_id": "{id}"}, 401, "invalid_client"),
        (None, {}, 401, "invalid_client"),
        (("{id}", "{secret}"), {"client_secret": "{secret}"}, 400, "invalid_request"),
        (("{id}", "{secret}"), {"grant_type": "password"}, 400, "unsupported_grant_type"),
        (("{id}", "{secret}"), {"grant_type": None}, 400, "invalid_request"),
        (("{id}", "{secret}"), {"grant_type": "authorization_code"}, 400, "unauthorized_client"),
    ],
    ids=[
        "wrong-secret",
        "unknown-client",
        "no-secret",
        "no-client",
        "two-methods",
        "unsupported-grant",
        "no-grant",
        "grant-not-registered",
    ],
)
async def test_token_endpoint_errors(
    provider: Provider,
    partner: RegisteredClient,
    auth: tuple[str, str] | None,
    form: dict[str, str | None],
    status: int,
    error: str,
) -> None:
    def fill(value: str) -> str:
        return value.format(id=partner.client_id, secret=partner.client_secret)

    data = {"grant_type": "client_credentials"}
    for name, value in form.items():
        if value is None:
            data.pop(name, None)
        else:
            data[name] = fill(value)
    basic = (fill(auth[0]), fill(auth[1])) if auth else None
    response = await provider.api.post("/oauth/token", data=data, auth=basic)
    assert response.status_code == status
    assert response.json()["error"] == error
    if status == 401:
        assert response.headers["www-authenticate"].startswith("Basic")


async def test_pairwise_subjects_differ_per_client_and_match_userinfo(
    browser: httpx.AsyncClient, provider: Provider
) -> None:
    account_id = await provider.person(PHONE)
    one = await provider.register(subject_type="pairwise")
    two = await provider.register(subject_type="pairwise")
    public = await provider.register()
    seen = {}
    for rp in (one, two, public):
        tokens = await provider.tokens_for(browser, rp, login=PHONE, prompt="login")
        sub = provider.unverified_claims(tokens["id_token"])["sub"]
        info = await provider.api.get(
            "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
        )
        assert info.json()["sub"] == sub
        seen[rp.client_id] = sub
    assert seen[public.client_id] == account_id
    assert len({seen[one.client_id], seen[two.client_id], account_id}) == 3
    # Stable: the same client sees the same pairwise subject next time.
    again = await provider.tokens_for(browser, one, login=PHONE, prompt="login")
    assert provider.unverified_claims(again["id_token"])["sub"] == seen[one.client_id]


@pytest.mark.parametrize(
    ("scope", "claims"),
    [
        ("openid", {"sub"}),
        ("openid profile", {"sub", "name"}),
        ("openid phone", {"sub", "phone_number", "phone_number_verified"}),
        (
            "openid realname",
            {"sub", "name", "id_number_masked", "realname_level", "realname_verified_at"},
        ),
    ],
)
async def test_userinfo_releases_claims_by_scope(
    browser: httpx.AsyncClient, provider: Provider, scope: str, claims: set[str]
) -> None:
    await provider.person(PHONE, name="郑雪", id_number="370203199905190481")
    rp = await provider.register()
    tokens = await provider.tokens_for(browser, rp, login=PHONE, scope=scope)
    info = await provider.api.post(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert set(info.json()) == claims
    assert "370203199905190481" not in info.text
    no_openid = await provider.tokens_for(browser, rp, login=PHONE, scope="profile", prompt="login")
    assert "id_token" not in no_openid
    refused = await provider.api.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {no_openid['access_token']}"}
    )
    assert refused.status_code == 403


async def test_introspection_and_revocation_only_touch_the_callers_own_tokens(
    browser: httpx.AsyncClient, provider: Provider
) -> None:
    await provider.person(PHONE)
    mine = await provider.register()
    other = await provider.register()
    tokens = await provider.tokens_for(browser, mine, login=PHONE)

    introspect = provider.introspect
    active = await introspect(mine, tokens["access_token"])
    assert active["active"] is True
    assert active["client_id"] == mine.client_id
    assert active["token_type"] == "Bearer"
    assert await introspect(other, tokens["access_token"]) == {"active": False}
    # Another client's revocation is a silent no-op.
    foreign = await provider.api.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"]},
        auth=(other.client_id, other.client_secret or ""),
    )
    assert foreign.status_code == 200
    assert (await introspect(mine, tokens["refresh_token"]))["active"] is True
    # Revoking the refresh token revokes the grant, access token included.
    revoked = await provider.api.post(
        "/oauth/revoke",
        data={"token": tokens["refresh_token"], "token_type_hint": "refresh_token"},
        auth=(mine.client_id, mine.client_secret or ""),
    )
    assert revoked.status_code == 200
    assert await introspect(mine, tokens["refresh_token"]) == {"active": False}
    assert await introspect(mine, tokens["access_token"]) == {"active": False}
    for unknown in ("nothing-like-a-token", "a.b.c", tokens["refresh_token"]):
        answer = await provider.api.post(
            "/oauth/revoke",
            data={"token": unknown},
            auth=(mine.client_id, mine.client_secret or ""),
        )
        assert answer.status_code == 200


async def test_public_clients_cannot_introspect(provider: Provider) -> None:
    public = await provider.register("first_party", redirect_uri="qingeban.test://cb")
    response = await provider.api.post(
        "/oauth/introspect", data={"token": "x", "client_id": public.client_id}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


async def test_concurrent_client_credentials_tokens_are_each_recorded(
    provider: Provider, partner: RegisteredClient
) -> None:
    # On PostgreSQL the records of concurrent requests are inserted together (the token
    # ledger); each token is recorded before it is answered, so each introspects as active.
    # More requests than the pool has connections (20): none may hold one while it waits.
    answers = await asyncio.gather(
        *(provider.token(partner, grant_type="client_credentials") for _ in range(24))
    )
    assert {answer.status_code for answer in answers} == {200}
    tokens = [answer.json()["access_token"] for answer in answers]
    jtis = {provider.unverified_claims(token)["jti"] for token in tokens}
    assert len(jtis) == len(tokens)
    for token in tokens:
        introspected = await provider.api.post(
            "/oauth/introspect",
            data={"token": token},
            auth=(partner.client_id, partner.client_secret or ""),
        )
        assert introspected.json()["active"] is True
