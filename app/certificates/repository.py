"""Every query of the e-license domain."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import (
    ColumnElement,
    Select,
    String,
    and_,
    any_,
    bindparam,
    false,
    func,
    or_,
    select,
    text,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from app.certificates.authority import ReadScope
from app.certificates.models import (
    CredentialKey,
    License,
    LicenseSerial,
    LicenseStatus,
    LicenseType,
    StatusList,
)
from app.db import DriverStatement, fetch_driver_rows


async def list_license_types(
    session: AsyncSession, *, issuer: str | None, after: str | None, limit: int
) -> Sequence[LicenseType]:
    """License types ordered by code, after the keyset `after`, optionally of one issuer."""
    query = select(LicenseType).order_by(LicenseType.code).limit(limit)
    if issuer is not None:
        query = query.where(LicenseType.issuer_code == issuer)
    if after is not None:
        query = query.where(LicenseType.code > after)
    return (await session.scalars(query)).all()


async def get_license_type(session: AsyncSession, code: str) -> LicenseType | None:
    """One license type by code."""
    return await session.get(LicenseType, code)


async def license_type_names(session: AsyncSession) -> Sequence[tuple[str, str, str]]:
    """(code, name, name_en) of every license type."""
    query = select(LicenseType.code, LicenseType.name, LicenseType.name_en)
    return [(row.code, row.name, row.name_en) for row in await session.execute(query)]


async def count_license_types(session: AsyncSession) -> int:
    """How many license types there are."""
    return int(await session.scalar(select(func.count()).select_from(LicenseType)) or 0)


# Serial numbers and status-list slots


async def next_serial(session: AsyncSession, type_code: str) -> int:
    """The next serial number of a license type, in one atomic upsert.

    The upsert locks the counter row until the transaction ends (PostgreSQL), and SQLite
    serialises writers, so two issuances never get the same serial.
    """
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    upsert = (
        insert(LicenseSerial)
        .values(type_code=type_code, last_serial=1)
        .on_conflict_do_update(
            index_elements=[LicenseSerial.type_code],
            set_={"last_serial": LicenseSerial.last_serial + 1},
        )
        .returning(LicenseSerial.last_serial)
    )
    return int((await session.execute(upsert)).scalar_one())


async def open_status_list(session: AsyncSession, purpose: str) -> StatusList | None:
    """The newest status list of `purpose` with free slots, locked until the transaction ends."""
    query = (
        select(StatusList)
        .where(StatusList.purpose == purpose, StatusList.allocated < StatusList.size)
        .order_by(StatusList.created_at.desc(), StatusList.id.desc())
        .limit(1)
        .with_for_update()
    )
    return (await session.scalars(query)).first()


def _slot_columns(
    purpose: str,
) -> tuple[InstrumentedAttribute[uuid.UUID], InstrumentedAttribute[int]]:
    if purpose == "revocation":
        return License.revocation_list_id, License.revocation_index
    return License.suspension_list_id, License.suspension_index


async def status_slot_taken(
    session: AsyncSession, purpose: str, list_id: uuid.UUID, index: int
) -> bool:
    """Whether a slot of a status list is held by a license."""
    list_column, index_column = _slot_columns(purpose)
    query = select(License.id).where(list_column == list_id, index_column == index).limit(1)
    return await session.scalar(query) is not None


async def status_slots_taken(session: AsyncSession, purpose: str, list_id: uuid.UUID) -> set[int]:
    """Every held slot of a status list (only when random probing keeps hitting taken ones)."""
    list_column, index_column = _slot_columns(purpose)
    return set((await session.scalars(select(index_column).where(list_column == list_id))).all())


# Licenses


def _visible(scope: ReadScope) -> ColumnElement[bool]:
    if scope.every_issuer:
        return License.id.is_not(None)
    conditions: list[ColumnElement[bool]] = []
    if scope.holder_id_index is not None:
        conditions.append(License.holder_id_index == scope.holder_id_index)
    if scope.holder_uscc is not None:
        conditions.append(License.holder_uscc == scope.holder_uscc)
    if scope.issuer_code is not None:
        conditions.append(License.issuer_code == scope.issuer_code)
    return or_(*conditions) if conditions else false()


async def add(session: AsyncSession, license_: License) -> None:
    """Stage a new license and flush it."""
    session.add(license_)
    await session.flush()


async def visible_license(
    session: AsyncSession, license_no: str, scope: ReadScope
) -> License | None:
    """A license by number, if the caller's scope covers it."""
    query = select(License).where(License.license_no == license_no, _visible(scope))
    return (await session.scalars(query)).first()


