"""The admins' console.

Department admins (and platform admins, for any department): the department's services with
their automation figures, each service's ruleset versions side by side with a diff, a new
draft, running a version's cases, publishing. Platform admins: dead jobs and their retry,
audit chain verification, the exchange's health, signing keys (rotation), staff and clients.
Every change goes through the domain's service, as the admin API's does, audited there.
"""

from __future__ import annotations

import difflib
import uuid
from typing import Annotated, Any

import yaml
from fastapi import APIRouter, Form, Path, Query, Request
from starlette.responses import RedirectResponse, Response

from app.adapters.service import get_exchange
from app.audit import service as audit_service
from app.audit.dependencies import AuditContextDep
from app.auth import clients as oauth_clients
from app.auth import console_client
from app.auth import service as auth
from app.auth import staff as staff_members
from app.console import burden, rendering
from app.console import dependencies as deps
from app.console.dependencies import ConsoleUser, DepartmentAdminDep, FormUserDep, PlatformAdminDep
from app.dependencies import DatabaseDep, SettingsDep, WriteSessionDep
from app.errors import AppError
from app.jobs import service as jobs
from app.jobs.models import JobState
from app.notifications import subscriptions as webhook_subscriptions
from app.services.catalog import service as catalog
from app.services.catalog.errors import ServiceNotFound
from app.services.rulesets import service as rulesets
from app.services.rulesets.errors import InvalidRuleset
from app.stats import service as stats

router = APIRouter(prefix="/console", include_in_schema=False)
Code = Annotated[str, Path(max_length=100)]
Version = Annotated[int, Path(ge=1, le=100_000)]


def _department(user: ConsoleUser, asked: str | None) -> str:
    # A department admin sees their own department; a platform admin picks one.
    scope = user.staff.department_scope
    return scope if scope is not None else (asked or "gjj")


async def _owned(session: Any, user: ConsoleUser, code: str) -> Any:
    try:
        service = await catalog.get_service(session, code)
    except AppError as exc:
        raise rendering.failure(user.locale, exc, user) from exc
    scope = user.staff.department_scope
    if scope is not None and service.department.code != scope:
        error = ServiceNotFound(f"服务事项 {code} 不存在", f"there is no service {code!r}")
        raise rendering.failure(user.locale, error, user)
    return service


@router.get("/department")
async def department(
    user: DepartmentAdminDep, session: WriteSessionDep,
    code: Annotated[str | None, Query(alias="department", max_length=20)] = None,
) -> Response:  # fmt: skip
    """The department's services, with the rules' automation figures of each."""
    chosen = _department(user, code)
    services = await catalog.search_services(session, department=chosen, limit=100)
    burdens = {
        item.code: burden.of(await catalog.get_service(session, item.code))
        for item in services.items
    }
    overview = await stats.overview(session)
    automation = {s.service_code: s for s in overview.automation.by_service}
    departments = (await catalog.list_departments(session)).items
    context = {
        "user": user, "department": chosen, "services": services.items,
        "automation": automation, "departments": departments, "burdens": burdens,
        "may_choose": user.staff.department_scope is None,
    }  # fmt: skip
    return rendering.render("department.html", context, locale=user.locale)


def _yaml(body: dict[str, Any]) -> str:
    return str(yaml.safe_dump(body, allow_unicode=True, sort_keys=False, width=100))


@router.get("/department/services/{code}")
async def service_rules(
    code: Code, user: DepartmentAdminDep, session: WriteSessionDep,
    left: Annotated[int | None, Query(ge=1, le=100_000)] = None,
    right: Annotated[int | None, Query(ge=1, le=100_000)] = None,
) -> Response:  # fmt: skip
    """A service's ruleset versions: two side by side with their diff, a new draft."""
    service = await _owned(session, user, code)
    versions = await rulesets.list_versions(session, service.code)
    by_number = {v.version: v for v in versions}
    newest = versions[0] if versions else None
    published = next((v for v in versions if v.state == "published"), None)
    a = by_number.get(left or 0) or published or newest
    b = by_number.get(right or 0) or newest
    diff: list[str] = []
    if a is not None and b is not None:
        diff = list(difflib.unified_diff(
            _yaml(a.ruleset).splitlines(), _yaml(b.ruleset).splitlines(),
            f"v{a.version}", f"v{b.version}", lineterm="",
        ))  # fmt: skip
    context = {
        "user": user, "service": service, "versions": versions, "a": a, "b": b, "diff": diff,
        "yaml": _yaml, "draft_text": _yaml(newest.ruleset) if newest else "",
    }  # fmt: skip
    return rendering.render("rulesets.html", context, locale=user.locale)


