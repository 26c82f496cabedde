"""Stored rulesets: seeding, drafting, testing, publishing, and the version in force.

Versions are immutable: a draft is written once and may only be published (after all of its
cases pass); a correction is a new version. The version in force on a date is the newest
published one whose period covers it, so publishing version 2 from 1 July supersedes version 1
from that day without touching version 1's row. Parsed versions are cached by row: a stored
version never changes.
"""

from __future__ import annotations

import time
import uuid
from datetime import date
from typing import Any

from pydantic import ValidationError
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth.principals import Staff
from app.db import database_of
from app.kit.clock import utcnow
from app.rules import cases, load
from app.rules.model import Ruleset, RulesetError
from app.services.rulesets import repository
from app.services.rulesets.errors import (
    AlreadyPublished,
    CasesFailed,
    InvalidRuleset,
    RulesetNotFound,
)
from app.services.rulesets.models import StoredRuleset
from app.services.rulesets.schemas import CaseOutcome, RulesetRead, RulesetTestRun

# By row id: a stored version never changes, and ids are unique across databases too.
_parsed: dict[uuid.UUID, Ruleset] = {}


def _body(ruleset: Ruleset) -> dict[str, Any]:
    body: dict[str, Any] = ruleset.model_dump(mode="json", by_alias=True)
    return body


def parsed(row: StoredRuleset) -> Ruleset:
    """The engine's view of a stored version (cached: versions never change); InvalidRuleset
    (422) for a version that the engine's schema no longer accepts (version 1 of the shipped
    rulesets let declared facts approve and named no outcome: it stays stored as history)."""
    ruleset = _parsed.get(row.id)
    if ruleset is None:
        try:
            ruleset = Ruleset.model_validate(row.body)
        except ValidationError as exc:
            raise InvalidRuleset(
                f"{row.service_code} 版本 {row.version} 不符合现行规则格式，不能使用",
                f"{row.service_code} v{row.version} no longer loads: {str(exc)[:300]}",
            ) from exc
        _parsed[row.id] = ruleset
    return ruleset


async def stored_version(session: AsyncSession, service_code: str, number: int) -> Ruleset:
    """One stored version as the engine reads it (the version a decision names)."""
    return parsed(await _version(session, service_code, number))


# Every 秒批 submission asks which version is in force; a version published elsewhere takes
# effect in this process within this long.
IN_FORCE_TTL_SECONDS = 10.0
_in_force: dict[tuple[str, str, date], tuple[float, Ruleset | None]] = {}


async def in_force(session: AsyncSession, service_code: str, on: date) -> Ruleset | None:
    """The ruleset deciding a service's applications made on `on` (None: clerks decide)."""
    key = (database_of(session), service_code, on)
    now = time.monotonic()
    found = _in_force.get(key)
    if found is None or found[0] < now:
        row = await repository.in_force(session, service_code, on)
        found = _in_force[key] = (now + IN_FORCE_TTL_SECONDS, parsed(row) if row else None)
    return found[1]


async def seed_shipped(session: AsyncSession) -> int:
    """Store the shipped rulesets not stored yet, as published versions; how many."""
    stored = await repository.stored_keys(session)
    now, added = utcnow(), 0
    for ruleset in load.shipped_rulesets():
        if (ruleset.service, ruleset.version) in stored:
            continue
        await repository.add(session, StoredRuleset(
            service_code=ruleset.service, version=ruleset.version, state="published",
            effective_from=ruleset.effective_from, effective_to=ruleset.effective_to,
            body=_body(ruleset), created_by="seed", created_at=now,
            published_by="seed", published_at=now,
        ))  # fmt: skip
        added += 1
    return added


def _read(row: StoredRuleset) -> RulesetRead:
    return RulesetRead(
        service_code=row.service_code, version=row.version, state=row.state,
        effective_from=row.effective_from, effective_to=row.effective_to, ruleset=row.body,
        created_by=row.created_by, created_at=row.created_at, published_by=row.published_by,
        published_at=row.published_at,
    )  # fmt: skip


