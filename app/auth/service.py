"""What other domains may call of the identity domain.

The first-party API (app/auth/endpoints_app.py) signs people in with `verify_password_login` or
`verify_sms_login` and then calls `issue_tokens`, which answers exactly what the OpenID Connect
token endpoint answers. Every later domain authenticates callers with the dependencies in
app/auth/dependencies.py, which rest on `authenticate_bearer`.

Failed logins raise `LoginFailed` (and an over-limit client address `TooManyAttempts`); both keep
the request's writes, so the attempt counts towards lockouts and limits even though the request
fails. Services flush; the request commits.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.schemas import DataAccessRead
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import (
    accounts,
    clients,
    console_client,
    founding,
    grants,
    keys,
    logins,
    people,
    repository,
    scopes,
    sessions,
    sms,
    staff,
)
from app.auth.accounts import Actor
from app.auth.errors import (
    AccountNotFound,
    ClientNotAllowed,
    KeyRotationTooSoon,
    RealnameLevelRequired,
)
from app.auth.guards import authenticate_bearer, require_citizen, require_scopes, require_staff
from app.auth.logins import VerifiedLogin
from app.auth.models import ClientKind, RealnameLevel
from app.auth.personal_data import blind_index, reveal_id_number, reveal_phone
from app.auth.principals import Citizen
from app.auth.schemas import (
    ActingTokenResponse,
    ClientCreate,
    ClientCreated,
    MeRead,
    PersonAccountRead,
    Registration,
    SmsCodeSent,
    StaffCreate,
    StaffCreated,
    TokenResponse,
    VerifiedPerson,
)
from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow
from app.kit.pagination import Page

__all__ = [
    "FIRST_PARTY_APP_ID",
    "Actor",
    "VerifiedLogin",
    "act_for_enterprise",
    "authenticate_bearer",
    "bootstrap",
    "check_sms_code",
    "create_person_account",
    "create_staff",
    "end_session",
    "get_person_account",
    "id_number_index",
    "issue_tokens",
    "me",
    "my_data_access_log",
    "person_profile",
    "purge_expired",
    "record_founded_enterprise",
    "register_client",
    "register_person",
    "require_citizen",
    "require_scopes",
    "require_staff",
    "rotate_keys",
    "seed_demo_person",
    "seed_demo_staff",
    "send_sms_code",
    "set_realname_level",
    "verify_face",
    "verify_password_login",
    "verify_sms_login",
]

FIRST_PARTY_APP_ID = clients.FIRST_PARTY_APP_ID
# Expired codes and tokens are kept a day longer: a replayed one is then still recognised.
PURGE_GRACE = timedelta(days=1)


# People: accounts and logins


async def create_person_account(
    session: AsyncSession,
    settings: Settings,
    *,
    phone: str,
    password: str | None = None,
    name: str | None = None,
    id_number: str | None = None,
    audit_context: AuditContext,
    actor: Actor = ("system", "registration"),
) -> PersonAccountRead:
    """A new person account at level L1; verify the phone (an SMS code) before calling this.

    Raises InvalidPhoneNumber, InvalidIdNumber, WeakPassword (422), PhoneTaken, IdNumberTaken (409).
    """
    account = await accounts.create(
        session,
        settings,
        phone=phone,
        password=password,
        name=name,
        id_number=id_number,
        audit_context=audit_context,
        actor=actor,
    )
    return accounts.read(account)


async def get_person_account(session: AsyncSession, account_id: uuid.UUID) -> PersonAccountRead:
    """A person account (ID number masked); AccountNotFound when there is none."""
    return accounts.read(await accounts.get(session, account_id))


async def id_number_index(session: AsyncSession, account_id: uuid.UUID) -> str | None:
    """The blind index of the account's ID number (None before one is recorded): the same
    index the data-access log keeps, for `list_for_subject_index`."""
    return (await accounts.get(session, account_id)).id_number_index


def id_number_blind_index(settings: Settings, id_number: str) -> str:
    """The blind index of an ID number as accounts store it (to find a person named by it)."""
    return blind_index(settings, id_number.strip().upper())


async def account_by_id_number_index(session: AsyncSession, index: str) -> uuid.UUID | None:
    """The account of the person whose ID number has this blind index (None: no account)."""
    account = await repository.account_by_id_number_index(session, index)
    return account.id if account is not None else None


async def with_accounts(session: AsyncSession, id_number_indexes: Sequence[str]) -> set[str]:
    """Which of these ID number blind indexes belong to a person with an account (a campaign
    tells those in the app; the rest it cannot reach there)."""
    return await repository.id_number_indexes_with_accounts(session, id_number_indexes)


async def phone_of(session: AsyncSession, settings: Settings, account_id: uuid.UUID) -> str | None:
    """The account's mobile number, to text its owner (None: no such account)."""
    account = await repository.account(session, account_id)
    if account is None:
        return None
    return reveal_phone(settings, account.phone_cipher)


