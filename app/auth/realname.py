"""Real-name checks through the department exchange, for registration, face login and acting.

The platform never decides who a person is: public security answers whether a name matches an
ID number (L2) and whether a selfie is a live face of that person (L3), and market regulation
answers who may act for an enterprise. Each answer is a department fact with its source and
time, read with the `identity-verification` purpose and recorded in the data-access log like any
other read. An unanswered check is "try again later" (503), never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters.client import Fact, Subject
from app.adapters.records import EnterpriseRegistration, FaceVerification, IdentityVerification
from app.adapters.service import Actor, DatasetKey, Unavailable, gather_facts
from app.auth.errors import (
    ActingNotAllowed,
    EnterpriseNotRegistered,
    FaceNotVerified,
    RealnameMismatch,
    RealnameUnavailable,
)

IDENTITY: DatasetKey = ("gaj", "identity-verification")
FACE: DatasetKey = ("gaj", "face-verification")
ENTERPRISE: DatasetKey = ("scjg", "enterprise-registration")
PURPOSE = "identity-verification"
ACTING_PURPOSE = "act-for-enterprise"


@dataclass(frozen=True, slots=True)
class Verified:
    """A department's confirmation: which dataset said so, and as of when."""

    source: str
    as_of: datetime


@dataclass(frozen=True, slots=True)
class Enterprise:
    """An enterprise a person may act for, as market regulation records it."""

    uscc: str
    name: str
    role: str  # "legal_representative" or "authorised_agent"
    verified: Verified


async def _one(
    session: AsyncSession, subject: Subject, key: DatasetKey, *, purpose: str, actor: Actor,
    deadline_seconds: float,
) -> Fact:  # fmt: skip
    facts = await gather_facts(
        session, subject, [key], purpose=purpose, actor=actor, deadline_seconds=deadline_seconds
    )
    fact = facts[key]
    if isinstance(fact, Unavailable):
        raise RealnameUnavailable(
            "公安部门核验服务暂不可用，请稍后再试",
            f"the {key[0]} check is unavailable ({fact.reason}); try again later",
            headers={"Retry-After": "30"},
        )
    return fact


def _verified(fact: Fact) -> Verified:
    return Verified(source=f"{fact.department}/{fact.dataset}", as_of=fact.as_of)


async def check_identity(
    session: AsyncSession, *, name: str, id_number: str, actor: Actor,
    deadline_seconds: float,
) -> Verified:  # fmt: skip
    """Public security's answer that `name` is the holder of `id_number` (L2); a person waiting
    at registration gets it within `deadline_seconds` or a 503 to retry."""
    subject = Subject.person(id_number, name=name)
    fact = await _one(
        session, subject, IDENTITY, purpose=PURPOSE, actor=actor,
        deadline_seconds=deadline_seconds,
    )  # fmt: skip
    if not (isinstance(fact.record, IdentityVerification) and fact.record.match):
        raise RealnameMismatch
    return _verified(fact)


async def check_face(
    session: AsyncSession, *, id_number: str, selfie_token: str, actor: Actor,
    deadline_seconds: float,
) -> Verified:  # fmt: skip
    """Public security's answer that the selfie is a live face of the ID number's holder (L3)."""
    subject = Subject.person(id_number, selfie_token=selfie_token)
    fact = await _one(
        session, subject, FACE, purpose=PURPOSE, actor=actor, deadline_seconds=deadline_seconds
    )
    record = fact.record
    if not isinstance(record, FaceVerification) or not record.liveness:
        raise FaceNotVerified("未通过活体检测", "the selfie did not pass the liveness check")
    if not record.match:
        raise FaceNotVerified("人脸比对未通过", "the face does not match the ID photo")
    return _verified(fact)


async def check_acting(
    session: AsyncSession, *, uscc: str, id_number: str, actor: Actor,
    deadline_seconds: float,
) -> Enterprise:  # fmt: skip
    """Market regulation's answer that the person may act for the enterprise.

    The legal representative may, and so may an authorised agent on record; anyone else gets
    ActingNotAllowed, and an enterprise market regulation does not know EnterpriseNotRegistered
    (the same refusal, unless the caller finds the person founded it on the platform).
    """
    subject = Subject.enterprise(uscc)
    fact = await _one(
        session, subject, ENTERPRISE, purpose=ACTING_PURPOSE, actor=actor,
        deadline_seconds=deadline_seconds,
    )  # fmt: skip
    record = fact.record
    refused = ActingNotAllowed(
        "您不是该企业的法定代表人或授权经办人",
        "you are neither the legal representative nor an authorised agent of this enterprise",
    )
    if not isinstance(record, EnterpriseRegistration):
        raise EnterpriseNotRegistered(refused.detail_zh, refused.detail_en)
    if record.legal_representative_id_number == id_number:
        role = "legal_representative"
    elif any(agent.id_number == id_number for agent in record.authorised_agents):
        role = "authorised_agent"
    else:
        raise refused
    return Enterprise(uscc=record.uscc, name=record.name, role=role, verified=_verified(fact))