async def list_versions(session: AsyncSession, service_code: str) -> list[RulesetRead]:
    """Every version of a service's ruleset, newest first."""
    return [_read(row) for row in await repository.versions(session, service_code)]


async def draft(
    session: AsyncSession,
    admin: Staff,
    service_code: str,
    raw: dict[str, Any],
    *,
    audit_context: AuditContext,
) -> RulesetRead:
    """Store a new draft version (the next number); InvalidRuleset (422) when it does not load."""
    if raw.get("service", service_code) != service_code:
        raise InvalidRuleset("规则所属事项与路径不一致", "the ruleset names another service")
    number = await repository.last_version(session, service_code) + 1
    try:
        ruleset = load.parse_ruleset(
            {**raw, "service": service_code, "version": number}, load.load_templates()
        )
    except RulesetError as exc:
        raise InvalidRuleset(f"规则无法加载：{str(exc)[:500]}", str(exc)[:500]) from exc
    row = StoredRuleset(
        service_code=service_code, version=number, state="draft",
        effective_from=ruleset.effective_from, effective_to=ruleset.effective_to,
        body=_body(ruleset), created_by=str(admin.staff_id), created_at=utcnow(),
        published_by=None, published_at=None,
    )  # fmt: skip
    await repository.add(session, row)
    await _audit(session, admin, row, "ruleset.drafted", audit_context)
    return _read(row)


async def _version(
    session: AsyncSession, service_code: str, number: int, *, for_update: bool = False
) -> StoredRuleset:
    row = await repository.version(session, service_code, number, for_update=for_update)
    if row is None:
        raise RulesetNotFound(f"{service_code} 无版本 {number}", f"no version {number}")
    return row


def _run(row: StoredRuleset) -> RulesetTestRun:
    ruleset = parsed(row)
    results = [cases.run_case(ruleset, case) for case in ruleset.cases]
    return RulesetTestRun(
        service_code=row.service_code, version=row.version,
        passed=sum(result.passed for result in results),
        failed=sum(not result.passed for result in results),
        cases=[CaseOutcome(name=r.case, passed=r.passed, diff=r.diff) for r in results],
    )  # fmt: skip


async def test(session: AsyncSession, service_code: str, number: int) -> RulesetTestRun:
    """Run a version's cases."""
    return _run(await _version(session, service_code, number))


async def publish(
    session: AsyncSession,
    admin: Staff,
    service_code: str,
    number: int,
    *,
    audit_context: AuditContext,
) -> RulesetRead:
    """Publish a draft whose cases all pass (CasesFailed, 409, otherwise)."""
    row = await _version(session, service_code, number, for_update=True)
    if row.state == "published":
        raise AlreadyPublished(f"版本 {number} 已发布", f"version {number} is published")
    run = _run(row)
    if run.failed or not run.passed:
        raise CasesFailed(
            f"{run.failed} 个用例未通过", f"{run.failed} of {len(run.cases)} cases fail",
            extra={"failed": [case.name for case in run.cases if not case.passed]},
        )  # fmt: skip
    row.state, row.published_by, row.published_at = "published", str(admin.staff_id), utcnow()
    await session.flush()
    _in_force.clear()  # this process applies it at once
    await _audit(session, admin, row, "ruleset.published", audit_context)
    return _read(row)


async def _audit(
    session: AsyncSession, admin: Staff, row: StoredRuleset, action: str, context: AuditContext
) -> None:
    await audit.record(
        session,
        context.entry(
            actor_type="staff", actor_id=str(admin.staff_id), action=action,
            subject_type="ruleset", subject_id=f"{row.service_code}@{row.version}",
            after={"state": row.state, "effective_from": row.effective_from.isoformat()},
        ),
    )  # fmt: skip
