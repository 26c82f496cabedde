"""Verifying who signs in: passwords and SMS codes, with lockout and rate limits.

Every failure is the same `LoginFailed`, whether the account is unknown, the password wrong, the
account locked or the login over its limit, and an unknown account costs the same password hash
as a known one: nothing tells an attacker which phone numbers have accounts. Only the limit per
client address answers differently (429), and that says nothing about any account.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import passwords, ratelimit, repository, sms
from app.auth.errors import InvalidPhoneNumber, LoginFailed, SmsUnavailable, TooManyAttempts
from app.auth.models import PersonAccount, StaffMember, SubjectKind
from app.auth.personal_data import InvalidPhone, blind_index, normalize_phone
from app.auth.ratelimit import Limit
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


def _is_locked(holder: PersonAccount | StaffMember, now: datetime) -> bool:
    return holder.locked_until is not None and holder.locked_until > now


async def _record_failure(
    session: AsyncSession, settings: Settings, holder: PersonAccount | StaffMember, now: datetime
) -> None:
    failures = await repository.count_login_failure(session, type(holder), holder.id)
    if failures >= settings.lockout_failures:
        locked_until = now + timedelta(seconds=settings.lockout_seconds)
        await repository.lock_out(session, type(holder), holder.id, locked_until)
        logger.warning("account locked", extra={"kind": type(holder).__name__})


async def password_login(
    session: AsyncSession, settings: Settings, *, login: str, password: str, client_address: str
) -> VerifiedLogin:
    """A person (login = phone) or staff member (login name) with their password."""
    holder: PersonAccount | StaffMember | None
    try:
        phone = normalize_phone(login)
    except InvalidPhone:
        key = f"staff:{login.strip().lower()}"
        holder = await repository.staff_by_login(session, login.strip().lower())
        if holder is not None and holder.disabled_at is not None:
            holder = None
    else:
        index = blind_index(settings, phone)
        key = f"phone:{index}"
        holder = await repository.account_by_phone_index(session, index)
    # The hash is checked in every case, so that every failure takes as long as a wrong
    # password; and before the counters are written, so that on PostgreSQL their row locks are
    # held for the end of the transaction only, not for the hashing.
    matches = await passwords.verify_password(holder.password_hash if holder else None, password)
    limiter = ratelimit.limiter(session, settings)
    limits = _limits(settings)
    await _within(limiter, limits["address"], client_address)
    within_limit = (await limiter.hit(limits["login"], key)).allowed
    now = utcnow()
    if holder is None or not within_limit or _is_locked(holder, now):
        raise LoginFailed
    if not matches:
        await _record_failure(session, settings, holder, now)
        raise LoginFailed
    await repository.clear_login_failures(session, type(holder), holder.id)
    if holder.password_hash and passwords.needs_rehash(holder.password_hash):
        holder.password_hash = await passwords.hash_password(password)
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
