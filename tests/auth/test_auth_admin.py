"""The identity admin API: only platform admins; clients and staff with least privilege."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from oidc_support import Pkce, Provider
from sqlalchemy import select

from app.auth.models import OAuthClient, StaffRole
from app.config import Settings
from app.db import Database

CLIENTS = "/api/v1/admin/clients"


async def test_only_a_platform_admin_with_the_admin_scope_gets_in(
    api: httpx.AsyncClient,
    browser: httpx.AsyncClient,
    provider: Provider,
    staff_headers: Callable[..., Awaitable[dict[str, str]]],
) -> None:
    clerk = await staff_headers("gjj.clerk", StaffRole.CLERK, scope="openid admin")
    auditor = await staff_headers("gjj.auditor", StaffRole.AUDITOR, scope="openid admin")
    admin_without_scope = await staff_headers(
        "platform.other", StaffRole.PLATFORM_ADMIN, department="xzsp", scope="openid"
    )
    await provider.person("13844445555")
    rp = await provider.register()
    citizen = await provider.tokens_for(browser, rp, login="13844445555")
    for headers, status, code in (
        ({}, 401, "auth.unauthenticated"),
        (clerk, 403, "auth.role_required"),
        (auditor, 403, "auth.role_required"),
        (admin_without_scope, 403, "auth.insufficient_scope"),
        ({"Authorization": f"Bearer {citizen['access_token']}"}, 403, "auth.role_required"),
        (provider.admin, 200, None),
    ):
        response = await api.get(CLIENTS, headers=headers)
        assert response.status_code == status, response.text
        if code is not None:
            assert response.headers["content-type"] == "application/problem+json"
            assert response.json()["code"] == code
    scope_problem = await api.get(CLIENTS, headers=admin_without_scope)
    assert 'error="insufficient_scope", scope="admin"' in scope_problem.headers["www-authenticate"]


async def test_a_department_client_cannot_obtain_the_admin_scope(provider: Provider) -> None:
    response = await provider.api.post(
        CLIENTS,
        json={
            "name": "部门系统",
            "kind": "department",
            "redirect_uris": ["https://rp.example.gov.cn/cb"],
            "scopes": ["openid", "admin"],
        },
        headers=provider.admin,
    )
    assert response.status_code == 422
    assert response.json()["code"] == "auth.invalid_client_registration"


async def test_a_client_secret_is_shown_once_and_stored_as_a_digest(
    provider: Provider, database: Database
) -> None:
    rp = await provider.register()
    assert rp.client_secret
    assert len(rp.client_secret) >= 43
    shown = (await provider.api.get(f"{CLIENTS}/{rp.client_id}", headers=provider.admin)).json()
    assert "client_secret" not in shown
    assert shown["confidential"] is True
    assert shown["grant_types"] == ["authorization_code", "refresh_token"]
    assert "admin" not in shown["scopes"]
    async with database.session(write=False) as session:
        stored = await session.scalar(
            select(OAuthClient.secret_hash).where(OAuthClient.client_id == rp.client_id)
        )
    assert stored is not None
    assert rp.client_secret not in stored
    listed = await provider.api.get(CLIENTS, headers=provider.admin)
    assert rp.client_secret not in listed.text


async def test_a_reset_secret_replaces_the_old_one(provider: Provider) -> None:
    partner = await provider.register("partner")
    reset = await provider.api.post(f"{CLIENTS}/{partner.client_id}/secret", headers=provider.admin)
    new_secret = reset.json()["client_secret"]
    assert new_secret != partner.client_secret
    old = await provider.api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(partner.client_id, partner.client_secret or ""),
    )
    assert old.status_code == 401
    new = await provider.api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(partner.client_id, new_secret),
    )
    assert new.status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"kind": "department", "redirect_uris": ["qingeban://callback"]},
        {"kind": "department", "redirect_uris": ["https://rp.example.gov.cn/cb#frag"]},
        {"kind": "department", "redirect_uris": ["/relative/callback"]},
        {"kind": "department", "redirect_uris": ["javascript:alert(1)"]},
        {"kind": "department", "redirect_uris": []},
        {"kind": "department", "redirect_uris": ["https://a.example/cb"], "scopes": ["nope"]},
        {
            "kind": "first_party",
            "redirect_uris": ["qingeban://cb"],
            "grant_types": ["client_credentials"],
        },
        {"kind": "partner", "grant_types": ["refresh_token"]},
        {"kind": "partner", "redirect_uris": ["https://p.example/cb"]},
        {"kind": "partner", "scopes": ["staff"]},
        {"kind": "nonsense"},
    ],
    ids=[
        "custom-scheme-for-a-web-system",
        "fragment",
        "relative",
        "javascript",
        "no-redirect-for-code",
        "unknown-scope",
        "public-client-credentials",
        "refresh-without-code",
        "redirect-without-code",
        "staff-scope-for-partner",
        "unknown-kind",
    ],
)
async def test_registrations_that_grant_too_much_or_make_no_sense_are_refused(
    provider: Provider, body: dict[str, Any]
) -> None:
    response = await provider.api.post(CLIENTS, json={"name": "x", **body}, headers=provider.admin)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"


async def test_production_needs_https_redirect_uris(
    provider: Provider, settings: Settings, database: Database
) -> None:
    from app.audit.schemas import AuditContext
    from app.auth import clients
    from app.auth.errors import InvalidClient
    from app.auth.schemas import ClientCreate

    production = settings.model_copy(update={"env": "production"})
    async with database.session() as session:
        for uri, accepted in (
            ("http://rp.example.gov.cn/cb", False),
            ("http://127.0.0.1:9000/cb", True),
            ("https://rp.example.gov.cn/cb", True),
        ):
            data = ClientCreate(name="x", kind="department", redirect_uris=[uri])
            try:
                await clients.register(
                    session, production, data, audit_context=AuditContext(), actor=("system", "t")
                )
            except InvalidClient:
                assert not accepted, uri
            else:
                assert accepted, uri


async def test_staff_are_created_in_existing_departments_with_strong_passwords(
    provider: Provider, browser: httpx.AsyncClient
) -> None:
    staff = "/api/v1/admin/staff"
    base = {"name": "李静", "role": "department_admin"}
    unknown = await provider.api.post(
        staff, json={**base, "login": "x.li", "department_code": "nope"}, headers=provider.admin
    )
    assert unknown.status_code == 422
    assert unknown.json()["code"] == "catalog.unknown_department"
    weak = await provider.api.post(
        staff,
        json={**base, "login": "x.li", "department_code": "gjj", "password": "password"},
        headers=provider.admin,
    )
    assert weak.json()["code"] == "auth.weak_password"
    created = await provider.api.post(
        staff, json={**base, "login": "x.li", "department_code": "gjj"}, headers=provider.admin
    )
    assert created.status_code == 201
    assert len(created.json()["initial_password"]) >= 20
    taken = await provider.api.post(
        staff, json={**base, "login": "x.li", "department_code": "gjj"}, headers=provider.admin
    )
    assert taken.status_code == 409
    listed = await provider.api.get(staff, params={"department": "gjj"}, headers=provider.admin)
    assert [item["login"] for item in listed.json()["items"]] == ["x.li"]
    assert "initial_password" not in listed.text
    one = await provider.api.get(f"{staff}/{created.json()['id']}", headers=provider.admin)
    assert one.json()["department_code"] == "gjj"


async def test_client_registration_and_staff_creation_are_audited(provider: Provider) -> None:
    rp = await provider.register()
    await provider.api.post(
        "/api/v1/admin/staff",
        json={"login": "a.b", "name": "王", "role": "clerk", "department_code": "gjj"},
        headers=provider.admin,
    )
    records = await provider.api.get("/api/v1/admin/audit/records", headers=provider.admin)
    actions = {(r["action"], r["subject_type"]) for r in records.json()["items"]}
    assert ("auth.client_registered", "oauth_client") in actions
    assert ("auth.staff_created", "staff_member") in actions
    registered = [r for r in records.json()["items"] if r["subject_id"] == rp.client_id]
    assert registered[0]["actor_type"] == "staff"


async def test_a_public_first_party_client_signs_in_with_pkce_alone(
    provider: Provider, browser: httpx.AsyncClient
) -> None:
    app_client = await provider.register("first_party", redirect_uri="qingeban.gov://callback")
    assert app_client.client_secret is None
    assert app_client.body["confidential"] is False
    await provider.person("13844446666")
    tokens = await provider.tokens_for(browser, app_client, login="13844446666")
    assert {"access_token", "refresh_token", "id_token"} <= set(tokens)
    # Without a secret, the code is worth nothing to anyone lacking the PKCE verifier.
    pkce = Pkce()
    params, callback = await provider.sign_in(
        browser, app_client, pkce, login="13844446666", prompt="login"
    )
    stolen = await provider.token(
        app_client,
        grant_type="authorization_code",
        code=callback["code"],
        redirect_uri=params["redirect_uri"],
        code_verifier=Pkce().verifier,
    )
    assert stolen.json()["error"] == "invalid_grant"
    with_secret = await provider.api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(app_client.client_id, "guessed"),
    )
    assert with_secret.status_code == 401
