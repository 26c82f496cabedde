"""Stored rulesets through the admin API: seeded versions, drafts, their cases, publishing,
and the version in force deciding the next application."""

from __future__ import annotations

import copy
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import httpx
import pytest
from application_forms import rent_withdrawal
from persona_support import materials_for

from app.adapters.service import reset_exchange
from app.auth.models import StaffRole
from app.config import Settings
from app.db import Database
from app.demo import seed_demo_world

RENT = "/api/v1/admin/services/gjj.withdraw.rent/rulesets"
# A department admin signs in to the platform's app asking for `admin`, as every admin does
# for the admin API; the app's everyday token (the default scopes) leaves it out.
ADMIN_SCOPES = "openid profile phone realname staff admin"
EVERYDAY_SCOPES = "openid profile phone realname staff"
Headers = dict[str, str]
MakeStaff = Callable[..., Awaitable[Headers]]


@pytest.fixture(autouse=True)
def fresh_exchange() -> Iterator[None]:
    reset_exchange()
    yield
    reset_exchange()


@pytest.fixture
async def gjj_admin(staff_headers: MakeStaff) -> Headers:
    return await staff_headers(
        "gjj.chief", StaffRole.DEPARTMENT_ADMIN, department="gjj", scope=ADMIN_SCOPES
    )