async def issuer_of_license(session: AsyncSession, license_no: str) -> str | None:
    """The issuing department of a license, by number."""
    return await session.scalar(select(License.issuer_code).where(License.license_no == license_no))


async def issuer_license_for_update(
    session: AsyncSession, license_no: str, issuer_code: str
) -> License | None:
    """A license of this issuer by number, locked for a status change."""
    query = (
        select(License)
        .where(License.license_no == license_no, License.issuer_code == issuer_code)
        .with_for_update()
    )
    return (await session.scalars(query)).first()


async def source_record_taken(
    session: AsyncSession, issuer_code: str, source_record_id: str
) -> bool:
    """Whether the issuer already issued a license for this record of its own."""
    query = select(License.id).where(
        License.issuer_code == issuer_code, License.source_record_id == source_record_id
    )
    return await session.scalar(query) is not None


async def holder_licenses(
    session: AsyncSession, scope: ReadScope, *, after: uuid.UUID | None, limit: int
) -> Sequence[License]:
    """A holder's licenses, newest first, without the versions a renewal replaced."""
    query = (
        select(License)
        .where(_visible(scope), License.status != LicenseStatus.SUPERSEDED.value)
        .order_by(License.id.desc())
        .limit(limit)
    )
    if after is not None:
        query = query.where(License.id < after)
    return (await session.scalars(query)).all()


async def holder_license_of_type(
    session: AsyncSession, scope: ReadScope, type_code: str
) -> License | None:
    """A holder's newest license of a type, without the versions a renewal replaced."""
    query = (
        select(License)
        .where(
            _visible(scope),
            License.type_code == type_code,
            License.status != LicenseStatus.SUPERSEDED.value,
        )
        .order_by(License.id.desc())
        .limit(1)
    )
    return (await session.scalars(query)).first()


async def holder_licenses_of_types(
    session: AsyncSession, scope: ReadScope, type_codes: Collection[str]
) -> dict[str, License]:
    """`holder_license_of_type` for several types in one query: the newest of each type held."""
    query = (
        select(License)
        .where(
            _visible(scope),
            License.type_code.in_(type_codes),
            License.status != LicenseStatus.SUPERSEDED.value,
        )
        .order_by(License.id.desc())
    )
    newest: dict[str, License] = {}
    for license_ in (await session.scalars(query)).all():
        newest.setdefault(license_.type_code, license_)
    return newest


@dataclass(frozen=True, slots=True)
class HeldState:
    """A held license's number and what its status read needs (lifecycle.read_status)."""

    license_no: str
    status: str
    valid_until: date | None


async def holder_license_states(
    session: AsyncSession, scope: ReadScope, type_codes: Collection[str]
) -> dict[str, HeldState]:
    """`holder_licenses_of_types` of a holder, only the number and status of each: on
    PostgreSQL through the driver (every submission asks the registry for its materials, and
    with its other reads through the driver a submission's reads need no transaction)."""
    one_holder = (scope.holder_id_index is None) != (scope.holder_uscc is None)
    by_holder = one_holder and scope.issuer_code is None and not scope.every_issuer
    if session.get_bind().dialect.name != "postgresql" or not by_holder:
        found = await holder_licenses_of_types(session, scope, type_codes)
        return {
            code: HeldState(row.license_no, row.status, row.valid_until)
            for code, row in found.items()
        }
    by_uscc = scope.holder_uscc is not None
    statement = _DRIVER_HELD_BY_USCC if by_uscc else _DRIVER_HELD_BY_ID_INDEX
    params = {
        "holder": scope.holder_uscc if by_uscc else scope.holder_id_index,
        "types": list(type_codes),
        "superseded": LicenseStatus.SUPERSEDED.value,
    }
    newest: dict[str, HeldState] = {}
    for row in await fetch_driver_rows(session, statement, params):
        newest.setdefault(
            row["type_code"], HeldState(row["license_no"], row["status"], row["valid_until"])
        )
    return newest


