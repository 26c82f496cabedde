"""HTTP hygiene: default headers on every answer, CORS for the listed front ends only, the
client's address from trusted proxies only, and documentation pages that need no CDN."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
from persona_support import SignIn
from settings_support import make_settings

from app.db import Database
from app.main import create_app

H5 = "https://h5.qingdao.example"
AsyncClientFactory = Callable[..., Any]


@asynccontextmanager
async def serve(
    database_url: str, database: Database, *, peer: str = "127.0.0.1", base: str = "http://t",
    **overrides: Any,
) -> AsyncIterator[httpx.AsyncClient]:  # fmt: skip
    """A client on an app built with `overrides`, connecting from `peer`."""
    app = create_app(make_settings(database_url, **overrides), database=database)
    transport = httpx.ASGITransport(app=app, client=(peer, 40000))
    async with app.router.lifespan_context(app):
        async with httpx.AsyncClient(transport=transport, base_url=base) as http:
            yield http


async def test_personal_answers_are_not_stored_and_carry_the_default_headers(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    me = await client.get("/api/v1/me", headers=await sign_in("renter"))
    assert me.status_code == 200
    assert me.headers["cache-control"] == "no-store"
    assert me.headers["x-content-type-options"] == "nosniff"
    assert me.headers["referrer-policy"] == "no-referrer"
    assert me.headers["x-frame-options"] == "DENY"
    assert "strict-transport-security" not in me.headers, "plain http: no HSTS"
    refused = await client.get("/api/v1/me")
    assert refused.status_code == 401
    assert refused.headers["cache-control"] == "no-store"
    # A published key set keeps its own, public caching.
    jwks = await client.get("/oauth/jwks")
    assert jwks.headers["cache-control"].startswith("public, max-age=")


async def test_https_answers_carry_hsts(database_url: str, database: Database) -> None:
    async with serve(database_url, database, base="https://t") as http:
        answer = await http.get("/healthz")
    assert answer.headers["strict-transport-security"].startswith("max-age=31536000")


async def test_cors_answers_the_listed_front_end_only(
    database_url: str, database: Database
) -> None:
    asked = "authorization,content-type,idempotency-key"
    preflight = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": asked}
    async with serve(database_url, database, cors_origins=[H5]) as http:
        allowed = await http.options("/api/v1/applications", headers={"Origin": H5, **preflight})
        stranger = await http.options(
            "/api/v1/applications", headers={"Origin": "https://evil.example", **preflight}
        )
        simple = await http.get("/api/v1/catalog/services?q=公积金", headers={"Origin": H5})
        refused = await http.get("/api/v1/me", headers={"Origin": H5})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == H5
    assert "idempotency-key" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in stranger.headers
    assert simple.headers["access-control-allow-origin"] == H5
    assert "x-request-id" in simple.headers["access-control-expose-headers"].lower()
    # A refusal is readable by the front end too (it needs the problem's code).
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == H5


async def test_without_a_list_no_origin_is_allowed(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/catalog/services?q=公积金", headers={"Origin": H5})
    assert "access-control-allow-origin" not in answer.headers


async def _login_statuses(http: httpx.AsyncClient, forwarded_for: list[str]) -> list[int]:
    """Wrong logins (each for another phone, so no login's own lockout counts), one per entry."""
    statuses = []
    for number, address in enumerate(forwarded_for):
        answer = await http.post(
            "/api/v1/auth/login",
            json={"method": "password", "login": f"1390000{number:04d}", "password": "x" * 10},
            headers={"X-Forwarded-For": address},
        )
        statuses.append(answer.status_code)
    return statuses


async def test_a_trusted_proxys_forwarded_address_is_the_one_limits_count(
    database_url: str, database: Database
) -> None:
    limits = {"login_attempts_per_address": 2, "trusted_proxies": ["10.0.0.0/8"]}
    # Through the load balancer (10.0.0.5): each client address has its own count, and a
    # client-supplied hop left of the real one changes nothing.
    async with serve(database_url, database, peer="10.0.0.5", **limits) as http:
        spread = await _login_statuses(http, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])
        spoofed = await _login_statuses(
            http, [f"198.51.100.{n}, 203.0.113.9, 10.0.0.7" for n in range(3)]
        )
    assert spread == [400, 400, 400]
    assert spoofed == [400, 400, 429], "203.0.113.9 is the client, whatever it put before"


async def test_an_untrusted_peers_forwarded_for_is_ignored(
    database_url: str, database: Database
) -> None:
    limits = {"login_attempts_per_address": 2, "trusted_proxies": ["10.0.0.0/8"]}
    async with serve(database_url, database, peer="192.0.2.7", **limits) as http:
        statuses = await _login_statuses(http, ["203.0.113.1", "203.0.113.2", "203.0.113.3"])
    assert statuses == [400, 400, 429], "a client cannot choose the address it is counted as"


async def test_the_documentation_pages_load_nothing_from_elsewhere(
    client: httpx.AsyncClient,
) -> None:
    for page in ("/docs", "/redoc"):
        html = await client.get(page)
        assert html.status_code == 200
        urls = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html.text)
        urls += re.findall(r"""url:\s*['"]([^'"]+)['"]""", html.text)
        assert urls, page
        for url in urls:
            assert url.startswith("/"), f"{page} loads {url} from elsewhere"
            asset = await client.get(url)
            assert asset.status_code == 200, url
        assert "https://" not in html.text, page
        assert "http://" not in html.text, page
    script = await client.get("/docs/assets/swagger-ui-bundle.js")
    assert script.headers["cache-control"] == "public, max-age=86400"
