"""Who reads a license: its holder (a citizen, or a person acting for the holding enterprise)
and its issuer; everyone else is answered 404. The wallet lists a holder's licenses."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from license_support import Headers, MakeHeaders, enterprise_license, enterprise_uscc, id_number

from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import Persona, build_personas
from app.adapters.simulator.population import Population
from app.audit.schemas import AuditContext
from app.auth import service as auth
from app.auth.models import RealnameLevel, StaffRole
from app.config import Settings
from app.db import Database

Issue = Callable[..., Awaitable[dict[str, Any]]]


@pytest.fixture(autouse=True)
def fresh_exchange() -> Iterator[None]:
    reset_exchange()  # the simulated departments answer act-as; no breaker state across tests
    yield
    reset_exchange()


async def test_the_holder_and_the_issuer_read_a_license_and_nobody_else(
    client: httpx.AsyncClient,
    issued: Issue,
    scjg_clerk: Headers,
    citizen: MakeHeaders,
    department_client: MakeHeaders,
    staff_headers: Callable[..., Awaitable[Headers]],
) -> None:
    holder = id_number()
    license_ = await issued(holder)
    path = f"/api/v1/licenses/{license_['license_no']}"
    owner = await citizen("13700001111", holder)
    mine = await client.get(path, headers=owner)
    assert mine.status_code == 200
    assert mine.json() == license_
    assert holder not in mine.text, "masked for the holder too"
    assert (await client.get(path, headers=scjg_clerk)).status_code == 200
    issuing_system = await department_client("scjg", ["licenses:issue"])
    assert (await client.get(path, headers=issuing_system)).status_code == 200
    strangers = {
        "another citizen": await citizen("13700002222", id_number()),
        "a citizen without an ID number": await citizen("13700003333", None),
        "another department's clerk": await staff_headers(
            "gjj.clerk", StaffRole.CLERK, department="gjj"
        ),
        "another department's system": await department_client("xzsp", ["licenses:issue"]),
    }
    for who, headers in strangers.items():
        response = await client.get(path, headers=headers)
        assert response.status_code == 404, who
        assert response.json()["code"] == "licenses.not_found", who
    assert (await client.get(path)).status_code == 401


async def test_the_wallet_lists_a_citizens_licenses_newest_first(
    client: httpx.AsyncClient, issued: Issue, citizen: MakeHeaders, scjg_clerk: Headers
) -> None:
    holder = id_number()
    first = await issued(holder)
    second = await issued(holder)
    await issued(id_number())  # someone else's
    renewed = await client.post(
        f"/api/v1/licenses/{first['license_no']}/renew", json={"reason": "到期换证"},
        headers=scjg_clerk,
    )  # fmt: skip
    owner = await citizen("13700001111", holder)
    page = await client.get("/api/v1/me/licenses", params={"limit": 1}, headers=owner)
    assert page.status_code == 200
    body = page.json()
    assert [item["license_no"] for item in body["items"]] == [renewed.json()["license_no"]]
    rest = await client.get(
        "/api/v1/me/licenses", params={"cursor": body["next_cursor"]}, headers=owner
    )
    assert [item["license_no"] for item in rest.json()["items"]] == [second["license_no"]]
    assert rest.json()["next_cursor"] is None, "the superseded version is not in the wallet"
    bad = await client.get("/api/v1/me/licenses", params={"cursor": "garbage"}, headers=owner)
    assert bad.status_code == 422
    assert (await client.get("/api/v1/me/licenses", headers=scjg_clerk)).status_code == 403


@pytest.fixture
def printer() -> Persona:
    personas = {p.key: p for p in build_personas(Population())[0]}
    return personas["printer"]


async def test_an_agent_acting_for_an_enterprise_sees_its_licenses(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    department_client: MakeHeaders,
    printer: Persona,
) -> None:
    assert printer.enterprise_uscc is not None
    xzsp = await department_client("xzsp", ["licenses:issue"])
    theirs = await client.post(
        "/api/v1/licenses", json=enterprise_license(printer.enterprise_uscc), headers=xzsp
    )
    assert theirs.status_code == 201, theirs.text
    other = await client.post(
        "/api/v1/licenses", json=enterprise_license(enterprise_uscc(3)), headers=xzsp
    )
    assert other.status_code == 201
    async with database.session() as session:
        account = await auth.create_person_account(
            session, settings, phone=printer.login, password="Printer-2026", name=printer.name,
            id_number=printer.id_number, audit_context=AuditContext(), actor=("system", "tests"),
        )  # fmt: skip
        await auth.set_realname_level(
            session, settings, account.id, RealnameLevel.L2, source="gaj/identity",
            verified_at=datetime.now(UTC), audit_context=AuditContext(), actor=("system", "tests"),
        )  # fmt: skip
    login = await client.post(
        "/api/v1/auth/login",
        json={"method": "password", "login": printer.login, "password": "Printer-2026"},
    )
    person = {"Authorization": f"Bearer {login.json()['access_token']}"}
    acting = await client.post(
        "/api/v1/auth/act-as", headers=person, json={"uscc": printer.enterprise_uscc}
    )
    assert acting.status_code == 200, acting.text
    enterprise = {"Authorization": f"Bearer {acting.json()['access_token']}"}
    wallet = await client.get("/api/v1/me/licenses", headers=enterprise)
    assert wallet.status_code == 200
    assert [item["license_no"] for item in wallet.json()["items"]] == [theirs.json()["license_no"]]
    one = await client.get(f"/api/v1/licenses/{theirs.json()['license_no']}", headers=enterprise)
    assert one.status_code == 200
    personal = await client.get("/api/v1/me/licenses", headers=person)
    assert personal.json()["items"] == [], "the person's own wallet holds no enterprise license"
    path = f"/api/v1/licenses/{other.json()['license_no']}"
    assert (await client.get(path, headers=enterprise)).status_code == 404
