"""What a person does with their own identity: register with their real name, verify their
face, act for an enterprise, and see what the platform holds about them and who read it.

Real-name levels rise only on a department's answer (`realname.py`), recorded with its source
and time. Reads of the person's data made for these checks go to the data-access log like every
other read, so the person sees them in `GET /api/v1/me/data-access-log`.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import access_log
from app.adapters.schemas import DataAccessRead
from app.adapters.service import Actor as ExchangeActor
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import accounts, clients, founding, issuance, logins, realname, repository, scopes
from app.auth.errors import (
    ClientNotAllowed,
    EnterpriseNotRegistered,
    InvalidOtp,
    RealnameLevelRequired,
)
from app.auth.models import PersonAccount, RealnameLevel
from app.auth.personal_data import reveal_id_number, reveal_phone
from app.auth.principals import Citizen
from app.auth.schemas import (
    ActingTokenResponse,
    MeRead,
    PersonAccountRead,
    Registration,
    VerifiedAttribute,
)
from app.config import Settings
from app.kit.pagination import Page

# Where the phone number's proof comes from: the SMS code the person typed at registration.
PHONE_SOURCE = "qingeban/sms-otp"


async def register(
    session: AsyncSession,
    settings: Settings,
    data: Registration,
    *,
    client_address: str,
    audit_context: AuditContext,
) -> PersonAccountRead:
    """A new account at L2: the phone proven by its SMS code, name and ID by public security.

    Order matters. A phone or ID number already taken is refused before anything is spent.
    Then the code is spent (a wrong one counts towards its attempts), and only then is the
    department asked, before anything is created. Every answer of the department is a read of
    the person's data that stays in the data-access log, so a mismatch or an outage keeps the
    code spent with it (one code, one identity check). The account is created and raised to
    L2 in the same transaction.
    """
    phone = accounts.phone_number(data.phone)
    id_number = accounts.resident_id(data.id_number)
    await accounts.ensure_unregistered(session, settings, phone=phone, id_number=id_number)
    if not await logins.check_sms_code(
        session, settings, phone=phone, otp=data.otp, client_address=client_address
    ):
        raise InvalidOtp
    verified = await realname.check_identity(
        session, name=data.name, id_number=id_number,
        actor=ExchangeActor("system", "registration"),
        deadline_seconds=settings.realname_deadline_seconds,
    )  # fmt: skip
    account = await accounts.create(
        session, settings, phone=phone, password=data.password, name=data.name,
        id_number=None, audit_context=audit_context, actor=("system", "registration"),
    )  # fmt: skip
    account = await accounts.set_realname_level(
        session, settings, account.id, RealnameLevel.L2, source=verified.source,
        verified_at=verified.as_of, name=data.name, id_number=id_number,
        audit_context=audit_context, actor=("person", str(account.id)),
    )  # fmt: skip
    return accounts.read(account)


async def _verified_account(
    session: AsyncSession, settings: Settings, citizen: Citizen
) -> tuple[PersonAccount, str]:
    """The citizen's account and full ID number; RealnameLevelRequired below L2."""
    account = await accounts.get(session, citizen.account_id)
    if account.realname_level < RealnameLevel.L2 or account.id_number_cipher is None:
        raise RealnameLevelRequired("请先完成实名认证（L2）", "real-name level L2 is needed first")
    return account, reveal_id_number(settings, account.id_number_cipher)


# Who else wants to know that a person proved, face to camera, that they are alive: called in
# the verification's transaction with the session, the settings and the verified ID number (a
# pension campaign qualifies the person). Registered by those domains; identity knows none.
FaceListener = Callable[[AsyncSession, Settings, str], Awaitable[None]]
_face_listeners: list[FaceListener] = []


def on_face_verified(listener: FaceListener) -> FaceListener:
    """Register a listener of successful face verifications (idempotent)."""
    if listener not in _face_listeners:
        _face_listeners.append(listener)
    return listener


async def verify_face(
    session: AsyncSession,
    settings: Settings,
    citizen: Citizen,
    *,
    selfie_token: str,
    audit_context: AuditContext,
) -> PersonAccountRead:
    """Raise the citizen to L3 on public security's liveness and face comparison."""
    account, id_number = await _verified_account(session, settings, citizen)
    actor = ExchangeActor("person", str(account.id))
    verified = await realname.check_face(
        session, id_number=id_number, selfie_token=selfie_token, actor=actor,
        deadline_seconds=settings.realname_deadline_seconds,
    )  # fmt: skip
    account = await accounts.set_realname_level(
        session, settings, account.id, RealnameLevel.L3, source=verified.source,
        verified_at=verified.as_of, name=None, id_number=None,
        audit_context=audit_context, actor=("person", str(account.id)),
    )  # fmt: skip
    for listener in _face_listeners:
        await listener(session, settings, id_number)
    return accounts.read(account)


