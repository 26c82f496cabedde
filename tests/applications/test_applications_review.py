"""The clerks' review through the API: the department's queue, one claim at a time, approve,
reject with a reason, ask for a supplement; the applicant sees each step."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest
from application_forms import kindergarten_continuation
from persona_support import PERSONAS, SignIn, materials_for
from sqlalchemy import update

from app.auth.models import StaffRole
from app.db import Database
from app.kit.clock import utcnow
from app.services.applications.models import Application

KINDERGARTEN = "jyj.kindergarten-licence.continue"
Headers = dict[str, str]


@pytest.fixture
async def case(client: httpx.AsyncClient, sign_in: SignIn) -> tuple[dict[str, Any], Headers]:
    """A kindergarten licence continuation waiting for the education bureau's clerks."""
    applicant = await sign_in("kindergarten", enterprise=True)
    form = kindergarten_continuation(PERSONAS["kindergarten"])
    materials = await materials_for(client, applicant, KINDERGARTEN)
    answer = await client.post(
        "/api/v1/applications", headers=applicant,
        json={"service_code": KINDERGARTEN, "form": form, "materials": materials},
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    return answer.json(), applicant


@pytest.fixture
def clerk(staff_headers: Callable[..., Awaitable[Headers]]) -> Callable[..., Awaitable[Headers]]:
    async def make(login: str, department: str = "jyj") -> Headers:
        return await staff_headers(login, StaffRole.CLERK, department=department)

    return make


async def _act(client: httpx.AsyncClient, case_id: str, action: str, headers: Headers,
               body: dict[str, Any] | None = None) -> httpx.Response:  # fmt: skip
    return await client.post(
        f"/api/v1/review/cases/{case_id}/{action}", headers=headers, json=body or {}
    )


async def test_a_clerk_claims_and_approves_and_the_applicant_sees_it(
    client: httpx.AsyncClient, case: tuple[dict[str, Any], Headers], clerk: Any
) -> None:
    application, applicant = case
    zhang, li = await clerk("jyj.zhang"), await clerk("jyj.li")
    queue = (await client.get("/api/v1/review/cases", headers=zhang)).json()["items"]
    assert [item["number"] for item in queue] == [application["number"]]
    assert (await _act(client, application["id"], "approve", zhang)).status_code == 409, (
        "claim first"
    )
    claimed = await _act(client, application["id"], "claim", zhang)
    assert claimed.status_code == 200, claimed.text
    assert claimed.json()["status"] == "in_review"
    assert (await _act(client, application["id"], "claim", li)).status_code == 409, "one at a time"
    assert (await _act(client, application["id"], "approve", li)).status_code == 409
    approved = await _act(client, application["id"], "approve", zhang, {"note": "材料齐全"})
    assert approved.status_code == 200, approved.text
    seen = (await client.get(f"/api/v1/applications/{application['id']}", headers=applicant)).json()
    assert seen["status"] == "approved"
    assert seen["decision"]["outcome"] == "approved"
    assert seen["decision"]["decided_by"] == "clerk"
    assert [step["status"] for step in seen["timeline"]] == [
        "submitted", "pending_review", "in_review", "approved"
    ]  # fmt: skip


async def test_a_rejection_needs_a_reason_the_applicant_is_shown(
    client: httpx.AsyncClient, case: tuple[dict[str, Any], Headers], clerk: Any
) -> None:
    application, applicant = case
    zhang = await clerk("jyj.zhang")
    await _act(client, application["id"], "claim", zhang)
    assert (await _act(client, application["id"], "reject", zhang)).status_code == 422
    reason = "办学场地消防验收未通过"
    rejected = await _act(client, application["id"], "reject", zhang, {"reason": reason})
    assert rejected.status_code == 200, rejected.text
    seen = (await client.get(f"/api/v1/applications/{application['id']}", headers=applicant)).json()
    assert (seen["status"], seen["decision"]["reason"]) == ("rejected", reason)
    assert seen["timeline"][-1]["note"] == reason


async def test_a_supplement_goes_back_to_the_applicant_and_returns(
    client: httpx.AsyncClient, case: tuple[dict[str, Any], Headers], clerk: Any
) -> None:
    application, applicant = case
    zhang = await clerk("jyj.zhang")
    await _act(client, application["id"], "claim", zhang)
    asked = await _act(client, application["id"], "request-supplement", zhang,
                       {"items": ["补充班级设置说明", "更新联系电话"]})  # fmt: skip
    assert asked.status_code == 200, asked.text
    seen = (await client.get(f"/api/v1/applications/{application['id']}", headers=applicant)).json()
    assert seen["status"] == "supplement_requested"
    assert seen["timeline"][-1]["note"] == "补充班级设置说明；更新联系电话"
    path = f"/api/v1/applications/{application['id']}/supplement"
    bad = await client.post(path, headers=applicant, json={"form": {"phone": "12345"}})
    assert bad.status_code == 422
    locked = await client.post(path, headers=applicant, json={"form": {"contact_name": "王五"}})
    assert locked.status_code == 422, "a government-verified field stays as verified"
    assert {p["name"] for p in locked.json()["invalid_params"]} == {"body.form.contact_name"}
    answered = await client.post(path, headers=applicant, json={"form": {"classes": 7}})
    assert answered.status_code == 200, answered.text
    assert (answered.json()["status"], answered.json()["form"]["classes"]) == ("resubmitted", 7)
    queue = (await client.get("/api/v1/review/cases", headers=zhang)).json()["items"]
    assert [item["status"] for item in queue] == ["resubmitted"]
    assert (await _act(client, application["id"], "claim", zhang)).status_code == 200
    assert (await _act(client, application["id"], "approve", zhang)).status_code == 200


async def test_a_lapsed_claim_may_be_taken_by_another_clerk(
    client: httpx.AsyncClient, case: tuple[dict[str, Any], Headers], clerk: Any, database: Database
) -> None:
    application, _ = case
    zhang, li = await clerk("jyj.zhang"), await clerk("jyj.li")
    first = (await _act(client, application["id"], "claim", zhang)).json()
    async with database.session() as session:  # half an hour goes by
        await session.execute(
            update(Application).values(claim_expires_at=utcnow() - timedelta(seconds=1))
        )
    assert (await _act(client, application["id"], "approve", zhang)).status_code == 409
    taken = await _act(client, application["id"], "claim", li)
    assert taken.status_code == 200, taken.text
    assert taken.json()["claimed_by"] != first["claimed_by"]


async def test_another_departments_clerk_and_citizens_see_nothing(
    client: httpx.AsyncClient, case: tuple[dict[str, Any], Headers], clerk: Any
) -> None:
    application, applicant = case
    housing = await clerk("gjj.wang", "gjj")
    assert (await client.get("/api/v1/review/cases", headers=housing)).json()["items"] == []
    for path in (f"/api/v1/review/cases/{application['id']}",):
        assert (await client.get(path, headers=housing)).status_code == 404
    for action in ("claim", "approve", "reject", "request-supplement"):
        body = (
            {"reason": "不符合"}
            if action == "reject"
            else {"items": ["x"]}
            if action == "request-supplement"
            else {}
        )
        assert (await _act(client, application["id"], action, housing, body)).status_code == 404
    assert (await client.get("/api/v1/review/cases", headers=applicant)).status_code == 403