def sms_gateway(settings: Settings) -> sms.SmsGateway:
    """The gateway every text goes through, login codes included (SmsUnavailable: none)."""
    return sms.configured_gateway(settings)


async def verified_person(
    session: AsyncSession, settings: Settings, account_id: uuid.UUID
) -> VerifiedPerson:
    """Who the account's owner is, for the platform's own use on their behalf (an application
    asks the departments about its applicant): name and full ID number, never to be shown to
    anyone else; RealnameLevelRequired below L2."""
    account = await repository.realname_record(session, account_id)
    if account is None:
        raise AccountNotFound("账号不存在", "no such account")
    if (
        account.realname_level < RealnameLevel.L2
        or account.id_number_cipher is None
        or account.id_number_index is None
        or account.name is None
    ):
        raise RealnameLevelRequired("请先完成实名认证（L2）", "real-name level L2 is needed first")
    return VerifiedPerson(
        account_id=account.id,
        name=account.name,
        id_number=reveal_id_number(settings, account.id_number_cipher),
        id_number_index=account.id_number_index,
        realname_level=account.realname_level,
        verified_at=account.realname_verified_at,
        phone=reveal_phone(settings, account.phone_cipher),
    )


async def set_realname_level(
    session: AsyncSession,
    settings: Settings,
    account_id: uuid.UUID,
    level: RealnameLevel,
    *,
    source: str,
    verified_at: datetime,
    name: str | None = None,
    id_number: str | None = None,
    audit_context: AuditContext,
    actor: Actor,
) -> PersonAccountRead:
    """Record a verified real-name level, with its source (e.g. "gaj/identity") and time.

    L2 and L3 need a name and an ID number (given here, or already on the account).
    """
    account = await accounts.set_realname_level(
        session,
        settings,
        account_id,
        level,
        source=source,
        verified_at=verified_at,
        name=name,
        id_number=id_number,
        audit_context=audit_context,
        actor=actor,
    )
    return accounts.read(account)


async def verify_password_login(
    session: AsyncSession, settings: Settings, *, login: str, password: str, client_address: str
) -> VerifiedLogin:
    """A person (login = phone number) or staff member (login name) and their password.

    Raises LoginFailed (the same for every failure) or TooManyAttempts (this client address).
    """
    return await logins.password_login(
        session, settings, login=login, password=password, client_address=client_address
    )


async def send_sms_code(
    session: AsyncSession, settings: Settings, *, phone: str, client_address: str
) -> SmsCodeSent:
    """Text a 6-digit code to a phone (account or not). Raises InvalidPhoneNumber,
    TooManyAttempts (per phone and per address), SmsUnavailable (production, no gateway)."""
    return await logins.send_sms_code(session, settings, phone=phone, client_address=client_address)


async def verify_sms_login(
    session: AsyncSession, settings: Settings, *, phone: str, otp: str, client_address: str
) -> VerifiedLogin:
    """A person and the code texted to their phone. Raises LoginFailed or TooManyAttempts."""
    return await logins.sms_login(
        session, settings, phone=phone, otp=otp, client_address=client_address
    )


