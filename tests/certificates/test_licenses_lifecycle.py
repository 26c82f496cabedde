"""The lifecycle through the API: suspend, reinstate, revoke, cancel, renew, and refusals."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from license_support import Headers, MakeHeaders, id_number

from app.auth.models import StaffRole
from app.kit.license_id import parse_license_id

Issue = Callable[..., Awaitable[dict[str, Any]]]
REASON = {"reason": "经营场所与登记不符，依法暂扣"}


async def _act(
    client: httpx.AsyncClient, license_no: str, action: str, headers: Headers, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/api/v1/licenses/{license_no}/{action}", json={**REASON, **body}, headers=headers
    )


async def _refused(
    client: httpx.AsyncClient, license_no: str, action: str, headers: Headers, status: str
) -> None:
    response = await _act(client, license_no, action, headers)
    assert response.status_code == 409, (action, response.text)
    assert response.headers["content-type"].startswith("application/problem+json")
    problem = response.json()
    assert (problem["code"], problem["status"]) == ("licenses.transition_not_allowed", 409)
    # `status` is the HTTP status (RFC 9457); the license's own is `license_status`.
    assert (problem["license_status"], problem["action"]) == (status, action)
    assert problem["detail"]


async def test_suspend_then_reinstate(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers, admin_headers: Headers
) -> None:
    number = (await issued())["license_no"]
    suspended = await _act(client, number, "suspend", scjg_clerk)
    assert suspended.status_code == 200
    assert suspended.json()["status"] == "suspended"
    await _refused(client, number, "suspend", scjg_clerk, "suspended")
    await _refused(client, number, "renew", scjg_clerk, "suspended")
    reinstated = await _act(client, number, "reinstate", scjg_clerk)
    assert reinstated.json()["status"] == "valid"
    await _refused(client, number, "reinstate", scjg_clerk, "valid")
    records = await client.get(
        "/api/v1/admin/audit/records", params={"subject_type": "license"}, headers=admin_headers
    )
    actions = [(r["action"], r["purpose"]) for r in records.json()["items"]]
    assert actions == [
        ("license.reinstated", REASON["reason"]),
        ("license.suspended", REASON["reason"]),
        ("license.issued", None),
    ]


async def test_revoked_and_cancelled_are_final(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    for final, status in (("revoke", "revoked"), ("cancel", "cancelled")):
        number = (await issued())["license_no"]
        assert (await _act(client, number, "suspend", scjg_clerk)).status_code == 200
        done = await _act(client, number, final, scjg_clerk)
        assert done.status_code == 200, "a suspended license can be revoked or cancelled"
        assert done.json()["status"] == status
        for action in ("suspend", "reinstate", "revoke", "cancel", "renew"):
            await _refused(client, number, action, scjg_clerk, status)


async def test_renewal_makes_a_new_version(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    old = await issued(valid_from="2022-06-01")
    renewed = await _act(client, old["license_no"], "renew", scjg_clerk, valid_from="2026-06-01")
    assert renewed.status_code == 201, renewed.text
    new = renewed.json()
    assert parse_license_id(new["license_no"]) == parse_license_id(old["license_no"]).next_version()
    assert (new["version"], new["supersedes"], new["status"]) == (2, old["license_no"], "valid")
    assert (new["valid_from"], new["valid_until"]) == ("2026-06-01", "2030-05-31")
    # The same fields, but the printed dates (发证日期, 有效期至) are the new version's.
    printed = {"issued_on": "2026-06-01", "valid_until": "2030-05-31"}
    assert new["fields"] == {**old["fields"], **printed}
    assert new["holder"] == old["holder"]
    before = await client.get(f"/api/v1/licenses/{old['license_no']}", headers=scjg_clerk)
    assert before.json()["status"] == "superseded"
    await _refused(client, old["license_no"], "renew", scjg_clerk, "superseded")
    again = await _act(client, new["license_no"], "renew", scjg_clerk)
    assert parse_license_id(again.json()["license_no"]).version == 3


async def test_expired_is_derived_and_only_renewal_or_cancellation_apply(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    expired = await issued(valid_from="2018-01-01", valid_until="2022-12-31")
    assert expired["status"] == "expired"
    number = expired["license_no"]
    await _refused(client, number, "suspend", scjg_clerk, "expired")
    await _refused(client, number, "revoke", scjg_clerk, "expired")
    renewed = await _act(client, number, "renew", scjg_clerk)
    assert renewed.status_code == 201
    assert renewed.json()["status"] == "valid"
    other = (await issued(valid_from="2018-01-01", valid_until="2022-12-31"))["license_no"]
    cancelled = await _act(client, other, "cancel", scjg_clerk)
    assert cancelled.json()["status"] == "cancelled"


async def test_a_reason_is_required(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    number = (await issued())["license_no"]
    for body in ({}, {"reason": " "}):
        response = await client.post(
            f"/api/v1/licenses/{number}/suspend", json=body, headers=scjg_clerk
        )
        assert response.status_code == 422


async def test_only_the_issuer_changes_a_license(
    client: httpx.AsyncClient,
    issued: Issue,
    department_client: MakeHeaders,
    staff_headers: Callable[..., Awaitable[Headers]],
    citizen: MakeHeaders,
) -> None:
    holder = id_number()
    number = (await issued(holder))["license_no"]
    other_clerk = await staff_headers("gjj.clerk", StaffRole.CLERK, department="gjj")
    other_client = await department_client("xzsp", ["licenses:issue"])
    for headers in (other_clerk, other_client):
        response = await _act(client, number, "revoke", headers)
        assert response.status_code == 404, "another issuer's license is not theirs"
        assert response.json()["code"] == "licenses.not_found"
    holder_headers = await citizen("13700002222", holder)
    assert (await _act(client, number, "revoke", holder_headers)).status_code == 403
    unscoped = await department_client("scjg", ["licenses.verify"])
    assert (await _act(client, number, "revoke", unscoped)).status_code == 403
    own_client = await department_client("scjg", ["licenses:issue"])
    suspended = await _act(client, number, "suspend", own_client)
    assert suspended.status_code == 200, "the issuing department's system may"


async def test_unknown_and_malformed_numbers_are_not_found(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    number = (await issued())["license_no"]
    wrong_check = number[:-1] + ("0" if number[-1] != "0" else "1")
    for candidate in (wrong_check, "not-a-license", "1.2.156", "x" * 500):
        response = await _act(client, candidate, "suspend", scjg_clerk)
        assert response.status_code == 404, candidate
        got = await client.get(f"/api/v1/licenses/{candidate}", headers=scjg_clerk)
        assert got.status_code == 404, candidate
