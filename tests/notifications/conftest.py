"""Fixtures of the notification tests: a subscriber client, an issuing clerk, quick retries."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from client_support import client_credentials_headers

from app.auth.models import StaffRole
from app.config import Settings
from app.notifications import tasks

Headers = dict[str, str]


@pytest.fixture
def client_token(
    client: httpx.AsyncClient, admin_headers: Headers
) -> Callable[..., Awaitable[Headers]]:
    """Register a client through the admin API and return its client-credentials bearer header:
    `await client_token("department", ["webhooks"], department="scjg")`."""

    async def make(kind: str, scopes: list[str], department: str | None = None) -> Headers:
        body: dict[str, Any] = {"name": f"{kind} {department or ''} 系统", "kind": kind,
                                "scopes": scopes}  # fmt: skip
        if department is not None:
            body["department_code"] = department
        return await client_credentials_headers(client, admin_headers, body)

    return make


@pytest.fixture
async def scjg_clerk(staff_headers: Callable[..., Awaitable[Headers]]) -> Headers:
    """A clerk of market regulation, who issues the person licenses these tests use."""
    return await staff_headers("scjg.clerk", StaffRole.CLERK, department="scjg")


@pytest.fixture
def tuned(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Callable[..., Settings]:
    """`tuned(webhook_retry_seconds=[0.05])`: the settings the job handlers run with."""

    def tune(**overrides: Any) -> Settings:
        changed = settings.model_copy(update=overrides)
        monkeypatch.setattr(tasks, "get_settings", lambda: changed)
        return changed

    return tune