@router.post("/department/services/{code}/rulesets")
async def new_draft(
    code: Code, user: FormUserDep, session: WriteSessionDep, audit: AuditContextDep,
    ruleset: Annotated[str, Form(max_length=200_000)] = "",
) -> Response:  # fmt: skip
    """Store a draft from the YAML typed or pasted in."""
    deps.require(user, *deps.DEPARTMENT_ADMINS)
    service = await _owned(session, user, code)
    try:
        raw = yaml.safe_load(ruleset)
    except yaml.YAMLError as exc:
        error = InvalidRuleset("规则不是有效的 YAML", "the ruleset is not valid YAML")
        raise rendering.failure(user.locale, error, user) from exc
    if not isinstance(raw, dict):
        error = InvalidRuleset("规则须为 YAML 映射", "the ruleset must be a YAML mapping")
        raise rendering.failure(user.locale, error, user)
    try:
        drafted = await rulesets.draft(session, user.staff, service.code, raw, audit_context=audit)
    except AppError as exc:
        raise rendering.failure(user.locale, exc, user) from exc
    return RedirectResponse(
        f"/console/department/services/{service.code}/rulesets/{drafted.version}?lang={user.locale}",
        303,
    )


@router.get("/department/services/{code}/rulesets/{version}")
async def version_page(
    code: Code, version: Version, user: DepartmentAdminDep, session: WriteSessionDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:  # fmt: skip
    """One version: its cases run now, and publish when it is a draft."""
    service = await _owned(session, user, code)
    try:
        run = await rulesets.test(session, service.code, version)
    except AppError as exc:
        raise rendering.failure(user.locale, exc, user) from exc
    found = next(v for v in await rulesets.list_versions(session, service.code)
                 if v.version == version)  # fmt: skip
    context = {"user": user, "service": service, "version": found, "run": run, "done": done,
               "yaml": _yaml}  # fmt: skip
    return rendering.render("ruleset_version.html", context, locale=user.locale)


@router.post("/department/services/{code}/rulesets/{version}/publish")
async def publish(
    code: Code, version: Version, user: FormUserDep, session: WriteSessionDep,
    audit: AuditContextDep,
) -> Response:  # fmt: skip
    """Publish a draft whose cases all pass (the 409 page names the failing cases)."""
    deps.require(user, *deps.DEPARTMENT_ADMINS)
    service = await _owned(session, user, code)
    try:
        await rulesets.publish(session, user.staff, service.code, version, audit_context=audit)
    except AppError as exc:
        failed = exc.extra.get("failed")
        if failed:
            exc.detail_zh = f"{exc.detail_zh}：{'、'.join(failed)}"
            exc.detail_en = f"{exc.detail_en}: {', '.join(failed)}"
        raise rendering.failure(user.locale, exc, user) from exc
    return RedirectResponse(
        f"/console/department/services/{service.code}/rulesets/{version}?done=publish&lang={user.locale}",
        303,
    )


@router.get("/platform")
async def platform(
    request: Request, user: PlatformAdminDep, session: WriteSessionDep,
    done: Annotated[str | None, Query(max_length=20)] = None,
) -> Response:  # fmt: skip
    """Dead jobs, job counts, failing webhook endpoints, the exchange's health, signing keys,
    staff and clients."""
    dead = await jobs.list_jobs(session, JobState.DEAD, None, 50)
    counts = await jobs.count_by_state(session)
    keys = await console_client.signing_keys(session)
    staff = await staff_members.list_page(session, department=None, cursor=None, limit=100)
    clients = await oauth_clients.list_page(session, cursor=None, limit=100)
    failing = await webhook_subscriptions.failing_endpoints(session)
    context = {
        "user": user, "dead": dead.items, "counts": counts, "keys": keys,
        "staff": staff.items, "clients": clients.items, "exchange": get_exchange().status(),
        "done": done, "failing": failing,
    }  # fmt: skip
    return rendering.render("platform.html", context, locale=user.locale)


@router.post("/platform/jobs/{job_id}/retry")
async def retry_job(job_id: uuid.UUID, user: FormUserDep, session: WriteSessionDep) -> Response:
    """Give a dead job a fresh set of attempts."""
    deps.require(user, *deps.PLATFORM_ADMINS)
    try:
        await jobs.retry(session, job_id)
    except AppError as exc:
        raise rendering.failure(user.locale, exc, user) from exc
    return RedirectResponse(f"/console/platform?done=retry&lang={user.locale}", 303)


@router.post("/platform/keys/rotate")
async def rotate_keys(
    user: FormUserDep, session: WriteSessionDep, settings: SettingsDep, audit: AuditContextDep
) -> Response:
    """Rotate the signing keys (refused while the next key is too newly published)."""
    deps.require(user, *deps.PLATFORM_ADMINS)
    try:
        await auth.rotate_keys(session, settings, audit_context=audit,
                               actor=user.principal.audit_actor)  # fmt: skip
    except AppError as exc:
        raise rendering.failure(user.locale, exc, user) from exc
    return RedirectResponse(f"/console/platform?done=rotate&lang={user.locale}", 303)


@router.post("/platform/audit/verify")
async def verify_audit(user: FormUserDep, database: DatabaseDep, settings: SettingsDep) -> Response:
    """Verify the audit chain (from the newest trusted checkpoint) and show the report."""
    deps.require(user, *deps.PLATFORM_ADMINS)
    report = await audit_service.verify_chain(database, settings)
    return rendering.render("audit_report.html", {"user": user, "report": report},
                            locale=user.locale)  # fmt: skip
