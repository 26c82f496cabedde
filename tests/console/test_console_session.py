"""The console's session over plain HTTP against the running server: sign-in through the
provider (code + PKCE), the headers of a page, CSRF on every form, back-channel logout and
sign-out ending the session, a forged sign-in refused."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from application_forms import kindergarten_continuation, rent_withdrawal
from console_support import Server, add_staff, citizen_headers
from persona_support import PERSONAS, PNG, submitted

from app.audit.schemas import AuditContext
from app.auth import console_client
from app.auth import service as auth
from app.auth.logout import backchannel_logout_token
from app.auth.models import ClientKind
from app.auth.schemas import ClientCreate
from app.auth.tokens import unverified_claims
from app.db import Database
from app.demo import DEMO_STAFF_PASSWORD

RENT = "gjj.withdraw.rent"
KINDERGARTEN = "jyj.kindergarten-licence.continue"


async def _signed_in(browser: httpx.AsyncClient, login: str) -> None:
    page = await browser.get("/console/cases", follow_redirects=True)
    assert "/oauth/authorize" in str(page.url), page.url
    hidden = dict(re.findall(r'name="(request_id|csrf_token)" value="([^"]*)"', page.text))
    signed = await browser.post(
        "/oauth/login", follow_redirects=True,
        data={**hidden, "login": login, "password": DEMO_STAFF_PASSWORD},
    )  # fmt: skip
    assert signed.status_code == 200, signed.text
    assert str(signed.url).endswith("/console/cases"), signed.url


@pytest.fixture
async def clerk(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """gjj.clerk signed in to the console by following the redirects as a browser does."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as browser:
        await _signed_in(browser, "gjj.clerk")
        yield browser


def _cookie(browser: httpx.AsyncClient) -> str:
    return str(browser.cookies.get("qe_console"))


async def test_a_console_page_is_never_cached_framed_or_given_inline_script(
    clerk: httpx.AsyncClient,
) -> None:
    page = await clerk.get("/console/cases")
    assert page.status_code == 200
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert page.headers["cache-control"] == "no-store"
    assert "<script>" not in page.text, "no inline script"
    assert '<script src="/console/static/htmx.min.js"' in page.text
    asset = await clerk.get("/console/static/htmx.min.js")
    assert asset.status_code == 200
    assert "javascript" in asset.headers["content-type"]


