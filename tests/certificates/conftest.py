"""E-license test fixtures: issuers (department clients, clerks) and holders (citizens)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from client_support import client_credentials_headers
from license_support import PASSWORD, Headers, MakeHeaders, id_number, person_license

from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database


@pytest.fixture
def citizen(client: httpx.AsyncClient, database: Database, settings: Settings) -> MakeHeaders:
    """Make a person account with this ID number and return a bearer header after logging in
    through the first-party API: `await citizen("13700001111", id_number())`."""

    async def make(phone: str, holder_id: str | None, name: str = "李娜") -> Headers:
        async with database.session() as session:
            await auth.create_person_account(
                session, settings, phone=phone, password=PASSWORD, name=name,
                id_number=holder_id, audit_context=AuditContext(), actor=("system", "tests"),
            )  # fmt: skip
        response = await client.post(
            "/api/v1/auth/login", json={"method": "password", "login": phone, "password": PASSWORD}
        )
        assert response.status_code == 200, response.text
        return {"Authorization": f"Bearer {response.json()['access_token']}"}

    return make


@pytest.fixture
def department_client(client: httpx.AsyncClient, admin_headers: Headers) -> MakeHeaders:
    """Register a department system through the admin API and return the bearer header of a
    client-credentials token: `await department_client("scjg", ["licenses:issue"])`."""

    async def make(department: str | None, scopes: list[str]) -> Headers:
        body: dict[str, Any] = {"name": f"{department} 业务系统", "kind": "department",
                                "scopes": scopes, "department_code": department}  # fmt: skip
        return await client_credentials_headers(client, admin_headers, body)

    return make


@pytest.fixture
async def scjg_clerk(staff_headers: Callable[..., Awaitable[Headers]]) -> Headers:
    """A clerk of market regulation, the issuer of the person type."""
    return await staff_headers("scjg.clerk", StaffRole.CLERK, department="scjg")


@pytest.fixture
async def issued(
    client: httpx.AsyncClient, scjg_clerk: Headers
) -> Callable[..., Awaitable[dict[str, Any]]]:
    """Issue a person license as the scjg clerk and return it."""

    async def issue(holder_id: str | None = None, **overrides: Any) -> dict[str, Any]:
        body = person_license(holder_id or id_number(), **overrides)
        response = await client.post("/api/v1/licenses", json=body, headers=scjg_clerk)
        assert response.status_code == 201, response.text
        return dict(response.json())

    return issue
