"""Issuing licenses: validation against the type, the identifier, status-list slots, audit.

Renewal uses the same path: a new version of the same serial with the next version number, so
a license keeps its identity across renewals while every version has an identifier of its own.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.certificates import repository, status_slots
from app.certificates.authority import Issuer
from app.certificates.errors import IssuerNotReady, NotAnIssuer
from app.certificates.holders import Holder

# Where they lived before license_rules: the service and transitions call them from here.
from app.certificates.license_rules import check_fields as check_fields
from app.certificates.license_rules import validity as validity
from app.certificates.models import License, LicenseStatus, LicenseType, StatusPurpose
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.kit.license_id import MAX_SERIAL, make_license_id
from app.notifications import events
from app.notifications import service as notifications
from app.services.catalog import service as catalog


def check_authority(issuer: Issuer, license_type: LicenseType) -> None:
    """NotAnIssuer (403) unless the caller's department issues this type."""
    if license_type.issuer_code != issuer.department_code:
        raise NotAnIssuer(
            f"{license_type.name}由 {license_type.issuer_code} 签发",
            f"licenses of type {license_type.code!r} are issued by {license_type.issuer_code!r}",
        )


async def issuer_uscc(session: AsyncSession, department_code: str) -> str:
    """The issuing department's credit code (the identifier's issuer segment)."""
    uscc = await catalog.department_uscc(session, department_code)
    if uscc is None:
        raise IssuerNotReady(
            f"部门 {department_code} 尚未登记统一社会信用代码",
            f"department {department_code!r} has no credit code yet",
        )
    return uscc


async def create(
    session: AsyncSession,
    license_type: LicenseType,
    issuer: Issuer,
    *,
    holder: Holder,
    fields: dict[str, Any],
    valid_from: date,
    valid_until: date | None,
    serial: int | None = None,
    version: int = 1,
    supersedes: License | None = None,
    source_record_id: str | None = None,
) -> License:
    """A new license version, with its identifier and status-list slots (flushed)."""
    uscc = await issuer_uscc(session, license_type.issuer_code)
    if serial is None:
        serial = await repository.next_serial(session, license_type.code)
        if serial > MAX_SERIAL:
            raise IssuerNotReady("证照流水号已用尽", "the type's serial numbers are used up")
    revocation_list, revocation_index = await status_slots.reserve(
        session, StatusPurpose.REVOCATION
    )
    suspension_list, suspension_index = await status_slots.reserve(
        session, StatusPurpose.SUSPENSION
    )
    now = utcnow()
    license_ = License(
        id=new_id(),
        license_no=make_license_id(license_type.type_code, uscc, serial, version),
        type_code=license_type.code,
        issuer_code=license_type.issuer_code,
        holder_kind=holder.kind,
        holder_name=holder.name,
        holder_id_cipher=holder.id_cipher,
        holder_id_index=holder.id_index,
        holder_id_masked=holder.id_masked,
        holder_uscc=holder.uscc,
        fields=fields,
        valid_from=valid_from,
        valid_until=valid_until,
        status=LicenseStatus.VALID.value,
        version=version,
        serial=serial,
        supersedes_id=supersedes.id if supersedes is not None else None,
        source_record_id=source_record_id,
        revocation_list_id=revocation_list,
        revocation_index=revocation_index,
        suspension_list_id=suspension_list,
        suspension_index=suspension_index,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, license_)
    return license_


async def record_issued(
    session: AsyncSession,
    license_: License,
    issuer: Issuer,
    audit_context: AuditContext,
    *,
    notify: bool = True,
) -> None:
    """The news (unless `notify` is off) and the audit record of an issuance (no personal
    data: the number and type identify it)."""
    if notify:
        await publish(session, events.LICENSE_ISSUED, license_)
    await audit.record(
        session,
        audit_context.entry(
            actor_type=issuer.actor_type,
            actor_id=issuer.actor_id,
            action="license.issued",
            subject_type="license",
            subject_id=str(license_.id),
            after={
                "license_no": license_.license_no,
                "type": license_.type_code,
                "status": license_.status,
                "valid_until": license_.valid_until.isoformat() if license_.valid_until else None,
            },
        ),
    )


async def publish(
    session: AsyncSession, event_type: str, license_: License, *, event_id: uuid.UUID | None = None
) -> None:
    """Tell a license's holder (a person by their index, an enterprise by its code) and its
    issuer's systems what became of it, in the transaction of the change."""
    await notifications.publish(
        session,
        event_type,
        subject=f"license/{license_.license_no}",
        payload={
            "license_no": license_.license_no,
            "type_code": license_.type_code,
            "status": license_.status,
            "valid_until": license_.valid_until.isoformat() if license_.valid_until else None,
        },
        department_code=license_.issuer_code,
        enterprise=license_.holder_uscc if license_.holder_kind == "enterprise" else None,
        holder_index=license_.holder_id_index if license_.holder_kind != "enterprise" else None,
        event_id=event_id,
    )


def holder_of(license_: License) -> Holder:
    """The stored holder of a license (a renewal keeps it as it is)."""
    return Holder(
        kind=license_.holder_kind,
        name=license_.holder_name,
        id_cipher=license_.holder_id_cipher,
        id_index=license_.holder_id_index,
        id_masked=license_.holder_id_masked,
        uscc=license_.holder_uscc,
    )