async def act_for_enterprise(
    session: AsyncSession,
    settings: Settings,
    citizen: Citizen,
    *,
    uscc: str,
    audit_context: AuditContext,
) -> ActingTokenResponse:
    """An access token whose `sub` is the enterprise and whose `act` names the person.

    Allowed for the legal representative or an authorised agent as market regulation records
    them, and for the founder of an enterprise established on the platform that the register
    does not hold yet (app.auth.founding). The token belongs to the person's session (their
    logout ends it), carries the person's scopes without `openid` (it is not a sign-in), and
    has no refresh token.
    """
    principal = citizen.principal
    if principal.session_id is None:
        raise ClientNotAllowed("此令牌不能用于代表企业", "this token has no session")
    account, id_number = await _verified_account(session, settings, citizen)
    uscc = uscc.strip().upper()
    try:
        enterprise = await realname.check_acting(
            session, uscc=uscc, id_number=id_number, actor=ExchangeActor("person", str(account.id)),
            deadline_seconds=settings.realname_deadline_seconds,
        )  # fmt: skip
    except EnterpriseNotRegistered as unknown:
        enterprise = await founding.founded_by(
            session, uscc=uscc, account_id=account.id, refusal=unknown
        )
    client = await clients.find(session, principal.client_id)
    sso = await repository.sso_session(session, principal.session_id)
    if client is None or sso is None:
        raise ClientNotAllowed("此令牌不能用于代表企业", "this token's client or session is gone")
    scope = scopes.render(tuple(sorted(principal.scopes - {scopes.OPENID})))
    grant = await issuance.new_grant(session, settings, client, sso, scope)
    token, lifetime = await issuance.access_token(
        session, settings, client=client, subject=enterprise.uscc, scope=scope, sso=sso,
        grant=grant, act={"sub": principal.subject},
    )  # fmt: skip
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person",
            actor_id=str(account.id),
            action="auth.acting_for_enterprise",
            subject_type="enterprise",
            subject_id=enterprise.uscc,
            after={"role": enterprise.role, "source": enterprise.verified.source},
        ),
    )
    return ActingTokenResponse(
        access_token=token,
        expires_in=lifetime,
        scope=scope,
        enterprise_uscc=enterprise.uscc,
        enterprise_name=enterprise.name,
        role=enterprise.role,
        source=enterprise.verified.source,
        as_of=enterprise.verified.as_of,
    )


async def me(session: AsyncSession, settings: Settings, citizen: Citizen) -> MeRead:
    """What the platform holds about the citizen, in full (they own it), with provenance."""
    return await profile(session, settings, citizen.account_id, sub=citizen.principal.subject)


async def profile(
    session: AsyncSession, settings: Settings, account_id: uuid.UUID, *, sub: str
) -> MeRead:
    """What the platform holds about a person, in full, with provenance; `sub` is what the
    reader knows them by."""
    account = await accounts.get(session, account_id)
    phone = reveal_phone(settings, account.phone_cipher)
    attributes = [VerifiedAttribute(name="phone", value=phone, source=PHONE_SOURCE,
                                    as_of=account.created_at)]  # fmt: skip
    id_number = None
    if account.id_number_cipher is not None:
        id_number = reveal_id_number(settings, account.id_number_cipher)
    if account.realname_level >= RealnameLevel.L2 and account.name and id_number:
        # The latest real-name answer vouches for the name and ID number it was checked with.
        for name, value in (("name", account.name), ("id_number", id_number)):
            attributes.append(VerifiedAttribute(
                name=name, value=value, source=account.realname_source,
                as_of=account.realname_verified_at,
            ))  # fmt: skip
    return MeRead(
        sub=sub,
        account_id=account.id,
        name=account.name,
        phone=phone,
        id_number=id_number,
        realname_level=accounts.level_name(account.realname_level),
        realname_source=account.realname_source,
        realname_verified_at=account.realname_verified_at,
        attributes=attributes,
    )


async def data_access_log(
    session: AsyncSession, citizen: Citizen, *, cursor: str | None, limit: int
) -> Page[DataAccessRead]:
    """Who read the citizen's data from departments, for what purpose, newest first."""
    account = await accounts.get(session, citizen.account_id)
    if account.id_number_index is None:
        return Page[DataAccessRead](items=[], next_cursor=None)
    return await access_log.list_for_subject_index(
        session, subject_index=account.id_number_index, cursor=cursor, limit=limit
    )


SEED_DEADLINE_SECONDS = 10.0


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
    """A demo persona's account at L2, verified like a registration; False if it exists.

    The identity check goes to public security (the simulator in the demo world) and lands in
    the persona's data-access log, as any registration's would.
    """
    if await accounts.by_phone(session, settings, phone) is not None:
        return False
    # Seeding is a batch nobody waits on: public security gets longer than a registration's
    # second, so that a busy machine does not leave the demo world without its personas.
    verified = await realname.check_identity(
        session,
        name=name,
        id_number=id_number,
        actor=ExchangeActor("system", "demo-seed"),
        deadline_seconds=SEED_DEADLINE_SECONDS,
    )
    account = await accounts.create(
        session, settings, phone=phone, password=password, name=name, id_number=None,
        audit_context=audit_context, actor=("system", "demo-seed"),
    )  # fmt: skip
    await accounts.set_realname_level(
        session, settings, account.id, RealnameLevel.L2, source=verified.source,
        verified_at=verified.as_of, name=name, id_number=id_number,
        audit_context=audit_context, actor=("system", "demo-seed"),
    )  # fmt: skip
    return True
