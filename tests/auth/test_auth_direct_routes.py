"""The token and introspection endpoints, answered without the router (app.ops.direct_routes):
every layer around them still does its duty, and their errors are answered as a routed
request's would be."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from oidc_support import ISSUER, Provider, RegisteredClient, transport

from app.auth import endpoints_oidc


def _count(metrics: str, route: str, status: int) -> float:
    pattern = (
        r'^qingeban_http_requests_total\{[^}]*method="POST"[^}]*route="'
        + re.escape(route)
        + r'"[^}]*status="'
        + str(status)
        + r'"[^}]*\} (\S+)$'
    )
    return sum(float(value) for value in re.findall(pattern, metrics, re.MULTILINE))


@pytest.fixture
async def partner(provider: Provider) -> RegisteredClient:
    return await provider.register("partner", scopes=["licenses.verify"])


async def test_a_token_request_gets_every_layers_headers_and_is_counted_by_its_route(
    provider: Provider, partner: RegisteredClient
) -> None:
    before = (await provider.api.get("/metrics")).text
    response = await provider.api.post(
        "/oauth/token",
        data={"grant_type": "client_credentials"},
        auth=(partner.client_id, partner.client_secret or ""),
        headers={"X-Request-ID": "partner-call-1"},
    )
    assert response.status_code == 200
    assert response.headers["x-request-id"] == "partner-call-1"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "no-store"
    refused = await provider.api.post(
        "/oauth/introspect",
        data={"token": response.json()["access_token"]},
        auth=(partner.client_id, "wrong"),
    )
    assert refused.status_code == 401
    assert refused.json()["error"] == "invalid_client"
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["x-request-id"])
    after = (await provider.api.get("/metrics")).text
    assert _count(after, "/oauth/token", 200) == _count(before, "/oauth/token", 200) + 1
    assert _count(after, "/oauth/introspect", 401) == _count(before, "/oauth/introspect", 401) + 1


async def test_other_methods_on_their_paths_are_still_routed(provider: Provider) -> None:
    response = await provider.api.get("/oauth/token")
    assert response.status_code == 405
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "POST" in response.headers["allow"]


async def test_an_unreadable_form_is_answered_by_the_apps_error_handler(
    provider: Provider,
) -> None:
    response = await provider.api.post(
        "/oauth/token",
        content=b"--x\r\nnot a part",
        headers={"Content-Type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_crash_is_contained_as_for_any_route(
    app: FastAPI, partner: RegisteredClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def broken(request: object) -> dict[str, str]:
        raise RuntimeError("the form reader broke")

    monkeypatch.setattr(endpoints_oidc.forms, "read", broken)
    # A caller of its own: the fixtures' callers refuse every 500.
    async with httpx.AsyncClient(transport=transport(app), base_url=ISSUER) as caller:
        response = await caller.post(
            "/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(partner.client_id, partner.client_secret or ""),
        )
    assert response.status_code == 500
    problem = response.json()
    assert response.headers["content-type"].startswith("application/problem+json")
    assert "incident_id" in problem
    assert "the form reader broke" not in response.text