async def _published(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    versions = (await client.get(RENT, headers=headers)).json()
    return dict(next(v for v in versions if v["state"] == "published"))


async def test_the_shipped_ruleset_is_stored_as_published_version_2(
    client: httpx.AsyncClient, gjj_admin: Headers
) -> None:
    versions = (await client.get(RENT, headers=gjj_admin)).json()
    assert [(v["version"], v["state"], v["created_by"]) for v in versions] == [
        (2, "published", "seed")
    ]
    assert versions[0]["ruleset"]["service"] == "gjj.withdraw.rent"


async def test_a_draft_is_tested_published_and_then_decides(
    on_world_day: None,
    client: httpx.AsyncClient,
    gjj_admin: Headers,
    database: Database,
    settings: Settings,
) -> None:
    body = copy.deepcopy((await _published(client, gjj_admin))["ruleset"])
    body["title"] = "住房公积金提取（租赁住房）2026 修订"
    drafted = await client.post(RENT, headers=gjj_admin, json={"ruleset": body})
    assert drafted.status_code == 201, drafted.text
    assert (drafted.json()["version"], drafted.json()["state"]) == (3, "draft")
    run = (await client.post(f"{RENT}/3/test", headers=gjj_admin)).json()
    assert (run["failed"], run["passed"]) == (0, len(body["cases"]))
    published = await client.post(f"{RENT}/3/publish", headers=gjj_admin)
    assert published.status_code == 200, published.text
    again = await client.post(f"{RENT}/3/publish", headers=gjj_admin)
    assert again.status_code == 409

    await seed_demo_world(database, settings)
    from app.adapters.simulator.personas import DEMO_PASSWORD, build_personas
    from app.adapters.simulator.population import Population

    renter = next(p for p in build_personas(Population())[0] if p.key == "renter")
    login = await client.post("/api/v1/auth/login", json={
        "method": "password", "login": renter.login, "password": DEMO_PASSWORD})  # fmt: skip
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    await client.post("/api/v1/auth/face-verification", headers=headers,
                      json={"selfie_token": "selfie-2026-11-24"})  # fmt: skip
    form = rent_withdrawal(renter)
    case = await client.post(
        "/api/v1/applications", headers=headers,
        json={"service_code": "gjj.withdraw.rent", "form": form,
              "materials": await materials_for(client, headers, "gjj.withdraw.rent")},
    )  # fmt: skip
    assert case.status_code == 201, case.text
    assert (case.json()["status"], case.json()["decision"]["ruleset_version"]) == ("approved", 3)


async def test_a_draft_whose_cases_fail_is_not_published(
    client: httpx.AsyncClient, gjj_admin: Headers
) -> None:
    body = copy.deepcopy((await _published(client, gjj_admin))["ruleset"])
    # Turned upside down: every case expecting an approval now fails.
    for criterion in body["criteria"]:
        if criterion["id"] == "no_property_in_qingdao":
            criterion["condition"]["value"] = True
    assert (await client.post(RENT, headers=gjj_admin, json={"ruleset": body})).status_code == 201
    run = (await client.post(f"{RENT}/3/test", headers=gjj_admin)).json()
    assert run["failed"] >= 1
    refused = await client.post(f"{RENT}/3/publish", headers=gjj_admin)
    assert refused.status_code == 409
    assert refused.json()["code"] == "rulesets.cases_failed"
    assert refused.json()["failed"]


async def test_a_draft_that_does_not_load_is_refused(
    client: httpx.AsyncClient, gjj_admin: Headers
) -> None:
    body = copy.deepcopy((await _published(client, gjj_admin))["ruleset"])
    body["criteria"][0]["condition"] = {"fact": "hpf.salary", "op": "gte", "value": 1}
    refused = await client.post(RENT, headers=gjj_admin, json={"ruleset": body})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "rulesets.invalid"


async def test_a_draft_approving_on_what_the_applicant_typed_is_refused(
    client: httpx.AsyncClient, gjj_admin: Headers
) -> None:
    body = copy.deepcopy((await _published(client, gjj_admin))["ruleset"])
    # Ownership as the applicant states it, instead of the real-estate register's.
    for criterion in body["criteria"]:
        if criterion["id"] == "no_property_in_qingdao":
            criterion["condition"] = {"fact": "form.owns_home", "op": "eq", "value": False}
    refused = await client.post(RENT, headers=gjj_admin, json={"ruleset": body})
    assert refused.status_code == 422, refused.text
    assert refused.json()["code"] == "rulesets.invalid"
    assert "form.owns_home" in refused.json()["detail"]
    # The same criterion marked as a commitment the law allows, checked later, is accepted.
    for criterion in body["criteria"]:
        if criterion["id"] == "no_property_in_qingdao":
            criterion["commitment"] = {
                "legal_reference": "国办发〔2020〕42号",
                "verify": {"fact": "property.owns_in_qingdao", "op": "eq", "value": False},
            }
    body["datasets"] = [d for d in body["datasets"] if d != "bdc/property-ownership"]
    body["cases"] = []
    accepted = await client.post(RENT, headers=gjj_admin, json={"ruleset": body})
    assert accepted.status_code == 201, accepted.text


async def test_a_draft_without_an_outcome_is_refused(
    client: httpx.AsyncClient, gjj_admin: Headers
) -> None:
    body = copy.deepcopy((await _published(client, gjj_admin))["ruleset"])
    del body["outcome"]
    refused = await client.post(RENT, headers=gjj_admin, json={"ruleset": body})
    assert refused.status_code == 422, refused.text
    assert "outcome" in refused.json()["detail"]


async def test_only_the_departments_admins(
    client: httpx.AsyncClient, staff_headers: MakeStaff
) -> None:
    other = await staff_headers(
        "jyj.chief", StaffRole.DEPARTMENT_ADMIN, department="jyj", scope=ADMIN_SCOPES
    )
    assert (await client.get(RENT, headers=other)).status_code == 404
    clerk = await staff_headers("gjj.clerk2", StaffRole.CLERK, department="gjj", scope=ADMIN_SCOPES)
    refused = await client.get(RENT, headers=clerk)
    assert (refused.status_code, refused.json()["code"]) == (403, "auth.role_required")


async def test_the_departments_admin_needs_a_token_issued_with_the_admin_scope(
    client: httpx.AsyncClient, staff_headers: MakeStaff, gjj_admin: Headers
) -> None:
    # Issue 13: an admin's everyday token drafted, tested and published a ruleset.
    body = copy.deepcopy((await _published(client, gjj_admin))["ruleset"])
    everyday = await staff_headers(
        "gjj.chief2", StaffRole.DEPARTMENT_ADMIN, department="gjj", scope=EVERYDAY_SCOPES
    )
    platform = await staff_headers(
        "xzsp.admin2", StaffRole.PLATFORM_ADMIN, department="xzsp", scope=EVERYDAY_SCOPES
    )
    for headers in (everyday, platform):
        for refused in (
            await client.get(RENT, headers=headers),
            await client.post(RENT, headers=headers, json={"ruleset": body}),
            await client.post(f"{RENT}/2/test", headers=headers),
            await client.post(f"{RENT}/2/publish", headers=headers),
        ):
            assert refused.status_code == 403, refused.text
            assert refused.json()["code"] == "auth.insufficient_scope"
    versions = (await client.get(RENT, headers=gjj_admin)).json()
    assert [v["version"] for v in versions] == [2], "nothing was drafted"
