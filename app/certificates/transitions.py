"""Status changes of a license by its issuer: suspend, reinstate, revoke, cancel, renew.

Each one locks the license row, checks the action against the status as read ("expired"
included), and writes an audit record with the reason as its purpose, in the same transaction.
A license of another issuer, or a number that is no license at all, reads as not found.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.certificates import issuance, lifecycle, repository
from app.certificates.authority import Issuer
from app.certificates.errors import LicenseNotFound, TransitionNotAllowed
from app.certificates.holders import Holder
from app.certificates.lifecycle import Action
from app.certificates.models import License
from app.kit.clock import utcnow
from app.kit.license_id import MAX_VERSION, is_valid_license_id, parse_license_id

_MAX_NUMBER_CHARS = 80


def not_found() -> LicenseNotFound:
    """The one answer for a license the caller may not see, or that does not exist.

    The number is not echoed: whether it was malformed, unknown or another's stays unsaid.
    """
    return LicenseNotFound("未找到该证照", "no such license")


def well_formed(license_no: str) -> bool:
    """Whether a path segment can be a license number at all (cheap checks before a query)."""
    return len(license_no) <= _MAX_NUMBER_CHARS and is_valid_license_id(license_no)


async def _locked(session: AsyncSession, issuer: Issuer, license_no: str) -> License:
    if not well_formed(license_no):
        raise not_found()
    license_ = await repository.issuer_license_for_update(
        session, license_no, issuer.department_code
    )
    if license_ is None:
        raise not_found()
    return license_


def _check(action: Action, license_: License) -> str:
    current = lifecycle.read_status(license_.status, license_.valid_until, lifecycle.today())
    if not lifecycle.allows(action, current):
        raise TransitionNotAllowed(
            f"证照当前状态为 {current}，不能执行 {action.value}",
            f"a license that is {current} cannot be {action.audit_action.split('.')[1]}",
            extra={"license_status": current, "action": action.value},
        )
    return current


async def _record(
    session: AsyncSession,
    license_: License,
    issuer: Issuer,
    action: Action,
    *,
    reason: str,
    before: str,
    audit_context: AuditContext,
    successor: License | None = None,
) -> None:
    after: dict[str, str] = {"status": license_.status}
    if successor is not None:
        after["renewed_as"] = successor.license_no
    # A renewal is news of the new version (the old one is merely superseded).
    await issuance.publish(session, action.audit_action, successor or license_)
    await audit.record(
        session,
        audit_context.entry(
            actor_type=issuer.actor_type,
            actor_id=issuer.actor_id,
            action=action.audit_action,
            subject_type="license",
            subject_id=str(license_.id),
            purpose=reason,
            before={"status": before, "license_no": license_.license_no},
            after=after,
        ),
    )


async def change_status(
    session: AsyncSession,
    issuer: Issuer,
    license_no: str,
    action: Action,
    *,
    reason: str,
    audit_context: AuditContext,
) -> License:
    """Suspend, reinstate, revoke or cancel a license of the caller's department."""
    license_ = await _locked(session, issuer, license_no)
    before = _check(action, license_)
    license_.status = lifecycle.RESULT[action].value
    license_.updated_at = utcnow()
    await session.flush()
    await _record(
        session, license_, issuer, action, reason=reason, before=before, audit_context=audit_context
    )
    return license_


async def renew(
    session: AsyncSession,
    issuer: Issuer,
    license_no: str,
    *,
    reason: str,
    valid_from: date | None,
    valid_until: date | None,
    audit_context: AuditContext,
) -> License:
    """A new version of a valid or expired license; the old one becomes superseded."""
    license_ = await _locked(session, issuer, license_no)
    before = _check(Action.RENEW, license_)
    license_type = await repository.get_license_type(session, license_.type_code)
    if license_type is None:  # the foreign key makes this impossible; keep mypy and readers sure
        raise not_found()
    start, end = issuance.validity(license_type, valid_from, valid_until)
    current = parse_license_id(license_.license_no)
    if current.version >= MAX_VERSION:
        raise TransitionNotAllowed(
            "证照版本号已达上限",
            "the license has reached its last version number",
            extra={"license_status": before, "action": Action.RENEW.value},
        )
    license_.status = lifecycle.RESULT[Action.RENEW].value
    license_.updated_at = utcnow()
    await session.flush()
    # The printed dates of the license (发证日期, 有效期至) are the new version's.
    fields = dict(license_.fields)
    for name, day in (("issued_on", start), ("valid_until", end)):
        if name in fields and day is not None:
            fields[name] = day.isoformat()
    successor = await issuance.create(
        session,
        license_type,
        issuer,
        holder=issuance.holder_of(license_),
        fields=fields,
        valid_from=start,
        valid_until=end,
        serial=current.serial,
        version=current.next_version().version,
        supersedes=license_,
    )
    await _record(
        session,
        license_,
        issuer,
        Action.RENEW,
        reason=reason,
        before=before,
        audit_context=audit_context,
        successor=successor,
    )
    return successor


async def transfer(
    session: AsyncSession,
    issuer: Issuer,
    license_no: str,
    *,
    holder: Holder,
    fields: dict[str, object],
    reason: str,
    audit_context: AuditContext,
) -> License:
    """A license of the same type for a new holder (a property sold: the buyer's certificate),
    superseding the old holder's: a new serial, not a version of the old one, since it is
    another person's title; the old one reads `superseded` and names its successor."""
    license_ = await _locked(session, issuer, license_no)
    before = _check(Action.RENEW, license_)
    license_type = await repository.get_license_type(session, license_.type_code)
    if license_type is None:  # the foreign key makes this impossible
        raise not_found()
    start, end = issuance.validity(license_type, None, None)
    license_.status = lifecycle.RESULT[Action.RENEW].value
    license_.updated_at = utcnow()
    await session.flush()
    successor = await issuance.create(
        session, license_type, issuer, holder=holder, fields={**license_.fields, **fields},
        valid_from=start, valid_until=end, supersedes=license_,
    )  # fmt: skip
    await issuance.record_issued(session, successor, issuer, audit_context)
    await audit.record(
        session,
        audit_context.entry(
            actor_type=issuer.actor_type, actor_id=issuer.actor_id, action="license.transferred",
            subject_type="license", subject_id=str(license_.id), purpose=reason,
            before={"status": before, "license_no": license_.license_no},
            after={"status": license_.status, "transferred_as": successor.license_no},
        ),
    )  # fmt: skip
    return successor