async def test_a_form_without_the_sessions_csrf_token_changes_nothing(
    server: Server, clerk: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        owner = await citizen_headers(api, "flat_owner")
        case = await submitted(api, owner, RENT, rent_withdrawal(PERSONAS["flat_owner"]))
    path = f"/console/cases/{case['id']}/claim"
    assert (await clerk.post(path)).status_code == 403
    assert (await clerk.post(path, data={"csrf_token": "0" * 64})).status_code == 403
    page = await clerk.get(f"/console/cases/{case['id']}")
    assert '<dd id="case-status">pending_review</dd>' in page.text
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert token is not None
    claimed = await clerk.post(path, data={"csrf_token": token.group(1)})
    assert claimed.status_code == 303
    page = await clerk.get(f"/console/cases/{case['id']}")
    assert '<dd id="case-status">in_review</dd>' in page.text


async def test_back_channel_logout_ends_the_console_session(
    server: Server, clerk: httpx.AsyncClient
) -> None:
    sid = unverified_claims(_cookie(clerk))["sid"]
    refused = await clerk.post("/console/backchannel-logout", data={"logout_token": "x"})
    assert refused.status_code == 400
    database = Database.from_url(server.settings.database_url)
    try:
        async with database.session() as session:
            made = await backchannel_logout_token(
                session, server.settings, client_id=console_client.CLIENT_ID, sid=sid, jti="j1"
            )
    finally:
        await database.dispose()
    assert made is not None
    token, uri = made
    assert uri == f"{server.url}/console/backchannel-logout"
    assert (await clerk.get("/console/cases")).status_code == 200
    async with httpx.AsyncClient(timeout=30) as provider:
        told = await provider.post(uri, data={"logout_token": token})
    assert told.status_code == 200
    after = await clerk.get("/console/cases")
    assert after.status_code == 303
    assert after.headers["location"].startswith("/console/login")


async def test_signing_out_ends_the_single_sign_on(clerk: httpx.AsyncClient) -> None:
    page = await clerk.get("/console/cases")
    token = re.search(r'name="csrf_token" value="([0-9a-f]{64})"', page.text)
    assert token is not None
    out = await clerk.post("/console/logout", data={"csrf_token": token.group(1)})
    assert out.status_code == 303
    again = await clerk.get("/console/cases", follow_redirects=True)
    assert "/oauth/authorize" in str(again.url), "the SSO session ended too: the login page"


async def test_a_forged_or_replayed_sign_in_is_refused(
    server: Server, clerk: httpx.AsyncClient
) -> None:
    forged = await clerk.get("/console/callback", params={"code": "x" * 43, "state": "forged"})
    assert forged.status_code == 400
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as stranger:
        arrived = await stranger.get("/console/callback", params={"code": "x", "state": "y"})
        assert arrived.status_code == 400
        outside = await stranger.get("/console/login", params={"next": "https://evil.example/"})
        assert outside.status_code == 303
        assert outside.headers["location"].startswith("/oauth/authorize?")


async def _partner_token(server: Server, scopes: list[str]) -> dict[str, str]:
    database = Database.from_url(server.settings.database_url)
    try:
        async with database.session() as session:
            created = await auth.register_client(
                session, server.settings,
                ClientCreate(name="城市大脑大屏", kind=ClientKind.PARTNER,
                             grant_types=["client_credentials"], scopes=scopes),
                audit_context=AuditContext(), actor=("system", "tests"),
            )  # fmt: skip
    finally:
        await database.dispose()
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        token = await http.post("/oauth/token", data={
            "grant_type": "client_credentials", "client_id": created.client_id,
            "client_secret": created.client_secret})  # fmt: skip
    assert token.status_code == 200, token.text
    return {"Authorization": f"Bearer {token.json()['access_token']}"}


async def test_a_wall_screens_stats_read_client_sees_the_screen_and_nothing_else(
    server: Server,
) -> None:
    screen = await _partner_token(server, ["stats.read"])
    verifier = await _partner_token(server, ["licenses.verify"])
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as wall:
        shown = await wall.get("/console/dashboard", headers=screen)
        assert shown.status_code == 200
        assert 'data-figure="applications.today"' in shown.text
        figures = await wall.get("/console/dashboard/figures", headers=screen)
        assert figures.status_code == 200
        assert (await wall.get("/console/dashboard", headers=verifier)).status_code == 403
        assert (await wall.get("/console/cases", headers=screen)).status_code == 303, (
            "a bearer token opens no other console page: to sign-in"
        )


async def test_a_material_is_shown_inline_sandboxed_to_its_departments_clerks_only(
    server: Server, clerk: httpx.AsyncClient
) -> None:
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as api:
        school = await citizen_headers(api, "kindergarten")
        uscc = PERSONAS["kindergarten"].enterprise_uscc
        acting = await api.post("/api/v1/auth/act-as", headers=school, json={"uscc": uscc})
        assert acting.status_code == 200, acting.text
        school = {"Authorization": f"Bearer {acting.json()['access_token']}"}
        case = await submitted(api, school, KINDERGARTEN,
                               kindergarten_continuation(PERSONAS["kindergarten"]))  # fmt: skip
    await add_staff(server, "jyj.wang", "教育局窗口王芳", "jyj")
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as jyj:
        await _signed_in(jyj, "jyj.wang")
        page = await jyj.get(f"/console/cases/{case['id']}")
        links = re.findall(rf'href="(/console/cases/{case["id"]}/materials/[0-9a-f-]+)"', page.text)
        assert len(links) == 3, "the three uploads the registry holds no license for"
        shown = await jyj.get(links[0])
        assert shown.status_code == 200
        assert shown.headers["content-type"] == "image/png"
        assert shown.headers["content-disposition"].startswith("inline;")
        assert "sandbox" in shown.headers["content-security-policy"]
        assert shown.headers["cache-control"] == "no-store"
        assert shown.content == PNG
    assert (await clerk.get(links[0])).status_code == 404, "another department's clerk"


async def test_the_contracts_console_review_is_the_clerks_workbench(
    client: httpx.AsyncClient,
) -> None:
    moved = await client.get("/console/review")
    assert moved.status_code == 308
    assert moved.headers["location"] == "/console/cases"
    # Signed out, the workbench sends the browser to sign in first.
    workbench = await client.get("/console/cases")
    assert workbench.status_code == 303
    assert workbench.headers["location"].startswith("/console/login")
