"""City code fixtures: the verifiers (a partner's system with `code.verify`, counter clerks)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from persona_support import Headers

from app.auth.models import StaffRole

MakeClient = Callable[..., Awaitable[Headers]]


@pytest.fixture
def partner_system(client: httpx.AsyncClient, admin_headers: Headers) -> MakeClient:
    """Register a partner's system through the admin API and return the bearer header of its
    client-credentials token: `await partner_system(["code.verify"])`."""

    async def make(scopes: list[str], name: str = "市立医院挂号系统") -> Headers:
        body: dict[str, Any] = {
            "name": name,
            "kind": "partner",
            "grant_types": ["client_credentials"],
            "scopes": scopes,
        }
        registered = await client.post("/api/v1/admin/clients", json=body, headers=admin_headers)
        assert registered.status_code == 201, registered.text
        created = registered.json()
        token = await client.post(
            "/oauth/token",
            data={
                "grant_type": "client_credentials",
                "client_id": created["client_id"],
                "client_secret": created["client_secret"],
            },
        )
        assert token.status_code == 200, token.text
        return {"Authorization": f"Bearer {token.json()['access_token']}"}

    return make


@pytest.fixture
async def hospital(partner_system: MakeClient) -> Headers:
    """A hospital's registration system, allowed to verify city codes."""
    return await partner_system(["code.verify"])


@pytest.fixture
def counter_clerk(staff_headers: Callable[..., Awaitable[Headers]]) -> MakeClient:
    """A clerk at a service counter: `await counter_clerk("gjj.counter1")`."""

    async def make(login: str = "gjj.counter", role: StaffRole = StaffRole.CLERK) -> Headers:
        return await staff_headers(login, role, department="gjj")

    return make
