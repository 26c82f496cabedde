"""The city code's logic (一码通城); other domains call only this module.

A person asks for a code (`issue`); a verifier with a purpose presents it (`verify`) and is
shown what the purpose allows (data/purposes.yaml), once; a counter clerk may then open the
person's prefilled form for a service (`prefill_on_behalf`), once. Every verification is
audited, and every read of the person's data it makes is in their data-access log.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import access_log
from app.adapters import service as exchange
from app.adapters.client import Subject
from app.adapters.schemas import DataAccessEntry
from app.adapters.service import Actor, FactResult, Unavailable
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import ratelimit
from app.auth import service as auth
from app.auth.errors import AccountNotFound, RealnameLevelRequired
from app.auth.principals import Citizen
from app.auth.ratelimit import Limit
from app.auth.schemas import MeRead
from app.certificates import service as certificates
from app.codes import policy, repository, signing
from app.codes.errors import (
    CodeAlreadyUsed,
    CodeExpired,
    InvalidCode,
    InvalidTicket,
    PurposeNotForVerifier,
    TooManyCodes,
    UnknownPurpose,
)
from app.codes.policy import CodePurpose, VerifierKind
from app.codes.schemas import (
    TYP,
    CityCodeRead,
    CodeAttribute,
    CodePurposeRead,
    CodeVerification,
    CodeVerificationRead,
    OnBehalfTicket,
)
from app.config import API_V1, Settings
from app.kit.clock import utcnow
from app.kit.crypto import derive_key
from app.kit.masking import mask_id_number
from app.services.applications import service as applications
from app.services.applications.schemas_prefill import PrefillRead

# Who the data-access log names as the system that read: the platform's own record of the
# person (the code resolves to their verified identity).
CALLING_SYSTEM = "qingeban"
PLATFORM = "qingeban"
CODE_DATASET = "city-code"
_TICKET_BYTES = 24


@dataclass(frozen=True, slots=True)
class Verifier:
    """Who verifies: a clerk (`staff`) or a partner's or department's system (`client`)."""

    kind: VerifierKind
    id: str


def _ticket_digest(settings: Settings, ticket: str) -> str:
    # Keyed, so the table alone does not let anyone test guesses at tickets.
    key = derive_key(settings.secret_key.get_secret_value(), "codes.tickets")
    return hmac.new(key, ticket.encode("utf-8"), hashlib.sha256).hexdigest()


async def issue(session: AsyncSession, settings: Settings, citizen: Citizen) -> CityCodeRead:
    """A fresh code for a real-name verified person (L2; RealnameLevelRequired below).

    Rate-limited per person (TooManyCodes, 429): a screen refreshes its code once a minute,
    and nothing else needs more. Nothing is stored: the code is verified from its signature,
    and spent when first verified.
    """
    limit = Limit("codes.issue.account", settings.city_codes_per_minute, 60)
    verdict = await ratelimit.limiter(session, settings).hit(limit, str(citizen.account_id))
    if not verdict.allowed:
        raise TooManyCodes(verdict.retry_after)
    await auth.verified_person(session, settings, citizen.account_id)
    now = utcnow()
    claims = signing.claims_for(settings, citizen.account_id, now)
    code = await certificates.sign_compact(session, settings, claims, typ=TYP)
    expires_at = signing.expiry(claims)
    return CityCodeRead(
        code=code,
        expires_at=expires_at,
        expires_in=int(claims["exp"]) - int(claims["iat"]),
        jwks_uri=f"{settings.issuer_url}{API_V1}/licenses/jwks",
        qr_image=f"{API_V1}/me/code/qr",
    )


def purposes() -> list[CodePurposeRead]:
    """The purposes a code may be verified for, as the policy file says."""
    return [
        CodePurposeRead(
            code=item.code,
            title_zh=item.title.zh,
            title_en=item.title.en,
            verifiers=sorted(item.verifiers),
            attributes=list(item.attributes),
            on_behalf=item.on_behalf,
        )
        for item in policy.purposes().values()
    ]


def _purpose(code: str, verifier: Verifier) -> CodePurpose:
    found = policy.purpose(code)
    if found is None:
        raise UnknownPurpose(f"未登记的核验用途：{code}", f"unknown purpose {code!r}")
    if verifier.kind not in found.verifiers:
        raise PurposeNotForVerifier(
            "此用途须由其他身份核验", f"purpose {code!r} is not for a {verifier.kind} verifier"
        )
    return found


async def _genuine(session: AsyncSession, settings: Settings, code: str) -> signing.Claims:
    payload = await certificates.verify_compact(session, settings, code, typ=TYP)
    if payload is None:
        raise InvalidCode("二维码不是本平台签发的", "the code was not signed by the platform")
    try:
        return signing.check(settings, payload, utcnow())
    except signing.Refused as refused:
        if refused.expired:
            raise CodeExpired("二维码已过期", "the code has expired") from None
        raise InvalidCode("二维码内容不符合要求", "the code's claims are not valid") from None


async def verify(
    session: AsyncSession,
    settings: Settings,
    verifier: Verifier,
    data: CodeVerification,
    *,
    audit_context: AuditContext,
) -> CodeVerificationRead:
    """Verify a presented code for a purpose: the attributes the purpose allows, once.

    Checks in this order, each before anything is read: the purpose and the verifier's right
    to state it (UnknownPurpose 422, PurposeNotForVerifier 403); the signature, issuer and
    claims (InvalidCode 422); the end (CodeExpired 422); then the code is spent by inserting
    its `jti` (CodeAlreadyUsed 409 for the second of any two verifications, however they
    race). Only then are the person's record and the department datasets the purpose needs
    read, each read logged for the person, and the verification audited.
    """
    purpose = _purpose(data.purpose, verifier)
    claims = await _genuine(session, settings, data.code)
    now = utcnow()
    ticket = None
    if purpose.on_behalf and verifier.kind == "staff":
        ticket = OnBehalfTicket(
            ticket=secrets.token_urlsafe(_TICKET_BYTES),
            expires_at=now + timedelta(seconds=settings.city_code_on_behalf_seconds),
        )
    spent = await repository.spend(
        session,
        {
            "jti": claims.jti,
            "account_id": claims.account_id,
            "purpose": purpose.code,
            "verifier_type": verifier.kind,
            "verifier_id": verifier.id,
            "verified_at": now,
            "expires_at": claims.expires_at,
            "ticket_hash": _ticket_digest(settings, ticket.ticket) if ticket else None,
            "ticket_until": ticket.expires_at if ticket else None,
        },
    )
    if not spent:
        raise CodeAlreadyUsed("二维码已被核验过", "the code has already been verified")
    try:
        person = await auth.person_profile(session, settings, claims.account_id)
    except AccountNotFound:
        raise InvalidCode("二维码不是本平台签发的", "the code names no account") from None
    if (
        person.id_number is None
        or person.name is None
        or int(person.realname_level.removeprefix("L")) < 2
    ):
        raise RealnameLevelRequired("持码人尚未实名认证", "the holder is not real-name verified")
    actor = Actor(verifier.kind, verifier.id)
    attributes = await _attributes(session, settings, purpose, person, actor, claims.jti)
    await _log_identity_read(session, settings, purpose, person.id_number, verifier, claims.jti)
    await audit.record(
        session,
        audit_context.entry(
            actor_type=verifier.kind,
            actor_id=verifier.id,
            action="codes.verified",
            subject_type="person",
            subject_id=str(claims.account_id),
            purpose=f"city-code:{purpose.code}",
            after={
                "jti": claims.jti,
                "attributes": list(purpose.attributes),
                "on_behalf_until": ticket.expires_at.isoformat() if ticket else None,
            },
        ),
    )
    return CodeVerificationRead(
        purpose=purpose.code, verified_at=now, attributes=attributes, on_behalf=ticket
    )


def _enrolment(name: str, result: FactResult | None) -> CodeAttribute:
    if result is None or isinstance(result, Unavailable):
        reason = result.reason if isinstance(result, Unavailable) else "not_read"
        return CodeAttribute(name=name, value=None, source=f"unavailable:{reason}", as_of=None)
    enrolled = bool(getattr(result.record, "enrolled", False)) if result.found else False
    status = "enrolled" if enrolled else "not_enrolled"
    source = f"{result.department}/{result.dataset}"
    return CodeAttribute(name=name, value=status, source=source, as_of=result.as_of)


async def _attributes(
    session: AsyncSession,
    settings: Settings,
    purpose: CodePurpose,
    person: MeRead,
    actor: Actor,
    jti: str,
) -> list[CodeAttribute]:
    id_number, name = person.id_number or "", person.name or ""
    facts: dict[tuple[str, str], FactResult] = {}
    if purpose.datasets():
        facts = await exchange.gather_facts(
            session, Subject.person(id_number, name=name), purpose.datasets(),
            purpose=f"city-code:{purpose.code}", actor=actor, case_id=jti,
            deadline_seconds=settings.approval_deadline_seconds,
        )  # fmt: skip
    source, as_of = person.realname_source or PLATFORM, person.realname_verified_at
    answers: list[CodeAttribute] = []
    for attribute in purpose.attributes:
        dataset = policy.ATTRIBUTES[attribute].dataset
        if dataset is not None:
            answers.append(_enrolment(attribute, facts.get(dataset)))
            continue
        value: str | bool = True  # realname_verified: a code is issued to L2 and above only
        if attribute == "name":
            value = name
        elif attribute == "id_number_masked":
            value = mask_id_number(id_number)
        answers.append(CodeAttribute(name=attribute, value=value, source=source, as_of=as_of))
    return answers


async def _log_identity_read(
    session: AsyncSession,
    settings: Settings,
    purpose: CodePurpose,
    id_number: str,
    verifier: Verifier,
    jti: str,
) -> None:
    """The verification itself is a read of the person's verified identity: in their log."""
    blind_index = access_log.blind_index_from_settings(settings)
    await access_log.record_access(
        session,
        DataAccessEntry(
            calling_system=CALLING_SYSTEM,
            actor_type=verifier.kind,
            actor_id=verifier.id,
            subject=access_log.subject_ref("person", id_number, blind_index),
            department=PLATFORM,
            dataset=CODE_DATASET,
            purpose=f"city-code:{purpose.code}",
            case_id=jti,
            outcome="found",
            reason=",".join(purpose.attributes)[:255],
        ),
    )


