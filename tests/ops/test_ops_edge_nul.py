"""A NUL character (U+0000) anywhere in a request is refused at the edge as 422 problem+json
naming where it was, before any route, token check or database sees it. PostgreSQL's text types
cannot hold one: these requests answered 500 there (the `client` fixture fails on any 5xx)."""

from __future__ import annotations

from base64 import b64encode
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from persona_support import PERSONAS, SignIn, uploaded
from sqlalchemy import func, select

from app.auth.models import StaffRole
from app.db import Database
from app.idempotency.models import IdempotencyRecord
from app.services.applications.models import Application

StaffHeaders = Callable[..., Awaitable[dict[str, str]]]
PROBLEM = "application/problem+json"
BASIC_NUL = b64encode(b"a%00:b").decode()
DOG_LICENCE = "gaj.t020"  # 养犬登记证核发: manual, for a person (L2)


def assert_nul_refused(answer: httpx.Response, *names: str) -> None:
    """422 `request.invalid` whose invalid_params name exactly `names`, for a NUL."""
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"] == PROBLEM
    body = answer.json()
    assert body["code"] == "request.invalid"
    assert body["invalid_params"] == [{"name": name, "reason": "nul"} for name in names]
    assert body["request_id"] == answer.headers["x-request-id"]


# Each without login: (method, path, request keywords, the name the refusal gives).
WITHOUT_LOGIN: list[tuple[str, str, dict[str, Any], str]] = [
    ("GET", "/api/v1/services", {"params": {"q": "公积金\x00"}}, "query.q"),
    ("GET", "/api/v1/services/gjj.t001%00", {}, "path.code"),
    ("GET", "/api/v1/license-types/x%00y", {}, "path.code"),
    ("POST", "/api/v1/licenses/verify",
     {"json": {"license_no": "370200\x00", "holder_name": "张三"}}, "body.license_no"),
    ("GET", "/oauth/authorize",
     {"params": {"client_id": "qingeban-app\x00", "response_type": "code"}}, "query.client_id"),
    ("POST", "/oauth/token",
     {"data": {"grant_type": "client_credentials", "client_id": "c\x00"}}, "body.client_id"),
    ("POST", "/oauth/token",
     {"files": {"client_id": (None, "c\x00")}, "data": {"grant_type": "client_credentials"}},
     "body.client_id"),
    ("POST", "/api/v1/auth/login",
     {"json": {"method": "password", "login": "13800000000", "password": "pw\x00"}},
     "body.password"),
    # client_secret_basic: base64 of the form-urlencoded id and secret (RFC 6749 §2.3.1).
    ("POST", "/oauth/introspect",
     {"data": {"token": "x"}, "headers": {"Authorization": f"Basic {BASIC_NUL}"}},
     "header.authorization"),
    ("GET", "/api/v1/services", {"headers": {"User-Agent": "curl/8\x00"}}, "header.user-agent"),
    ("GET", "/oauth/login", {"headers": {"Cookie": 'qe_sso="ab\\000cd"'}}, "cookie.qe_sso"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "request_kwargs", "name"),
    WITHOUT_LOGIN,
    ids=[f"{case[0]} {case[1]} {case[3]}" for case in WITHOUT_LOGIN],
)
async def test_a_nul_without_login_is_refused_naming_where_it_was(
    client: httpx.AsyncClient, method: str, path: str, request_kwargs: dict[str, Any], name: str
) -> None:
    answer = await client.request(method, path, **request_kwargs)
    assert_nul_refused(answer, name)


async def test_a_nul_in_a_json_body_at_any_depth_is_named_by_its_path(
    client: httpx.AsyncClient,
) -> None:
    body = {"license_no": "ok", "holder_name": "ok", "deep": [{"a": [0, {"b\x00": 1}]}, "\x00"]}
    answer = await client.post("/api/v1/licenses/verify", json=body)
    assert_nul_refused(answer, "body.deep.0.a.1.b\\u0000", "body.deep.1")


async def test_a_nul_in_json_sent_as_utf16_is_found_too(client: httpx.AsyncClient) -> None:
    document = '{"method": "password", "login": "13800000000", "password": "pw\\u0000"}'
    for encoding in ("utf-16-le", "utf-32"):
        answer = await client.post(
            "/api/v1/auth/login", content=document.encode(encoding),
            headers={"Content-Type": "application/json"},
        )  # fmt: skip
        assert_nul_refused(answer, "body.password")


async def test_the_refusal_speaks_english_on_request(client: httpx.AsyncClient) -> None:
    answer = await client.get(
        "/api/v1/services", params={"q": "\x00", "department": "gjj\x00"},
        headers={"Accept-Language": "en"},
    )  # fmt: skip
    assert_nul_refused(answer, "query.q", "query.department")
    assert answer.json()["title"] == "Invalid request"
    assert "NUL" in answer.json()["detail"]


async def test_the_six_characters_backslash_u0000_are_text_not_a_nul(
    client: httpx.AsyncClient,
) -> None:
    # JSON's escaped backslash: the value is the text `\u0000`, which the route may judge.
    answer = await client.post(
        "/api/v1/licenses/verify",
        content=b'{"license_no": "\\\\u0000", "holder_name": "x"}',
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["result"] == "invalid"


async def _count(database: Database, model: type[Any]) -> int:
    async with database.session(write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def test_a_nul_from_a_signed_in_citizen_reaches_no_route_and_stores_nothing(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    renter = await sign_in("renter")
    person = PERSONAS["renter"]
    prefill = await client.get("/api/v1/services/gaj.t020%00/prefill", headers=renter)
    assert_nul_refused(prefill, "path.code")

    form = {"applicant_name": person.name, "id_number": person.id_number, "phone": person.login,
            "matter_description": "为家中饲养的柯基犬\x00办理养犬登记"}  # fmt: skip
    body = {"service_code": DOG_LICENCE, "form": form,
            "materials": await uploaded(client, renter, "application-form")}  # fmt: skip
    headers = {**renter, "Idempotency-Key": "dog-nul-1"}
    applied = await client.post("/api/v1/applications", json=body, headers=headers)
    assert_nul_refused(applied, "body.form.matter_description")
    # Refused before the idempotency keys and the route: no key kept, no case filed.
    assert await _count(database, IdempotencyRecord) == 0
    assert await _count(database, Application) == 0


async def test_a_nul_in_a_clerks_query_is_refused(
    client: httpx.AsyncClient, staff_headers: StaffHeaders
) -> None:
    clerk = await staff_headers("gjj.clerk", StaffRole.CLERK)
    queue = await client.get("/api/v1/review/cases", params={"service": "gjj\x00"}, headers=clerk)
    assert_nul_refused(queue, "query.service")
