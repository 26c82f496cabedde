"""Applying for any service as a persona, the way the app does it (app/burden.py): the
service's form prefilled by the platform, the rest chosen or typed with valid values, and an
upload for each required material nothing the platform holds stands in for."""

from __future__ import annotations

from typing import Any

import httpx
from persona_support import Headers

from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import get_exchange
from app.burden import apply_as_prefilled


async def apply(
    client: httpx.AsyncClient, headers: Headers, code: str, **given: Any
) -> httpx.Response:
    """Submit an application for `code` as the signed-in persona (not checked)."""
    _, answer = await apply_as_prefilled(client, headers, code, **given)
    assert answer is not None
    return answer


async def department_record(path: str) -> httpx.Response:
    """What a simulated department recorded of the platform's instructions (`path` such as
    "/gjj/disbursements/<number>"), read as the platform reads the department."""
    client = get_exchange().client
    endpoint = client.registry.endpoint("gjj")
    return await client.http.get(
        f"{SIMULATOR_BASE_URL}{path}",
        headers={
            "Authorization": f"Bearer {endpoint.token}",
            "X-Caller-System": client.registry.caller_system,
            "X-End-User": "test", "X-Purpose": "review",
        },
    )  # fmt: skip