async def prefill_on_behalf(
    session: AsyncSession,
    settings: Settings,
    staff_id: uuid.UUID,
    ticket: str,
    service_code: str,
    *,
    audit_context: AuditContext,
) -> PrefillRead:
    """The person's prefilled form for a service, opened by the clerk who verified their code
    at a counter: with that verification's ticket, by that clerk, once, before it ends
    (InvalidTicket 422 otherwise). The form's department reads are logged for the person under
    the clerk's name, and the opening is audited."""
    now = utcnow()
    account_id = await repository.spend_ticket(
        session,
        ticket_hash=_ticket_digest(settings, ticket),
        verifier_id=str(staff_id),
        service_code=service_code[:100],
        now=now,
    )
    if account_id is None:
        raise InvalidTicket("代办凭据无效、已使用或已过期", "the ticket is not valid")
    form = await applications.prefill_on_behalf(
        session, settings, account_id, service_code, actor=Actor("staff", str(staff_id))
    )
    await audit.record(
        session,
        audit_context.entry(
            actor_type="staff",
            actor_id=str(staff_id),
            action="codes.prefill_opened_on_behalf",
            subject_type="person",
            subject_id=str(account_id),
            purpose=f"prefill:{form.service_code}",
            after={"service_code": form.service_code},
        ),
    )
    return form


async def purge_expired(session: AsyncSession, now: datetime | None = None) -> int:
    """Forget the uses of codes that have expired (their signature refuses them now)."""
    return await repository.purge_expired(session, now or utcnow())