async def check_sms_code(
    session: AsyncSession, settings: Settings, *, phone: str, otp: str, client_address: str
) -> bool:
    """Whether `otp` is the phone's current code (e.g. to register); spends it when it is."""
    return await logins.check_sms_code(
        session, settings, phone=phone, otp=otp, client_address=client_address
    )


async def issue_tokens(
    session: AsyncSession,
    settings: Settings,
    *,
    client_id: str,
    login: VerifiedLogin,
    scope: str | None = None,
) -> TokenResponse:
    """The token endpoint's answer for a first-party client and a verified login.

    Starts a session without a browser cookie (its `sid` is in the tokens; `end_session` ends
    it) and grants `scope` (default: the client's user scopes). Only first-party clients sign
    people in without the browser flow; others get ClientNotAllowed.
    """
    client = await clients.find(session, client_id)
    if client is None or client.kind != ClientKind.FIRST_PARTY:
        raise ClientNotAllowed(
            "只有第一方应用可以直接签发令牌", "only first-party clients sign in without a browser"
        )
    user_scopes = [name for name in client.scopes if scopes.SCOPES[name].user_bound]
    try:
        asked = scopes.parse(scope) if scope else tuple(n for n in user_scopes if n != scopes.ADMIN)
    except scopes.InvalidScope as exc:
        raise ClientNotAllowed("授权范围无效", str(exc)) from exc
    if not set(asked) <= set(user_scopes):
        raise ClientNotAllowed(
            "该客户端不能申请此授权范围", "the client may not ask for this scope"
        )
    sso, _ = await sessions.start(session, settings, login, browser=False)
    return await grants.issue(session, settings, client, sso, scopes.render(asked))


async def end_session(session: AsyncSession, sid: str) -> int:
    """End a session (e.g. the app's logout): its tokens stop working and its clients are told
    by back-channel logout. Returns how many clients will be told."""
    sso = await repository.sso_session(session, sid)
    if sso is None:
        return 0
    return await sessions.end(session, sso)


# People: real-name registration, face verification, acting for an enterprise, their own data


async def register_person(
    session: AsyncSession,
    settings: Settings,
    data: Registration,
    *,
    client_address: str,
    audit_context: AuditContext,
) -> PersonAccountRead:
    """A new account at L2 (phone by SMS code, name and ID number by public security).

    Raises PhoneTaken or IdNumberTaken (nothing spent), InvalidOtp, RealnameMismatch and
    RealnameUnavailable (503; both keep the code spent and the read logged), WeakPassword,
    InvalidPhoneNumber, InvalidIdNumber.
    """
    return await people.register(
        session, settings, data, client_address=client_address, audit_context=audit_context
    )


async def verify_face(
    session: AsyncSession,
    settings: Settings,
    citizen: Citizen,
    *,
    selfie_token: str,
    audit_context: AuditContext,
) -> PersonAccountRead:
    """Raise an L2 citizen to L3 on public security's liveness and face comparison."""
    return await people.verify_face(
        session, settings, citizen, selfie_token=selfie_token, audit_context=audit_context
    )


on_face_verified = people.on_face_verified


async def act_for_enterprise(
    session: AsyncSession,
    settings: Settings,
    citizen: Citizen,
    *,
    uscc: str,
    audit_context: AuditContext,
) -> ActingTokenResponse:
    """A token acting for an enterprise the citizen represents or is an authorised agent of."""
    return await people.act_for_enterprise(
        session, settings, citizen, uscc=uscc, audit_context=audit_context
    )


async def record_founded_enterprise(
    session: AsyncSession,
    *,
    uscc: str,
    name: str,
    founder_account_id: uuid.UUID,
    source: str,
    audit_context: AuditContext,
) -> None:
    """Record that a person founded an enterprise on the platform: they may act for it before
    market regulation's register holds it."""
    await founding.record(
        session, uscc=uscc, name=name, founder_account_id=founder_account_id, source=source,
        audit_context=audit_context,
    )  # fmt: skip


async def me(session: AsyncSession, settings: Settings, citizen: Citizen) -> MeRead:
    """The citizen's own verified attributes, each with its source and time."""
    return await people.me(session, settings, citizen)


