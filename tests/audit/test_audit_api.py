"""The admin endpoints: chain verification and the record list; the request's audit context."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit.dependencies import AuditContextDep
from app.audit.models import AuditRecord
from app.audit.schemas import AuditEntry, ChainReport
from app.ops.middleware import RequestContextMiddleware

MakeChain = Callable[[int], Awaitable[None]]
Tamper = Callable[[Callable[[AsyncConnection], Awaitable[None]]], Awaitable[None]]
Verify = Callable[..., Awaitable[ChainReport]]


@pytest.fixture(autouse=True)
def _as_platform_admin(client: httpx.AsyncClient, admin_headers: dict[str, str]) -> None:
    """These tests call the admin API as a platform admin."""
    client.headers.update(admin_headers)


async def test_verify_reports_an_intact_chain(
    client: httpx.AsyncClient, make_chain: MakeChain
) -> None:
    await make_chain(3)
    response = await client.get("/api/v1/admin/audit/verify")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert (body["records_checked"], body["first_broken_seq"], body["reason"]) == (3, None, None)
    assert body["head_seq"] == 3
    assert len(body["head_hash"]) == 64


async def test_verify_reports_the_first_broken_link(
    client: httpx.AsyncClient, verify: Verify, make_chain: MakeChain, tamper: Tamper
) -> None:
    await make_chain(5)

    async def remove(connection: AsyncConnection) -> None:
        await connection.execute(delete(AuditRecord).where(AuditRecord.seq == 2))

    await tamper(remove)
    response = await client.get("/api/v1/admin/audit/verify")
    assert response.status_code == 200
    body = response.json()
    assert (body["ok"], body["first_broken_seq"], body["reason"]) == (False, 3, "sequence_gap")
    assert (await verify()).model_dump(mode="json") == body


async def test_records_are_listed_newest_first_page_by_page(
    client: httpx.AsyncClient, make_chain: MakeChain
) -> None:
    await make_chain(5)
    first = await client.get("/api/v1/admin/audit/records", params={"limit": 2})
    assert first.status_code == 200
    page = first.json()
    assert [item["seq"] for item in page["items"]] == [5, 4]
    assert page["items"][0]["subject_id"] == "L-0005"
    assert "before" not in page["items"][0]
    assert "after" not in page["items"][0]

    seen = [item["seq"] for item in page["items"]]
    cursor = page["next_cursor"]
    while cursor:
        more = await client.get(
            "/api/v1/admin/audit/records", params={"limit": 2, "cursor": cursor}
        )
        seen += [item["seq"] for item in more.json()["items"]]
        cursor = more.json()["next_cursor"]
    assert seen == [5, 4, 3, 2, 1]


async def test_records_of_one_subject(client: httpx.AsyncClient, make_chain: MakeChain) -> None:
    await make_chain(4)
    response = await client.get(
        "/api/v1/admin/audit/records", params={"subject_type": "license", "subject_id": "L-0002"}
    )
    assert [item["seq"] for item in response.json()["items"]] == [2]
    other = await client.get("/api/v1/admin/audit/records", params={"subject_type": "application"})
    assert other.json() == {"items": [], "next_cursor": None}


async def test_bad_list_queries_are_explained(client: httpx.AsyncClient) -> None:
    no_type = await client.get("/api/v1/admin/audit/records", params={"subject_id": "L-1"})
    assert no_type.status_code == 422
    assert no_type.json()["code"] == "audit.subject_id_without_type"
    bad_cursor = await client.get("/api/v1/admin/audit/records", params={"cursor": "not-a-cursor"})
    assert bad_cursor.status_code == 422
    assert bad_cursor.json()["code"] == "pagination.invalid_cursor"


async def test_the_audit_context_carries_the_request_id_and_client_address() -> None:
    app = FastAPI()
    app.add_middleware(RequestContextMiddleware)

    @app.get("/context")
    async def context(audit: AuditContextDep) -> dict[str, Any]:
        entry: AuditEntry = audit.entry(
            actor_type="person",
            actor_id="p-1",
            action="profile.viewed",
            subject_type="person",
            subject_id="p-1",
        )
        return {"request_id": entry.request_id, "client_address": entry.client_address}

    transport = httpx.ASGITransport(app=app, client=("198.51.100.4", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        response = await http.get("/context", headers={"X-Request-Id": "trace-123"})
    assert response.json() == {"request_id": "trace-123", "client_address": "198.51.100.4"}
