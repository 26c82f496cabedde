"""Submitting, reading, listing and withdrawing applications, through the API."""

from __future__ import annotations

import asyncio
from datetime import date

import httpx
import pytest
from application_forms import kindergarten_continuation, rent_withdrawal
from persona_support import PERSONAS, SignIn, materials_for
from sqlalchemy import func, select

from app.db import Database
from app.kit.workdays import Calendar
from app.services.applications.models import Application

KINDERGARTEN = "jyj.kindergarten-licence.continue"


async def _apply(
    client: httpx.AsyncClient, headers: dict[str, str], service: str, form: dict[str, object]
) -> httpx.Response:
    materials = await materials_for(client, headers, service)
    return await client.post(
        "/api/v1/applications", headers=headers,
        json={"service_code": service, "form": form, "materials": materials},
    )  # fmt: skip


async def test_a_manual_service_goes_to_the_clerks_with_a_number_and_a_deadline(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("kindergarten", enterprise=True)
    answer = await _apply(
        client, headers, KINDERGARTEN, kindergarten_continuation(PERSONAS["kindergarten"])
    )
    assert answer.status_code == 201, answer.text
    case = answer.json()
    assert case["status"] == "pending_review"
    assert case["decision"] is None
    assert case["applicant_uscc"] == PERSONAS["kindergarten"].enterprise_uscc
    assert len(case["number"]) == 14
    assert case["number"].isdigit()
    submitted = date.fromisoformat(case["number"][:8])
    assert case["deadline"] == Calendar.of().add_workdays(submitted, 20).isoformat()
    assert [(s["status"], s["actor"]) for s in case["timeline"]] == [
        ("submitted", "applicant"),
        ("pending_review", "system"),
    ]
    again = await client.get(f"/api/v1/applications/{case['id']}", headers=headers)
    assert again.status_code == 200
    assert again.json()["number"] == case["number"]
    listed = await client.get("/api/v1/applications", headers=headers)
    assert [item["id"] for item in listed.json()["items"]] == [case["id"]]


async def test_another_applicant_sees_nothing(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    owner = await sign_in("kindergarten", enterprise=True)
    case = (
        await _apply(
            client, owner, KINDERGARTEN, kindergarten_continuation(PERSONAS["kindergarten"])
        )
    ).json()
    for other in (
        await sign_in("renter"),
        await sign_in("printer", enterprise=True),
        await sign_in("kindergarten"),  # herself, but not acting for the kindergarten
    ):
        assert (
            await client.get(f"/api/v1/applications/{case['id']}", headers=other)
        ).status_code == 404
        assert (await client.get("/api/v1/applications", headers=other)).json()["items"] == []
        withdraw = await client.post(
            f"/api/v1/applications/{case['id']}/withdraw", headers=other, json={}
        )
        assert withdraw.status_code == 404
    assert (await client.get("/api/v1/applications/not-a-uuid", headers=owner)).status_code == 404


async def test_the_form_is_checked_without_echoing_values(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("renter", face=True)
    form = rent_withdrawal(PERSONAS["renter"]) | {"lease_start": "下个月", "rent_basis": "随便"}
    del form["lease_end"]
    answer = await _apply(client, headers, "gjj.withdraw.rent", form | {"remark": "备注"})
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    params = {(p["name"], p["reason"]) for p in answer.json()["invalid_params"]}
    assert params == {
        ("body.form.lease_start", "format"),
        ("body.form.rent_basis", "enum"),
        ("body.form.lease_end", "required"),
        ("body.form.remark", "unexpected"),
    }
    assert "下个月" not in answer.text
    assert "随便" not in answer.text
    assert "备注" not in answer.text


async def test_a_form_naming_an_account_to_pay_is_refused_naming_the_field(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("renter", face=True)
    form = rent_withdrawal(PERSONAS["renter"]) | {
        "hpf_account": "370200009999999", "bank_account": "6222020300099999999",
    }  # fmt: skip
    answer = await _apply(client, headers, "gjj.withdraw.rent", form)
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "applications.payee_not_allowed"
    assert {(p["name"], p["reason"]) for p in problem["invalid_params"]} == {
        ("body.form.hpf_account", "paid_to_account_on_record"),
        ("body.form.bank_account", "paid_to_account_on_record"),
    }
    assert "370200009999999" not in answer.text
    assert "6222020300099999999" not in answer.text


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"service_code": "no.such.service", "form": {}}, 422),
        ({"service_code": KINDERGARTEN, "form": {}}, 422),  # an enterprise's, applied as a person
        ({"service_code": "gjj.withdraw.rent", "form": {}}, 403),  # needs L3 (face verified)
    ],
)
async def test_who_may_apply_for_what(
    client: httpx.AsyncClient, sign_in: SignIn, body: dict[str, object], status: int
) -> None:
    answer = await client.post("/api/v1/applications", headers=await sign_in("renter"), json=body)
    assert answer.status_code == status, answer.text


async def test_withdrawing_is_for_cases_still_waiting(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("kindergarten", enterprise=True)
    case = (
        await _apply(
            client, headers, KINDERGARTEN, kindergarten_continuation(PERSONAS["kindergarten"])
        )
    ).json()
    path = f"/api/v1/applications/{case['id']}/withdraw"
    withdrawn = await client.post(path, headers=headers, json={"reason": "材料准备不全，稍后再报"})
    assert withdrawn.status_code == 200, withdrawn.text
    assert withdrawn.json()["status"] == "withdrawn"
    assert withdrawn.json()["timeline"][-1] == {
        **withdrawn.json()["timeline"][-1],
        "status": "withdrawn",
        "actor": "applicant",
        "note": "材料准备不全，稍后再报",
    }
    again = await client.post(path, headers=headers, json={})
    assert again.status_code == 409
    assert again.json()["code"] == "applications.status_conflict"


async def test_fifty_concurrent_submissions_with_one_key_make_one_application(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    agent = await sign_in("kindergarten", enterprise=True)
    headers = agent | {"Idempotency-Key": "kg-2026-11-24"}
    body = {
        "service_code": KINDERGARTEN,
        "form": kindergarten_continuation(PERSONAS["kindergarten"]),
        "materials": await materials_for(client, agent, KINDERGARTEN),
    }
    answers = await asyncio.gather(
        *(client.post("/api/v1/applications", headers=headers, json=body) for _ in range(50))
    )
    created = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(created) == 1, [a.status_code for a in answers]
    assert {a.status_code for a in answers} <= {201, 409}, "a retry still in flight is 409"
    async with database.session(write=False) as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 1


@pytest.mark.parametrize("path", ["/api/v1/applications", "/api/v1/me/licenses"])
@pytest.mark.parametrize("cursor", ["not-a-cursor", "WyJ4Il0"])  # garbage; ["x"], no id
async def test_a_malformed_cursor_is_a_422_problem(
    client: httpx.AsyncClient, sign_in: SignIn, path: str, cursor: str
) -> None:
    answer = await client.get(path, params={"cursor": cursor}, headers=await sign_in("renter"))
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == "pagination.invalid_cursor"
