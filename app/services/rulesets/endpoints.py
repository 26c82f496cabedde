"""HTTP endpoints of stored rulesets, for department admins (DESIGN §5 "Rules"): list the
versions, store a draft, run its cases, publish it. A service of another department is 404.

Like every admin route, they take a token issued with the `admin` scope (RequireAdmin)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import AUTH_ERRORS
from app.config import API_V1
from app.dependencies import DepartmentAdminDep, SessionDep
from app.errors import error_responses
from app.services.catalog import service as catalog
from app.services.catalog.errors import ServiceNotFound
from app.services.rulesets import service as rulesets
from app.services.rulesets.errors import (
    AlreadyPublished,
    CasesFailed,
    InvalidRuleset,
    RulesetNotFound,
)
from app.services.rulesets.schemas import RulesetDraft, RulesetRead, RulesetTestRun

router = APIRouter(
    prefix=f"{API_V1}/admin/services", tags=["rules"], responses=error_responses(*AUTH_ERRORS)
)
# The `admin` scope as on every admin route: a department admin's everyday token, or one a
# department system obtained for them, cannot change what decides the department's cases.
Admin = DepartmentAdminDep
Version = Annotated[int, Path(ge=1, le=100_000)]


async def _owned_service(
    code: Annotated[str, Path(max_length=100)], admin: Admin, session: SessionDep
) -> str:
    """The service, if it is the admin's department's (a platform admin's: any)."""
    service = await catalog.get_service(session, code)
    if admin.department_scope is not None and service.department.code != admin.department_scope:
        raise ServiceNotFound(f"服务事项 {code} 不存在", f"there is no service {code!r}")
    return service.code


Service = Annotated[str, Depends(_owned_service)]


@router.get("/{code}/rulesets", response_model=list[RulesetRead], status_code=status.HTTP_200_OK,
            summary="List ruleset versions",
            responses=error_responses(ServiceNotFound))  # fmt: skip
async def list_rulesets(code: Service, session: SessionDep) -> list[RulesetRead]:
    """Every version of the service's ruleset, newest first, drafts included.

    (Department admins of the service's department and platform admins, with the `admin` scope.)
    """
    return await rulesets.list_versions(session, code)


@router.post("/{code}/rulesets", response_model=RulesetRead, status_code=status.HTTP_201_CREATED,
             summary="Store a draft version", responses=error_responses(ServiceNotFound, InvalidRuleset))  # fmt: skip  # noqa: E501
async def draft_ruleset(
    code: Service, data: RulesetDraft, admin: Admin, session: SessionDep, audit: AuditContextDep
) -> RulesetRead:
    """A new draft (the next version number): loaded and checked as the shipped ones are;
    it decides nothing until published.

    (Department admins of the service's department and platform admins, with the `admin` scope.)
    """
    return await rulesets.draft(session, admin, code, data.ruleset, audit_context=audit)


@router.post("/{code}/rulesets/{version}/test", response_model=RulesetTestRun,
             status_code=status.HTTP_200_OK, summary="Run a version's cases", responses=error_responses(ServiceNotFound, RulesetNotFound))  # fmt: skip  # noqa: E501
async def test_ruleset(code: Service, version: Version, session: SessionDep) -> RulesetTestRun:
    """Run the version's YAML cases and say which pass.

    (Department admins of the service's department and platform admins, with the `admin` scope.)
    """
    return await rulesets.test(session, code, version)


@router.post("/{code}/rulesets/{version}/publish", response_model=RulesetRead,
             status_code=status.HTTP_200_OK, summary="Publish a version",
             responses=error_responses(ServiceNotFound, RulesetNotFound, CasesFailed, AlreadyPublished))  # fmt: skip  # noqa: E501
async def publish_ruleset(
    code: Service, version: Version, admin: Admin, session: SessionDep, audit: AuditContextDep
) -> RulesetRead:
    """Publish a draft whose cases all pass (409 otherwise): from its `effective_from` it
    decides the service's applications, superseding older versions.

    (Department admins of the service's department and platform admins, with the `admin` scope.)
    """
    return await rulesets.publish(session, admin, code, version, audit_context=audit)