async def person_profile(
    session: AsyncSession, settings: Settings, account_id: uuid.UUID
) -> MeRead:
    """What the platform holds about a person, with provenance, for its own use on their
    behalf (a clerk opening their prefilled form at a counter); never shown to anyone else."""
    return await people.profile(session, settings, account_id, sub=str(account_id))


async def my_data_access_log(
    session: AsyncSession, citizen: Citizen, *, cursor: str | None, limit: int
) -> Page[DataAccessRead]:
    """Who read the citizen's department data, and why (newest first)."""
    return await people.data_access_log(session, citizen, cursor=cursor, limit=limit)


async def seed_demo_person(
    session: AsyncSession,
    settings: Settings,
    *,
    phone: str,
    password: str,
    name: str,
    id_number: str,
    audit_context: AuditContext,
) -> bool:
    """A demo persona's account, verified by public security like a registration (idempotent:
    False when the phone already has an account)."""
    return await people.seed_demo_person(
        session, settings, phone=phone, password=password, name=name, id_number=id_number,
        audit_context=audit_context,
    )  # fmt: skip


async def seed_demo_staff(
    session: AsyncSession, settings: Settings, data: StaffCreate, *, audit_context: AuditContext
) -> bool:
    """A demo staff member (idempotent: False when the login exists)."""
    if await repository.staff_by_login(session, data.login) is not None:
        return False
    await staff.create(session, settings, data, audit_context=audit_context,
                       actor=("system", "demo-seed"))  # fmt: skip
    return True


# Administration: clients, staff, keys


async def register_client(
    session: AsyncSession,
    settings: Settings,
    data: ClientCreate,
    *,
    audit_context: AuditContext,
    actor: Actor,
) -> ClientCreated:
    """Register a client; a confidential one's secret is in the answer, and only there."""
    return await clients.register(session, settings, data, audit_context=audit_context, actor=actor)


async def create_staff(
    session: AsyncSession,
    settings: Settings,
    data: StaffCreate,
    *,
    audit_context: AuditContext,
    actor: Actor,
) -> StaffCreated:
    """Create a staff member of an existing department."""
    return await staff.create(session, settings, data, audit_context=audit_context, actor=actor)


async def rotate_keys(
    session: AsyncSession,
    settings: Settings,
    *,
    force: bool = False,
    audit_context: AuditContext,
    actor: Actor,
) -> list[keys.Rotation]:
    """In each family of keys (RS256, ES256): promote the published next key to signing,
    retire the current one, publish a new next.

    Refused (KeyRotationTooSoon) while the next key has been published for less than the time
    relying parties may cache the JWKS, unless `force`.
    """
    try:
        rotations = await keys.rotate(session, settings, force=force)
    except keys.RotationTooSoon as exc:
        raise KeyRotationTooSoon(
            f"下一把密钥发布不足 {keys.JWKS_MAX_AGE_SECONDS} 秒，请 {exc.wait_seconds} 秒后再试",
            f"the next key becomes usable in {exc.wait_seconds} s",
            extra={"retry_after": exc.wait_seconds},
        ) from exc
    await audit.record(
        session,
        audit_context.entry(
            actor_type=actor[0],
            actor_id=actor[1],
            action="auth.keys_rotated",
            subject_type="signing_key",
            subject_id=rotations[0].active,
            after={
                rotation.algorithm: {
                    "active": rotation.active,
                    "next": rotation.next,
                    "retired": rotation.retired,
                }
                for rotation in rotations
            },
        ),
    )
    return rotations


async def purge_expired(session: AsyncSession) -> dict[str, int]:
    """Delete expired sign-in requests, codes, tokens, grants, finished sessions, SMS codes and
    counters (a day after they stopped being usable); how many rows of each table went."""
    return await repository.purge_expired(session, utcnow(), grace=PURGE_GRACE)


async def bootstrap(database: Database, settings: Settings) -> None:
    """Make sure signing keys, the first-party app client and the console client exist
    (idempotent)."""
    async with database.session() as session:
        await keys.ensure_keys(session, settings)
        await clients.ensure_first_party_app(session)
        await console_client.ensure(session, settings)