def _driver_held(holder: InstrumentedAttribute[str | None]) -> DriverStatement:
    # As holder_licenses_of_types, the types as one array: newest first, the caller keeps the
    # first of each type.
    return DriverStatement(
        select(License.type_code, License.license_no, License.status, License.valid_until)
        .where(
            holder == bindparam("holder"),
            License.type_code == any_(bindparam("types", type_=postgresql.ARRAY(String))),
            License.status != bindparam("superseded"),
        )
        .order_by(License.id.desc())
    )


_DRIVER_HELD_BY_ID_INDEX = _driver_held(License.holder_id_index)
_DRIVER_HELD_BY_USCC = _driver_held(License.holder_uscc)


async def license_numbers(
    session: AsyncSession, ids: Collection[uuid.UUID]
) -> dict[uuid.UUID, str]:
    """license_no by id (for the `supersedes` of the licenses shown)."""
    if not ids:
        return {}
    rows = await session.execute(select(License.id, License.license_no).where(License.id.in_(ids)))
    return {row.id: row.license_no for row in rows}


def expiring_query(
    *, first_day: date, last_day: date, after: tuple[date, str] | None, limit: int
) -> Select[License]:
    """Valid licenses whose last day falls within [first_day, last_day], by last day.

    Served by the (status, valid_until) index: an equality and a range on its two columns.
    """
    query = (
        select(License)
        .where(
            License.status == LicenseStatus.VALID.value,
            License.valid_until >= first_day,
            License.valid_until <= last_day,
        )
        .order_by(License.valid_until, License.license_no)
        .limit(limit)
    )
    if after is not None:
        day, last_no = after
        query = query.where(
            or_(
                License.valid_until > day,
                and_(License.valid_until == day, License.license_no > last_no),
            )
        )
    return query


async def expiring_licenses(
    session: AsyncSession,
    *,
    first_day: date,
    last_day: date,
    after: tuple[date, str] | None,
    limit: int,
) -> Sequence[License]:
    """The licenses of `expiring_query`."""
    query = expiring_query(first_day=first_day, last_day=last_day, after=after, limit=limit)
    return (await session.scalars(query)).all()


_EXPIRY_NOTICES_LOCK = 0x51450003  # pg_advisory_xact_lock key of the expiry notices' run


async def lock_expiry_notices(session: AsyncSession) -> None:
    """One run of the expiry notices at a time (a second waits, then finds them told)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _EXPIRY_NOTICES_LOCK}
        )


# Credential keys and status lists

_CREDENTIAL_KEYS_LOCK = 0x51450002  # pg_advisory_xact_lock key of credential key creation


async def lock_credential_keys(session: AsyncSession) -> None:
    """Hold the key lock until the transaction ends (SQLite writers are serial anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": _CREDENTIAL_KEYS_LOCK}
        )


async def credential_keys(session: AsyncSession) -> Sequence[CredentialKey]:
    """Every credential key, newest first (the first one signs)."""
    query = select(CredentialKey).order_by(CredentialKey.created_at.desc(), CredentialKey.kid)
    return (await session.scalars(query)).all()


async def get_status_list(session: AsyncSession, list_id: uuid.UUID) -> StatusList | None:
    """A status list by id."""
    return await session.get(StatusList, list_id)


async def status_indexes(
    session: AsyncSession, purpose: str, list_id: uuid.UUID, statuses: Collection[str]
) -> list[int]:
    """The slots of `purpose` in a list held by licenses in one of `statuses`."""
    list_column, index_column = _slot_columns(purpose)
    query = select(index_column).where(list_column == list_id, License.status.in_(statuses))
    return list((await session.scalars(query)).all())
