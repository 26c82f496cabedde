"""Uploading a material and reading it back, through the API: what a file is comes from its
bytes, the limit holds, and nobody but the uploader reads it."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import datetime, timedelta
from urllib.parse import quote

import httpx
import pytest
from persona_support import JPEG, PDF, PNG, SignIn, upload
from settings_support import make_settings
from sqlalchemy import func, select, update

from app.audit.models import AuditRecord
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow
from app.uploads import service as uploads
from app.uploads.models import Upload

StaffHeaders = Callable[..., Awaitable[dict[str, str]]]
# A small limit, so that "too large" costs kilobytes rather than megabytes.
MAX_BYTES = 64 * 1024


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The suite's test settings, with QE_UPLOAD_MAX_BYTES at 64 KiB."""
    return make_settings(database_url, upload_max_bytes=MAX_BYTES)


@pytest.mark.parametrize(
    ("content", "name", "declared", "found", "stored_name"),
    [
        (PDF, "租赁合同.pdf", "application/pdf", "application/pdf", "租赁合同.pdf"),
        (PNG, "bank card.PNG", "image/png", "image/png", "bank card.png"),
        (JPEG, "photo.jpeg", "image/jpeg", "image/jpeg", "photo.jpg"),
        # The declared type and name are the client's claims: the bytes decide.
        (PNG, "scan.html", "text/html", "image/png", "scan.html.png"),
        (PDF, "../../etc/passwd", "application/octet-stream", "application/pdf", "passwd.pdf"),
        # A scan named after what it shows keeps no ID, phone or card number in clear.
        (
            JPEG,
            "身份证37020219900517123X 13912345678.jpg",
            "image/jpeg",
            "image/jpeg",
            "身份证370202********123X 139****5678.jpg",
        ),
        (
            PNG,
            "银行卡6222020300012345678.png",
            "image/png",
            "image/png",
            "银行卡***************5678.png",
        ),
    ],
)
async def test_an_upload_is_what_its_bytes_are(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    content: bytes,
    name: str,
    declared: str,
    found: str,
    stored_name: str,
) -> None:
    headers = await sign_in("renter")
    body = await upload(client, headers, content, name=name, content_type=declared)
    assert (body["content_type"], body["file_name"]) == (found, stored_name)
    assert body["size"] == len(content)
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    created = datetime.fromisoformat(body["created_at"])
    assert datetime.fromisoformat(body["expires_at"]) - created == timedelta(hours=24)


