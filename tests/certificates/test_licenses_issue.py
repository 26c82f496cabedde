"""Issuing e-licenses through the API: who may, what is checked, what the identifier looks like."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from license_support import (
    ENTERPRISE_TYPE,
    Headers,
    MakeHeaders,
    enterprise_license,
    enterprise_uscc,
    id_number,
    person_license,
)
from sqlalchemy import select

from app.auth.models import StaffRole
from app.certificates.models import License
from app.db import Database
from app.kit.license_id import parse_license_id
from app.services.catalog.seed import department_uscc

StaffHeaders = Callable[..., Awaitable[Headers]]


async def test_a_clerk_of_the_issuing_department_issues_a_license(
    client: httpx.AsyncClient, scjg_clerk: Headers, admin_headers: Headers
) -> None:
    holder = id_number()
    response = await client.post(
        "/api/v1/licenses", json=person_license(holder), headers=scjg_clerk
    )
    assert response.status_code == 201, response.text
    body = response.json()
    number = parse_license_id(body["license_no"])
    assert (number.type_code, number.issuer_uscc, number.version) == (
        "370200ZS0038",
        department_uscc("scjg"),
        1,
    )
    assert body["status"] == "valid"
    assert body["issuer"] == "scjg"
    assert body["holder"]["id_number_masked"] == f"{holder[:6]}********{holder[-4:]}"
    assert holder not in response.text, "the ID number is never shown in full"
    assert "id_number" not in body["fields"], "holder fields live in `holder`"
    assert body["valid_from"] == datetime.now(ZoneInfo("Asia/Shanghai")).date().isoformat()
    audit = await client.get(
        "/api/v1/admin/audit/records", params={"subject_type": "license"}, headers=admin_headers
    )
    (record,) = audit.json()["items"]
    assert (record["action"], record["actor_type"]) == ("license.issued", "staff")


async def test_the_validity_follows_the_type_unless_given(
    client: httpx.AsyncClient, scjg_clerk: Headers
) -> None:
    expected = {
        "2026-03-01": "2030-02-28",  # four years, the last day the day before
        "2024-02-29": "2028-02-28",  # from a leap day
    }
    for valid_from, valid_until in expected.items():
        body = person_license(id_number(), valid_from=valid_from)
        response = await client.post("/api/v1/licenses", json=body, headers=scjg_clerk)
        assert response.json()["valid_until"] == valid_until
    given = person_license(id_number(), valid_from="2026-01-01", valid_until="2026-12-31")
    response = await client.post("/api/v1/licenses", json=given, headers=scjg_clerk)
    assert response.json()["valid_until"] == "2026-12-31"


async def test_identifiers_are_unique_and_valid(
    client: httpx.AsyncClient, scjg_clerk: Headers
) -> None:
    numbers = []
    for _ in range(5):
        response = await client.post(
            "/api/v1/licenses", json=person_license(id_number()), headers=scjg_clerk
        )
        assert response.status_code == 201, response.text
        numbers.append(parse_license_id(response.json()["license_no"]))
    assert len({n.number for n in numbers}) == 5
    assert [n.serial for n in numbers] == sorted(n.serial for n in numbers)
    assert len({n.serial for n in numbers}) == 5


async def test_a_department_client_with_the_scope_issues_for_its_department(
    client: httpx.AsyncClient, department_client: MakeHeaders
) -> None:
    xzsp = await department_client("xzsp", ["licenses:issue"])
    uscc = enterprise_uscc(7)
    response = await client.post("/api/v1/licenses", json=enterprise_license(uscc), headers=xzsp)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["holder"] == {
        "kind": "enterprise",
        "name": "青岛海韵印务有限公司",
        "id_number_masked": None,
        "uscc": uscc,
    }
    assert body["valid_until"] is None, "a business license does not expire"
    assert body["type"]["code"] == ENTERPRISE_TYPE


async def test_who_may_not_issue(
    client: httpx.AsyncClient,
    department_client: MakeHeaders,
    staff_headers: StaffHeaders,
    citizen: MakeHeaders,
) -> None:
    callers = {
        "client without the scope": await department_client("scjg", ["licenses.verify"]),
        "client of another department": await department_client("xzsp", ["licenses:issue"]),
        "clerk of another department": await staff_headers(
            "gjj.clerk", StaffRole.CLERK, department="gjj"
        ),
        "auditor of the issuing department": await staff_headers(
            "scjg.auditor", StaffRole.AUDITOR, department="scjg"
        ),
        "citizen": await citizen("13700001111", id_number()),
    }
    for who, headers in callers.items():
        response = await client.post(
            "/api/v1/licenses", json=person_license(id_number()), headers=headers
        )
        assert response.status_code == 403, who
        assert response.json()["code"] in {"licenses.not_an_issuer", "auth.role_required"}, who
    assert (
        await client.post("/api/v1/licenses", json=person_license(id_number()))
    ).status_code == 401


async def test_licenses_issue_needs_a_department(
    client: httpx.AsyncClient, admin_headers: Headers
) -> None:
    body = {"name": "无部门系统", "kind": "department", "grant_types": ["client_credentials"],
            "scopes": ["licenses:issue"]}  # fmt: skip
    response = await client.post("/api/v1/admin/clients", json=body, headers=admin_headers)
    assert response.status_code == 422
    partner = {"name": "合作方", "kind": "partner", "scopes": ["licenses:issue"],
               "department_code": "scjg"}  # fmt: skip
    refused = await client.post("/api/v1/admin/clients", json=partner, headers=admin_headers)
    assert refused.status_code == 422
    unknown = {**body, "department_code": "nowhere"}
    response = await client.post("/api/v1/admin/clients", json=unknown, headers=admin_headers)
    assert response.status_code == 422


async def test_fields_and_holder_are_checked_against_the_type(
    client: httpx.AsyncClient, scjg_clerk: Headers
) -> None:
    holder = id_number()
    good = person_license(holder)
    cases: dict[str, dict[str, Any]] = {
        "unknown field": {**good, "fields": {**good["fields"], "colour": "red"}},
        "missing field": {
            **good,
            "fields": {k: v for k, v in good["fields"].items() if k != "operation_item"},
        },
        "bad date": {**good, "fields": {**good["fields"], "issued_on": "yesterday"}},
        "holder of the wrong kind": {
            **good,
            "holder": {"kind": "enterprise", "name": "某公司", "uscc": enterprise_uscc()},
        },
        "invalid ID number": {
            **good,
            "holder": {**good["holder"], "id_number": "370202199001011234"},
        },
        "another person's ID number in the fields": {
            **good,
            "fields": {**good["fields"], "id_number": id_number()},
        },
        "unknown type": {**good, "type": "no-such-type"},
        "ends before it starts": {**good, "valid_from": "2026-01-01", "valid_until": "2025-01-01"},
    }
    for case, body in cases.items():
        response = await client.post("/api/v1/licenses", json=body, headers=scjg_clerk)
        assert response.status_code == 422, case
        assert holder not in response.text, case
    same = {
        **good,
        "fields": {**good["fields"], "id_number": holder.lower(), "holder_name": "李娜"},
    }
    assert (await client.post("/api/v1/licenses", json=same, headers=scjg_clerk)).status_code == 201


async def test_issuance_replays_with_an_idempotency_key(
    client: httpx.AsyncClient, scjg_clerk: Headers
) -> None:
    body = person_license(id_number())
    headers = {**scjg_clerk, "Idempotency-Key": "issue-0001"}
    first = await client.post("/api/v1/licenses", json=body, headers=headers)
    again = await client.post("/api/v1/licenses", json=body, headers=headers)
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    other = await client.post("/api/v1/licenses", json=person_license(id_number()), headers=headers)
    assert other.status_code == 422
    assert other.json()["code"] == "idempotency.key_reused"


async def test_a_source_record_is_issued_once(
    client: httpx.AsyncClient, scjg_clerk: Headers
) -> None:
    body = person_license(id_number(), source_record_id="SCJG-2026-000123")
    assert (await client.post("/api/v1/licenses", json=body, headers=scjg_clerk)).status_code == 201
    again = await client.post("/api/v1/licenses", json=body, headers=scjg_clerk)
    assert again.status_code == 409
    assert again.json()["code"] == "licenses.duplicate_source_record"


async def test_out_of_range_values_are_refused_not_failed(
    client: httpx.AsyncClient, scjg_clerk: Headers, department_client: MakeHeaders
) -> None:
    good = person_license(id_number())
    enterprise = enterprise_license(enterprise_uscc(5))
    cases: dict[str, dict[str, Any]] = {
        "a date in the year 9999": {**good, "valid_from": "9999-01-01"},
        "a field of 2001 characters": {
            **good,
            "fields": {**good["fields"], "operation_item": "叉" * 2001},
        },
        "a blank holder name": {**good, "holder": {**good["holder"], "name": "  "}},
    }
    for case, body in cases.items():
        response = await client.post("/api/v1/licenses", json=body, headers=scjg_clerk)
        assert response.status_code == 422, case
    xzsp = await department_client("xzsp", ["licenses:issue"])
    not_a_number = {**enterprise, "fields": {**enterprise["fields"], "registered_capital": "x"}}
    response = await client.post("/api/v1/licenses", json=not_a_number, headers=xzsp)
    assert response.status_code == 422
    assert response.json()["invalid_params"][0]["name"] == "body.fields.registered_capital"
    nan = json.dumps({**good, "fields": {**good["fields"], "operation_item": float("nan")}})
    response = await client.post(
        "/api/v1/licenses",
        content=nan,
        headers={**scjg_clerk, "Content-Type": "application/json"},
    )
    assert response.status_code == 422


async def test_concurrent_issuances_get_distinct_identifiers_and_slots(
    client: httpx.AsyncClient, scjg_clerk: Headers, database: Database
) -> None:
    responses = await asyncio.gather(*(
        client.post("/api/v1/licenses", json=person_license(id_number()), headers=scjg_clerk)
        for _ in range(12)
    ))  # fmt: skip
    assert [r.status_code for r in responses] == [201] * 12
    numbers = {parse_license_id(r.json()["license_no"]).serial for r in responses}
    assert len(numbers) == 12
    async with database.session() as session:
        slots = (await session.execute(
            select(License.revocation_list_id, License.revocation_index,
                   License.suspension_list_id, License.suspension_index)
        )).all()  # fmt: skip
    assert (
        len({(row[0], row[1]) for row in slots}) == len({(row[2], row[3]) for row in slots}) == 12
    )
