"""Verifying who signs in: passwords and SMS codes, with lockout and rate limits.

Every failure is the same `LoginFailed`, whether the account is unknown, the password wrong, the
login locked or over its limit, and an unknown account costs the same password hash as a known
one and is locked out alike: nothing tells an attacker which phone numbers have accounts. Only
the limit per client address answers differently (429), and that says nothing about any account.
Limits and the lockout are counted before the password is checked (see `password_login`).
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords, ratelimit, repository, sms
from app.auth.errors import InvalidPhoneNumber, LoginFailed, SmsUnavailable, TooManyAttempts
from app.auth.models import PersonAccount, StaffMember, SubjectKind
from app.auth.personal_data import InvalidPhone, blind_index, normalize_phone
from app.auth.ratelimit import Limit, Lockout
from app.auth.schemas import SmsCodeSent
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.masking import mask_phone

logger = logging.getLogger("qingeban.auth")

_WINDOW = 900
STAFF_ACR = "urn:qingeban:loa:staff"


def person_acr(level: int) -> str:
    """The `acr` of a person's sign-in: their real-name level (L1 phone, L2 ID, L3 face)."""
    return f"urn:qingeban:loa:l{level}"


ACR_VALUES = (person_acr(1), person_acr(2), person_acr(3), STAFF_ACR)


@dataclass(frozen=True, slots=True)
class VerifiedLogin:
    """A successful authentication: who, how (`amr`, RFC 8176), at which level, and when."""

    kind: SubjectKind
    principal_id: uuid.UUID
    amr: tuple[str, ...]
    acr: str
    authenticated_at: datetime


def _limits(settings: Settings) -> dict[str, Limit]:
    return {
        "address": Limit("login.address", settings.login_attempts_per_address, _WINDOW),
        "login": Limit("login.login", settings.login_attempts_per_login, _WINDOW),
        "sms_address": Limit("sms.address", settings.sms_codes_per_address_per_hour, 3600),
        "sms_phone_minute": Limit("sms.phone", 1, settings.sms_resend_seconds, anchored=True),
        "sms_phone_day": Limit("sms.phone.day", settings.sms_codes_per_phone_per_day, 86400),
    }


async def _within(limiter: ratelimit.RateLimiter, limit: Limit, key: str) -> None:
    verdict = await limiter.hit(limit, key)
    if not verdict.allowed:
        logger.warning("rate limit reached", extra={"limit": limit.name})
        raise TooManyAttempts(verdict.retry_after)


def _lockout(settings: Settings) -> Lockout:
    return Lockout("login.lockout", settings.lockout_failures, settings.lockout_seconds)


async def _holder(
    session: AsyncSession, phone_index: str | None, staff_login: str
) -> PersonAccount | StaffMember | None:
    if phone_index is not None:
        return await repository.account_by_phone_index(session, phone_index)
    staff = await repository.staff_by_login(session, staff_login)
    return staff if staff is not None and staff.disabled_at is None else None


async def password_login(
    session: AsyncSession, settings: Settings, *, login: str, password: str, client_address: str
) -> VerifiedLogin:
    """A person (login = phone) or staff member (login name) with their password."""
    try:
        index: str | None = blind_index(settings, normalize_phone(login))
    except InvalidPhone:
        index = None
    staff_login = login.strip().lower()
    key = f"staff:{staff_login}" if index is None else f"phone:{index}"
    # Every limit counts the attempt before the password is checked: an attempt they refuse
    # costs no hash (the CPU a flood of logins would take from everybody else), and the lockout
    # holds however many guesses arrive at once, since each takes its place in the count before
    # its answer is known. The lockout is per login, whether or not it has an account, so that
    # a locked answer (which costs no hash, unlike a wrong password) tells nobody which do.
    limiter = ratelimit.limiter(session, settings)
    limits = _limits(settings)
    await _within(limiter, limits["address"], client_address)
    if not (await limiter.hit(limits["login"], key)).allowed:
        raise LoginFailed
    lockout = _lockout(settings)
    if not (await limiter.attempt(lockout, key)).allowed:
        logger.warning("login locked out")
        raise LoginFailed
    holder = await _holder(session, index, staff_login)
    # Without an account the hash is checked anyway, so that the answer takes as long.
    matches = await passwords.verify_password(holder.password_hash if holder else None, password)
    if holder is None or not matches:
        raise LoginFailed
    await limiter.succeeded(lockout, key)
    if holder.password_hash and passwords.needs_rehash(holder.password_hash):
        holder.password_hash = await passwords.hash_password(password)
    now = utcnow()
    if isinstance(holder, StaffMember):
        return VerifiedLogin(SubjectKind.STAFF, holder.id, ("pwd",), STAFF_ACR, now)
    return VerifiedLogin(
        SubjectKind.PERSON, holder.id, ("pwd",), person_acr(holder.realname_level), now
    )


async def send_sms_code(
    session: AsyncSession, settings: Settings, *, phone: str, client_address: str
) -> SmsCodeSent:
    """Text a login code to a phone, whether or not it has an account."""
    try:
        phone = normalize_phone(phone)
    except InvalidPhone as exc:
        raise InvalidPhoneNumber(
            "手机号码应为 11 位大陆手机号", "expected an 11-digit mainland mobile number"
        ) from exc
    gateway = sms.gateway(settings)
    if gateway is None:
        raise SmsUnavailable("短信网关尚未配置", "no SMS gateway is configured")
    limiter = ratelimit.limiter(session, settings)
    limits = _limits(settings)
    index = blind_index(settings, phone)
    await _within(limiter, limits["sms_address"], client_address)
    await _within(limiter, limits["sms_phone_minute"], index)
    await _within(limiter, limits["sms_phone_day"], index)
    await sms.send_code(session, settings, gateway, phone)
    logger.info("sms code sent", extra={"phone": mask_phone(phone)})
    return SmsCodeSent(expires_in=sms.CODE_SECONDS, resend_after=settings.sms_resend_seconds)


async def check_sms_code(
    session: AsyncSession, settings: Settings, *, phone: str, otp: str, client_address: str
) -> bool:
    """Whether `otp` is the phone's current code (used up when it is); counts as an attempt."""
    try:
        phone = normalize_phone(phone)
    except InvalidPhone:
        return False
    limiter = ratelimit.limiter(session, settings)
    limits = _limits(settings)
    await _within(limiter, limits["address"], client_address)
    index = blind_index(settings, phone)
    if not (await limiter.hit(limits["login"], f"phone:{index}")).allowed:
        return False
    return await sms.check_code(session, settings, phone, otp)


async def sms_login(
    session: AsyncSession, settings: Settings, *, phone: str, otp: str, client_address: str
) -> VerifiedLogin:
    """A person with the code texted to their phone.

    A password lockout does not stop this: the code proves the phone, and it has its own limits
    (5 attempts per code, one code a minute, a few a day).
    """
    valid = await check_sms_code(
        session, settings, phone=phone, otp=otp, client_address=client_address
    )
    account = None
    if valid:
        account = await repository.account_by_phone_index(
            session, blind_index(settings, normalize_phone(phone))
        )
    if account is None:
        raise LoginFailed
    return VerifiedLogin(
        SubjectKind.PERSON,
        account.id,
        ("otp", "sms"),
        person_acr(account.realname_level),
        utcnow(),
    )