async def test_the_uploader_downloads_it_as_an_attachment(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("renter")
    body = await upload(client, headers, PDF, name="租赁合同.pdf", content_type="text/plain")
    answer = await client.get(f"/api/v1/uploads/{body['id']}", headers=headers)
    assert answer.status_code == 200
    assert answer.content == PDF
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.headers["content-disposition"] == (
        f"attachment; filename*=UTF-8''{quote('租赁合同.pdf')}"
    )
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "private, no-store"


async def test_nobody_else_reads_it(
    client: httpx.AsyncClient, sign_in: SignIn, staff_headers: StaffHeaders
) -> None:
    owner = await sign_in("printer")
    body = await upload(client, owner)
    path = f"/api/v1/uploads/{body['id']}"
    for other in (
        await sign_in("renter"),
        await sign_in("printer", enterprise=True),  # the uploader in another capacity
    ):
        refused = await client.get(path, headers=other)
        assert refused.status_code == 404
        assert refused.headers["content-type"].startswith("application/problem+json")
    clerk = await staff_headers("uploads.clerk", StaffRole.CLERK)
    assert (await client.get(path, headers=clerk)).status_code == 403
    assert (await client.get(path)).status_code == 401
    assert (await client.get("/api/v1/uploads/not-a-uuid", headers=owner)).status_code == 404


async def test_acting_for_an_enterprise_the_upload_is_the_enterprise_agents(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    agent = await sign_in("printer", enterprise=True)
    body = await upload(client, agent)
    assert (await client.get(f"/api/v1/uploads/{body['id']}", headers=agent)).status_code == 200
    herself = await sign_in("printer")
    assert (await client.get(f"/api/v1/uploads/{body['id']}", headers=herself)).status_code == 404


async def _count(database: Database) -> int:
    async with database.session(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(Upload)) or 0)


@pytest.mark.parametrize(
    "size", [MAX_BYTES + 1, MAX_BYTES + 40 * 1024], ids=["streamed", "declared"]
)
async def test_a_file_over_the_limit_is_refused(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, size: int
) -> None:
    # Just over: cut off while streaming; far over: refused from Content-Length unread.
    content = PNG + b"\x00" * (size - len(PNG))
    answer = await client.post(
        "/api/v1/uploads", headers=await sign_in("renter"),
        files={"file": ("big.png", content, "image/png")},
    )  # fmt: skip
    assert answer.status_code == 413, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "uploads.too_large"
    assert answer.json()["max_bytes"] == MAX_BYTES
    assert await _count(database) == 0


async def test_a_file_of_the_limit_is_accepted(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    content = PNG + b"\x00" * (MAX_BYTES - len(PNG))
    body = await upload(client, await sign_in("renter"), content)
    assert body["size"] == MAX_BYTES


async def test_a_chunked_body_over_the_limit_is_cut_off(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    boundary = "qe-boundary"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="x.png"\r\n'
        "Content-Type: image/png\r\n\r\n"
    ).encode()

    async def body() -> AsyncIterator[bytes]:  # no Content-Length: only the stream tells
        yield head + PNG
        for _ in range(100):
            yield b"\x00" * 4096
        yield f"\r\n--{boundary}--\r\n".encode()

    answer = await client.post(
        "/api/v1/uploads",
        headers=await sign_in("renter")
        | {"Content-Type": f"multipart/form-data; boundary={boundary}"},
        content=body(),  # type: ignore[arg-type]
    )
    assert answer.status_code == 413
    assert await _count(database) == 0


async def test_a_text_file_calling_itself_a_pdf_is_refused(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    answer = await client.post(
        "/api/v1/uploads", headers=await sign_in("renter"),
        files={"file": ("x.pdf", b"<html><script>alert(1)</script></html>", "application/pdf")},
    )  # fmt: skip
    assert answer.status_code == 415, answer.text
    assert answer.json()["code"] == "uploads.unsupported_type"
    assert answer.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    "request_kwargs",
    [
        {"files": {"file": ("empty.pdf", b"", "application/pdf")}},
        {"files": {"document": ("x.pdf", PDF, "application/pdf")}},  # not the field `file`
        {"json": {"file": "JVBERi0="}},  # not multipart
    ],
    ids=["empty", "no-file-field", "not-multipart"],
)
async def test_an_empty_or_malformed_upload_is_refused(
    client: httpx.AsyncClient, sign_in: SignIn, request_kwargs: dict[str, object]
) -> None:
    answer = await client.post(
        "/api/v1/uploads",
        headers=await sign_in("renter"),
        **request_kwargs,  # type: ignore[arg-type]
    )
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")


async def test_uploading_needs_a_signed_in_person(
    client: httpx.AsyncClient, staff_headers: StaffHeaders
) -> None:
    files = {"file": ("x.png", PNG, "image/png")}
    assert (await client.post("/api/v1/uploads", files=files)).status_code == 401
    clerk = await staff_headers("uploads.clerk", StaffRole.CLERK)
    assert (await client.post("/api/v1/uploads", headers=clerk, files=files)).status_code == 403


async def test_the_upload_is_audited_without_its_name(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    body = await upload(client, await sign_in("renter"), name="张三身份证.png")
    async with database.session(write=False) as session:
        records = (
            await session.scalars(select(AuditRecord).where(AuditRecord.subject_id == body["id"]))
        ).all()
    assert [(r.action, r.subject_type) for r in records] == [("upload.created", "upload")]
    assert all("张三" not in str(value) for r in records for value in vars(r).values())


async def test_an_expired_upload_is_gone_and_purged(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    headers = await sign_in("renter")
    old, fresh = await upload(client, headers), await upload(client, headers)
    async with database.session() as session:
        await session.execute(
            update(Upload).where(Upload.id == uuid.UUID(old["id"])).values(expires_at=utcnow())
        )
    assert (await client.get(f"/api/v1/uploads/{old['id']}", headers=headers)).status_code == 404
    async with database.session() as session:
        assert await uploads.purge_expired(session) == 1
    assert await _count(database) == 1
    assert (await client.get(f"/api/v1/uploads/{fresh['id']}", headers=headers)).status_code == 200
