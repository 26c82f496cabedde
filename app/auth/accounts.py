"""Person accounts: creation, look-up by phone, and the real-name level."""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import ActorType, AuditContext
from app.auth import passwords, repository
from app.auth.errors import (
    AccountNotFound,
    IdNumberTaken,
    InvalidIdNumber,
    InvalidPhoneNumber,
    PhoneTaken,
    WeakPassword,
)
from app.auth.models import PersonAccount, RealnameLevel
from app.auth.personal_data import (
    InvalidPhone,
    blind_index,
    normalize_phone,
    protect_id_number,
    protect_phone,
)
from app.auth.schemas import PersonAccountRead
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.kit.resident_id import InvalidResidentId, parse_resident_id

logger = logging.getLogger("qingeban.auth")

Actor = tuple[ActorType, str]
PHONE_SOURCE = "sms"
LevelName = Literal["L1", "L2", "L3"]
_LEVEL_NAMES: dict[int, LevelName] = {1: "L1", 2: "L2", 3: "L3"}


def level_name(level: int) -> LevelName:
    """ "L1", "L2" or "L3"."""
    return _LEVEL_NAMES[level]


def phone_number(value: str) -> str:
    """A normalised mainland mobile number, or InvalidPhoneNumber (422)."""
    try:
        return normalize_phone(value)
    except InvalidPhone as exc:
        raise InvalidPhoneNumber(
            "手机号码应为 11 位大陆手机号", "expected an 11-digit mainland mobile number"
        ) from exc


def resident_id(value: str) -> str:
    """A validated resident ID number, or InvalidIdNumber (422)."""
    try:
        return parse_resident_id(value).number
    except InvalidResidentId as exc:
        raise InvalidIdNumber(
            "身份证号码校验未通过", f"invalid resident ID number ({exc.reason})"
        ) from exc


async def _checked_password(password: str) -> str:
    try:
        passwords.check_policy(password)
    except passwords.WeakPassword as exc:
        raise WeakPassword(
            "密码须为 8 至 128 位，且包含数字、字母、符号中的至少两类", str(exc)
        ) from exc
    return await passwords.hash_password(password)


async def create(
    session: AsyncSession,
    settings: Settings,
    *,
    phone: str,
    password: str | None,
    name: str | None,
    id_number: str | None,
    audit_context: AuditContext,
    actor: Actor,
) -> PersonAccount:
    """A new L1 account (its phone was verified by the caller); the ID number is stored
    encrypted, but the level stays L1 until public security has matched it."""
    phone = phone_number(phone)
    protected_phone = protect_phone(settings, phone)
    if await repository.account_by_phone_index(session, protected_phone.index) is not None:
        raise PhoneTaken("该手机号已注册，请直接登录", "this phone number already has an account")
    protected_id = None
    if id_number is not None:
        protected_id = protect_id_number(settings, resident_id(id_number))
        if await repository.account_by_id_number_index(session, protected_id.index) is not None:
            raise IdNumberTaken(
                "该身份证号已绑定其他账号", "this ID number belongs to another account"
            )
    password_hash = await _checked_password(password) if password is not None else None
    now = utcnow()
    account = PersonAccount(
        id=new_id(),
        phone_cipher=protected_phone.cipher,
        phone_index=protected_phone.index,
        phone_masked=protected_phone.masked,
        name=name.strip() if name else None,
        id_number_cipher=protected_id.cipher if protected_id else None,
        id_number_index=protected_id.index if protected_id else None,
        id_number_masked=protected_id.masked if protected_id else None,
        realname_level=RealnameLevel.L1,
        realname_source=PHONE_SOURCE,
        realname_verified_at=now,
        password_hash=password_hash,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, account)
    await audit.record(
        session,
        audit_context.entry(
            actor_type=actor[0],
            actor_id=actor[1],
            action="auth.account_created",
            subject_type="person_account",
            subject_id=str(account.id),
            after={"phone": account.phone_masked, "level": "L1"},
        ),
    )
    logger.info("account created", extra={"phone": account.phone_masked})
    return account


async def ensure_unregistered(
    session: AsyncSession, settings: Settings, *, phone: str, id_number: str
) -> None:
    """PhoneTaken or IdNumberTaken when either already belongs to an account (checked again,
    under the unique constraints, when the account is written)."""
    if await repository.account_by_phone_index(session, blind_index(settings, phone)):
        raise PhoneTaken("该手机号已注册，请直接登录", "this phone number already has an account")
    if await repository.account_by_id_number_index(session, blind_index(settings, id_number)):
        raise IdNumberTaken("该身份证号已绑定其他账号", "this ID number belongs to another account")


async def by_phone(session: AsyncSession, settings: Settings, phone: str) -> PersonAccount | None:
    """The account of a (normalised) phone number."""
    return await repository.account_by_phone_index(session, blind_index(settings, phone))


async def get(session: AsyncSession, account_id: uuid.UUID) -> PersonAccount:
    """An account by id, or AccountNotFound."""
    account = await repository.account(session, account_id)
    if account is None:
        raise AccountNotFound("账号不存在", "no such account")
    return account


async def set_realname_level(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    level: RealnameLevel,
    *,
    source: str,
    verified_at: datetime,
    name: str | None,
    id_number: str | None,
    audit_context: AuditContext,
    actor: Actor,
) -> PersonAccount:
    """Record a verified real-name level with its source and time (L2 and up need a name and
    an ID number, given now or already on the account)."""
    account = await get(session, account_id)
    before = {"level": f"L{account.realname_level}", "source": account.realname_source}
    if id_number is not None:
        protected = protect_id_number(settings, resident_id(id_number))
        holder = await repository.account_by_id_number_index(session, protected.index)
        if holder is not None and holder.id != account.id:
            raise IdNumberTaken(
                "该身份证号已绑定其他账号", "this ID number belongs to another account"
            )
        account.id_number_cipher = protected.cipher
        account.id_number_index = protected.index
        account.id_number_masked = protected.masked
    if name is not None:
        account.name = name.strip()
    if level >= RealnameLevel.L2 and (account.id_number_index is None or not account.name):
        raise InvalidIdNumber(
            "实名等级 L2 及以上须有姓名和身份证号", "levels L2 and up need a name and an ID number"
        )
    account.realname_level = int(level)
    account.realname_source = source
    account.realname_verified_at = verified_at
    account.updated_at = utcnow()
    await session.flush()
    await audit.record(
        session,
        audit_context.entry(
            actor_type=actor[0],
            actor_id=actor[1],
            action="auth.realname_level_set",
            subject_type="person_account",
            subject_id=str(account.id),
            before=before,
            after={"level": f"L{account.realname_level}", "source": source},
        ),
    )
    return account


def read(account: PersonAccount) -> PersonAccountRead:
    """The account as its owner sees it (ID number masked all the same)."""
    return PersonAccountRead(
        id=account.id,
        phone_masked=account.phone_masked,
        name=account.name,
        id_number_masked=account.id_number_masked,
        realname_level=level_name(account.realname_level),
        realname_source=account.realname_source,
        realname_verified_at=account.realname_verified_at,
        has_password=account.password_hash is not None,
        created_at=account.created_at,
    )
