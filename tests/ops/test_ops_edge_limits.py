"""Size limits at the edge: a body over QE_MAX_BODY_BYTES (1 MiB) is 413 — refused from its
Content-Length before a byte is read, or cut off as it streams — and header fields over
QE_MAX_HEADER_BYTES (16 KiB) are 431, before any token check, idempotency key or route works
for them. Uploads keep their own, larger, streaming limit."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
from persona_support import PNG, SignIn, upload
from sqlalchemy import func, select

from app.db import Database
from app.idempotency.models import IdempotencyRecord

PROBLEM = "application/problem+json"
MIB = 1024 * 1024
CHUNK = 64 * 1024


class Body:
    """A request body sent in chunks, counting how many the app asked for."""

    def __init__(self, total: int, fill: bytes = b" ") -> None:
        self.total = total
        self.fill = fill
        self.chunks_read = 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        sent = 0
        while sent < self.total:
            self.chunks_read += 1
            size = min(CHUNK, self.total - sent)
            sent += size
            yield self.fill * size


def assert_too_large(answer: httpx.Response, max_bytes: int = MIB) -> None:
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"] == PROBLEM
    assert answer.json()["code"] == "request.too_large"
    assert answer.json()["max_bytes"] == max_bytes
    assert answer.headers["connection"] == "close", "the rest of the body is not read"


async def _records(database: Database) -> int:
    async with database.session(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(IdempotencyRecord)) or 0)


async def test_a_body_declared_too_large_is_refused_before_a_byte_is_read(
    client: httpx.AsyncClient,
) -> None:
    body = Body(50 * MIB)
    answer = await client.post(
        "/api/v1/licenses/verify", content=body,
        headers={"Content-Type": "application/json", "Content-Length": str(50 * MIB)},
    )  # fmt: skip
    assert_too_large(answer)
    assert body.chunks_read == 0


async def test_a_chunked_body_is_cut_off_once_past_the_limit(client: httpx.AsyncClient) -> None:
    body = Body(50 * MIB)
    answer = await client.post(
        "/api/v1/auth/register", content=body, headers={"Content-Type": "application/json"}
    )
    assert_too_large(answer)
    # Read up to the first chunk past 1 MiB, and not one more.
    assert body.chunks_read == MIB // CHUNK + 1


async def test_a_form_body_has_the_same_limit(client: httpx.AsyncClient) -> None:
    answer = await client.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "x", "scope": "a" * MIB},
    )
    assert_too_large(answer)


async def test_a_body_at_the_limit_goes_through(client: httpx.AsyncClient) -> None:
    document = b'{"license_no": "370200", "holder_name": "%s"}'
    padding = MIB - len(document % b"")
    answer = await client.post(
        "/api/v1/licenses/verify", content=document % (b"x" * padding),
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    # The route judged it (the holder name is too long for the field): not the edge.
    assert answer.status_code == 422
    assert answer.json()["invalid_params"][0]["name"] == "body.holder_name"


async def test_an_oversized_creation_with_a_valid_token_and_key_stores_nothing(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    renter = await sign_in("renter")
    headers = {**renter, "Idempotency-Key": "big-1", "Content-Type": "application/json"}
    for request_kwargs in (
        {"content": b"[" + b" " * (2 * MIB) + b"]"},  # Content-Length: 2 MiB
        {"content": Body(2 * MIB)},  # chunked
    ):
        answer = await client.post("/api/v1/applications", headers=headers, **request_kwargs)
        assert_too_large(answer)
    assert await _records(database) == 0


async def test_requests_without_a_valid_token_keep_no_idempotency_row(
    client: httpx.AsyncClient, database: Database
) -> None:
    registration = {"phone": "13912345678", "otp": "000000", "password": "Qingdao-2026",
                    "name": "张三", "id_number": "370202199001011234"}  # fmt: skip
    forged = {"Authorization": "Bearer eyJhbGciOiJFUzI1NiJ9.e30.c2ln"}
    for n in range(20):
        key = {"Idempotency-Key": f"anonymous-{n}"}
        registered = await client.post("/api/v1/auth/register", json=registration, headers=key)
        assert registered.status_code in {400, 422, 429}, registered.text
        applied = await client.post("/api/v1/applications", json={}, headers={**key, **forged})
        assert applied.status_code == 401
        staff = await client.post("/api/v1/admin/staff", json={}, headers=key)
        assert staff.status_code == 401
    assert await _records(database) == 0


async def test_header_fields_over_the_limit_are_431(client: httpx.AsyncClient) -> None:
    for headers in (
        {"X-Padding": "a" * MIB},
        {f"X-Field-{n}": "a" * 1000 for n in range(20)},
    ):
        answer = await client.get("/api/v1/services", headers=headers)
        assert answer.status_code == 431, answer.text
        assert answer.headers["content-type"] == PROBLEM
        assert answer.json()["code"] == "request.headers_too_large"
        assert answer.json()["max_bytes"] == 16 * 1024
    fine = await client.get("/api/v1/services", headers={"X-Padding": "a" * 8 * 1024})
    assert fine.status_code == 200


async def test_a_request_target_over_the_limit_is_414(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/services", params={"q": "a" * 20_000})
    assert answer.status_code == 414, answer.text
    assert answer.json()["code"] == "request.uri_too_long"


async def test_uploads_keep_their_own_larger_streaming_limit(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    renter = await sign_in("renter")
    # Over the 1 MiB of other bodies, under QE_UPLOAD_MAX_BYTES (10 MiB).
    stored: dict[str, Any] = await upload(client, renter, PNG + b"\x00" * (2 * MIB))
    assert stored["size"] == len(PNG) + 2 * MIB
    too_big = await client.post(
        "/api/v1/uploads", headers=renter,
        files={"file": ("scan.png", PNG + b"\x00" * (11 * MIB), "image/png")},
    )  # fmt: skip
    assert too_big.status_code == 413
    assert too_big.json()["code"] == "uploads.too_large"
