"""Registering a client system through the admin API, as an admin would, and signing it in."""

from __future__ import annotations

from typing import Any

import httpx

Headers = dict[str, str]


async def client_credentials_headers(
    client: httpx.AsyncClient, admin_headers: Headers, registration: dict[str, Any]
) -> Headers:
    """Register a client (`POST /api/v1/admin/clients`) and return the bearer header of its
    client-credentials token."""
    body = {"grant_types": ["client_credentials"], **registration}
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
