"""A body that cannot be read is one answer everywhere: 400 `request.malformed_body`, as
problem+json; a body that reads but does not fit the operation is 422 `request.invalid`."""

from __future__ import annotations

import httpx
import pytest

PROBLEM = "application/problem+json"
JSON = {"Content-Type": "application/json"}


@pytest.mark.parametrize(
    ("path", "body", "headers"),
    [
        ("/api/v1/auth/login", b'{"method": "password", "login": ', JSON),  # cut short
        ("/api/v1/auth/login", b'{"method": "password", "login": "\xff\xfe"}', JSON),  # not UTF-8
        ("/api/v1/licenses/verify", b"\xac\xe8\x9b|\xe6", JSON),
        # A form whose multipart body has no boundary: read before the route runs.
        ("/oauth/token", b"--x", {"Content-Type": "multipart/form-data"}),
    ],
)
async def test_a_body_that_cannot_be_read_is_400(
    client: httpx.AsyncClient, path: str, body: bytes, headers: dict[str, str]
) -> None:
    response = await client.post(path, content=body, headers=headers)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM
    problem = response.json()
    assert (problem["code"], problem["status"], problem["title"]) == (
        "request.malformed_body",
        400,
        "请求体无法解析",
    )
    assert problem["instance"] == path


async def test_it_says_why_in_english_on_request(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/auth/login", content=b"{", headers={**JSON, "Accept-Language": "en"}
    )
    assert response.status_code == 400
    assert response.json()["title"] == "Malformed request body"
    assert response.json()["detail"].startswith("the body is not JSON")


async def test_a_body_that_reads_but_does_not_fit_is_still_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/auth/login", json={"method": "password"})
    assert response.status_code == 422
    assert response.json()["code"] == "request.invalid"
    assert response.json()["invalid_params"]


async def test_a_malformed_body_to_an_admin_route_is_refused_without_a_token_too(
    client: httpx.AsyncClient,
) -> None:
    # The body is read before the caller is known: an anonymous caller learns nothing from the
    # 400 but that the body was unreadable, and the route still never runs.
    response = await client.post("/api/v1/admin/clients", content=b"\xff", headers=JSON)
    assert (response.status_code, response.json()["code"]) == (400, "request.malformed_body")
