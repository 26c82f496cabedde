"""The principal dependencies later domains build on, exercised through routes that use them
the way those domains will: 401 without a valid token, 403 for the wrong scope or role, 404 for
records that exist but are not the caller's (another citizen's, another department's)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from oidc_support import Provider

from app.auth.dependencies import CurrentCitizen, CurrentStaff, RequireScopes, RequireStaff
from app.auth.models import StaffRole
from app.auth.principals import Principal, Staff
from app.errors import NotFound

# Records as a later domain would hold them: each belongs to a citizen or a department.
CASES = {"case-gjj": "gjj", "case-mzj": "mzj"}


def routes() -> APIRouter:
    router = APIRouter(prefix="/test")

    @router.get("/my-records/{owner}")
    async def my_record(owner: str, citizen: CurrentCitizen) -> dict[str, str]:
        if owner != str(citizen.account_id):
            raise NotFound("记录不存在", "no such record")
        return {"owner": owner}

    @router.get("/cases/{case}")
    async def department_case(
        case: str,
        staff: Annotated[Staff, Depends(RequireStaff(StaffRole.CLERK, StaffRole.DEPARTMENT_ADMIN))],
    ) -> dict[str, str]:
        department = CASES.get(case)
        if department is None or not staff.may_see(department):
            raise NotFound("案件不存在", "no such case")
        return {"case": case}

    @router.get("/any-staff")
    async def any_staff(staff: CurrentStaff) -> dict[str, str | None]:
        return {"department_scope": staff.department_scope}

    @router.get("/verify")
    async def verify(
        caller: Annotated[Principal, Depends(RequireScopes("licenses.verify"))],
    ) -> dict[str, str]:
        return {"caller": caller.id, "kind": caller.kind}

    return router


@pytest.fixture
def protected(app: FastAPI) -> FastAPI:
    app.include_router(routes())
    return app


async def test_citizens_see_only_their_own_records(
    protected: FastAPI, browser: httpx.AsyncClient, provider: Provider
) -> None:
    alice = await provider.person("13800001111")
    bob = await provider.person("13800002222")
    # A department system acts for the person in the citizen API only with `citizen` granted.
    rp = await provider.register(scopes=["openid", "citizen"])
    tokens = await provider.tokens_for(browser, rp, login="13800001111", scope="openid citizen")
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await provider.api.get(f"/test/my-records/{alice}", headers=bearer)).status_code == 200
    other = await provider.api.get(f"/test/my-records/{bob}", headers=bearer)
    assert other.status_code == 404
    assert other.json()["code"] == "resource.not_found"
    assert (await provider.api.get(f"/test/my-records/{alice}")).status_code == 401
    assert (await provider.api.get("/test/any-staff", headers=bearer)).status_code == 403


async def test_clerks_see_only_their_departments_records(
    protected: FastAPI,
    provider: Provider,
    staff_headers: Callable[..., Awaitable[dict[str, str]]],
) -> None:
    clerk = await staff_headers("gjj.clerk", StaffRole.CLERK, department="gjj")
    assert (await provider.api.get("/test/cases/case-gjj", headers=clerk)).status_code == 200
    assert (await provider.api.get("/test/cases/case-mzj", headers=clerk)).status_code == 404
    scope = await provider.api.get("/test/any-staff", headers=clerk)
    assert scope.json() == {"department_scope": "gjj"}
    # An auditor is staff, but not a role this route admits.
    auditor = await staff_headers("gjj.auditor", StaffRole.AUDITOR, department="gjj")
    refused = await provider.api.get("/test/cases/case-gjj", headers=auditor)
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.role_required"
    # Platform admins are not limited to a department.
    admin = await provider.api.get("/test/any-staff", headers=provider.admin)
    assert admin.json() == {"department_scope": None}


async def test_scopes_are_required_of_every_caller(
    protected: FastAPI, browser: httpx.AsyncClient, provider: Provider
) -> None:
    verifier = await provider.register("partner", scopes=["licenses.verify"])
    statistician = await provider.register("partner", scopes=["stats.read"])
    for partner, status in ((verifier, 200), (statistician, 403)):
        token = (await provider.token(partner, grant_type="client_credentials")).json()
        response = await provider.api.get(
            "/test/verify", headers={"Authorization": f"Bearer {token['access_token']}"}
        )
        assert response.status_code == status
    refused = await provider.api.get(
        "/test/verify",
        headers={
            "Authorization": "Bearer "
            + (await provider.token(statistician, grant_type="client_credentials")).json()[
                "access_token"
            ]
        },
    )
    assert refused.json()["code"] == "auth.insufficient_scope"
    assert 'scope="licenses.verify"' in refused.headers["www-authenticate"]
    partner_on_citizen_route = await provider.api.get(
        "/test/my-records/x",
        headers={
            "Authorization": "Bearer "
            + (await provider.token(verifier, grant_type="client_credentials")).json()[
                "access_token"
            ]
        },
    )
    assert partner_on_citizen_route.status_code == 403
