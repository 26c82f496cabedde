"""Idempotency-Key on creating POSTs, through the public API (here: creating staff members)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta

import httpx
from sqlalchemy import update

from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database
from app.idempotency import service
from app.idempotency.models import IdempotencyRecord
from app.kit.clock import utcnow

StaffHeaders = Callable[..., Awaitable[dict[str, str]]]

STAFF = "/api/v1/admin/staff"
CLERK = {"login": "gjj.wang", "name": "王芳", "role": "clerk", "department_code": "gjj"}


async def _staff_logins(client: httpx.AsyncClient, admin: dict[str, str]) -> list[str]:
    page = (await client.get(STAFF, params={"limit": 100}, headers=admin)).json()
    return [member["login"] for member in page["items"]]


async def test_a_retried_creation_answers_the_first_answer_and_creates_once(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "Idempotency-Key": "create-clerk-0001"}
    first = await client.post(STAFF, json=CLERK, headers=headers)
    assert first.status_code == 201
    assert "idempotent-replayed" not in first.headers
    again = await client.post(STAFF, json=CLERK, headers=headers)
    assert again.status_code == 201
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json(), "the same member and the same one-time password"
    assert (await _staff_logins(client, admin_headers)).count("gjj.wang") == 1


async def test_the_same_key_with_another_body_is_refused(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "Idempotency-Key": "create-clerk-0002"}
    assert (await client.post(STAFF, json=CLERK, headers=headers)).status_code == 201
    other = await client.post(STAFF, json={**CLERK, "login": "gjj.li"}, headers=headers)
    assert other.status_code == 422
    assert other.headers["content-type"] == "application/problem+json"
    assert other.json()["code"] == "idempotency.key_reused"
    assert "gjj.li" not in await _staff_logins(client, admin_headers)


async def test_an_error_answer_is_replayed_too_and_keys_are_per_caller(
    client: httpx.AsyncClient, admin_headers: dict[str, str], staff_headers: StaffHeaders
) -> None:
    bad = {**CLERK, "department_code": "nowhere"}
    headers = {**admin_headers, "Idempotency-Key": "k-3"}
    refused = await client.post(STAFF, json=bad, headers=headers)
    assert refused.status_code == 422
    replay = await client.post(STAFF, json=bad, headers=headers)
    assert replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == refused.json()
    # Another admin's key of the same name is another key.
    other_admin = await staff_headers(
        "platform.admin2", StaffRole.PLATFORM_ADMIN, department="xzsp", scope="openid admin"
    )
    theirs = await client.post(STAFF, json=CLERK, headers={**other_admin, "Idempotency-Key": "k-3"})
    assert theirs.status_code == 201
    assert "idempotent-replayed" not in theirs.headers


async def test_a_malformed_key_is_refused_and_no_key_means_no_replay(
    client: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    long_key = {**admin_headers, "Idempotency-Key": "k" * 256}
    refused = await client.post(STAFF, json=CLERK, headers=long_key)
    assert refused.status_code == 422
    assert refused.json()["code"] == "idempotency.key_invalid"
    assert (await client.post(STAFF, json=CLERK, headers=admin_headers)).status_code == 201
    twice = await client.post(STAFF, json=CLERK, headers=admin_headers)
    assert twice.status_code == 409, "without a key, a repeat is a new request"


async def test_expired_keys_are_purged_and_live_ones_kept(database: Database) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    for key in ("old", "new"):
        decision = await service.begin(database, settings, caller="c", key=key, body=b"{}")
        assert isinstance(decision, service.Claimed)
    async with database.session() as session:
        await session.execute(
            update(IdempotencyRecord)
            .where(IdempotencyRecord.key == "old")
            .values(expires_at=utcnow() - timedelta(seconds=1))
        )
    async with database.session() as session:
        assert await service.purge_expired(session) == 1
    again = await service.begin(database, settings, caller="c", key="new", body=b"{}")
    assert again == service.Refused("in_flight"), "the live key is still there"
