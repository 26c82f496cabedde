"""How a license reads: the derived status, the masked holder, the type's name."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date
from typing import cast

from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates import lifecycle, repository
from app.certificates.models import License
from app.certificates.schemas import HolderRead, LicenseRead, ReadStatus
from app.reference.license_types import LicenseTypeRef


async def read_many(
    session: AsyncSession,
    licenses: Sequence[License],
    type_refs: dict[str, LicenseTypeRef],
) -> list[LicenseRead]:
    """The licenses as callers see them (one query for the numbers they supersede)."""
    superseded = {row.supersedes_id for row in licenses if row.supersedes_id is not None}
    numbers = await repository.license_numbers(session, superseded)
    today = lifecycle.today()
    return [_read(row, type_refs, numbers, today) for row in licenses]


def _read(
    row: License,
    type_refs: dict[str, LicenseTypeRef],
    numbers: dict[uuid.UUID, str],
    today: date,
) -> LicenseRead:
    type_ref = type_refs.get(row.type_code) or LicenseTypeRef(
        code=row.type_code, name=row.type_code, name_en=row.type_code
    )
    return LicenseRead(
        license_no=row.license_no,
        type=type_ref,
        issuer=row.issuer_code,
        holder=HolderRead(
            kind="person" if row.holder_kind == "person" else "enterprise",
            name=row.holder_name,
            id_number_masked=row.holder_id_masked,
            uscc=row.holder_uscc,
        ),
        fields=dict(row.fields),
        valid_from=row.valid_from,
        valid_until=row.valid_until,
        status=cast(ReadStatus, lifecycle.read_status(row.status, row.valid_until, today)),
        version=row.version,
        supersedes=numbers.get(row.supersedes_id) if row.supersedes_id else None,
        issued_at=row.created_at,
        updated_at=row.updated_at,
    )
