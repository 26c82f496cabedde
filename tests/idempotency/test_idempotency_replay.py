"""A retry sent the moment the first answer arrives gets that answer again (a replay), never
409 "still in flight": the answer is stored before it is sent.

The app is served here as a server serves it (tests/server_support.py): the client has the
answer as soon as its last byte is sent, and the app is held there until the test ends, so the
retry always arrives before the app could do anything after sending."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from persona_support import PERSONAS, SignIn, uploaded
from server_support import ServerTransport

from app.config import Settings
from app.db import Database
from app.main import create_app

STAFF = "/api/v1/admin/staff"
CLERK = {"login": "gjj.zhao", "name": "赵敏", "role": "clerk", "department_code": "gjj"}


@pytest.fixture
async def served(settings: Settings, database: Database) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app answered as a server answers, the app held after each answer."""
    app = create_app(settings, database=database)
    transport = ServerTransport(app, hold_after_answer=True)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as http,
    ):
        yield http


async def test_a_retry_the_moment_a_member_is_created_is_the_replay(
    served: httpx.AsyncClient, admin_headers: dict[str, str]
) -> None:
    headers = {**admin_headers, "Idempotency-Key": "clerk-at-once"}
    first = await served.post(STAFF, json=CLERK, headers=headers)
    assert first.status_code == 201, first.text
    again = await served.post(STAFF, json=CLERK, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()


async def test_a_retry_the_moment_an_application_is_filed_is_the_replay(
    served: httpx.AsyncClient, client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    renter = await sign_in("renter")
    person = PERSONAS["renter"]
    body = {
        "service_code": "gaj.t020",
        "form": {"applicant_name": person.name, "id_number": person.id_number,
                 "phone": person.login, "matter_description": "为家中饲养的柯基犬办理养犬登记"},
        "materials": await uploaded(client, renter, "application-form"),
    }  # fmt: skip
    headers = {**renter, "Idempotency-Key": "dog-at-once"}
    first = await served.post("/api/v1/applications", json=body, headers=headers)
    assert first.status_code == 201, first.text
    again = await served.post("/api/v1/applications", json=body, headers=headers)
    assert again.status_code == 201, again.text
    assert again.headers["idempotent-replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]
