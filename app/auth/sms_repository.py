"""The queries of SMS codes: one conditional UPDATE each, so that concurrent attempts on any
number of API processes cannot share an attempt or use a code twice."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import DemoSmsMessage, SmsChallenge


async def void_sms_challenges(session: AsyncSession, phone_index: str, now: datetime) -> None:
    """Void a phone's unused codes (a new one replaces them)."""
    statement = (
        update(SmsChallenge)
        .where(SmsChallenge.phone_index == phone_index, SmsChallenge.consumed_at.is_(None))
        .values(consumed_at=now)
    )
    await session.execute(statement)


async def live_sms_challenge(
    session: AsyncSession, phone_index: str, now: datetime, max_attempts: int
) -> SmsChallenge | None:
    """A phone's current code, if unused, unexpired and not out of attempts."""
    statement = (
        select(SmsChallenge)
        .where(
            SmsChallenge.phone_index == phone_index,
            SmsChallenge.consumed_at.is_(None),
            SmsChallenge.expires_at > now,
            SmsChallenge.attempts < max_attempts,
        )
        .order_by(SmsChallenge.created_at.desc())
        .limit(1)
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def count_sms_attempt(session: AsyncSession, challenge_id: uuid.UUID) -> int:
    """Use up one attempt of a code; the attempts made so far."""
    statement = (
        update(SmsChallenge)
        .where(SmsChallenge.id == challenge_id)
        .values(attempts=SmsChallenge.attempts + 1)
        .returning(SmsChallenge.attempts)
    )
    return int((await session.execute(statement)).scalar_one())


async def consume_sms_challenge(
    session: AsyncSession, challenge_id: uuid.UUID, now: datetime
) -> None:
    """A code that worked cannot work again."""
    statement = update(SmsChallenge).where(SmsChallenge.id == challenge_id).values(consumed_at=now)
    await session.execute(statement)


async def demo_sms_messages(
    session: AsyncSession, phone_index: str | None, limit: int
) -> Sequence[DemoSmsMessage]:
    """The demo gateway's newest texts, optionally to one phone."""
    statement = select(DemoSmsMessage).order_by(DemoSmsMessage.sent_at.desc()).limit(limit)
    if phone_index is not None:
        statement = statement.where(DemoSmsMessage.phone_index == phone_index)
    return (await session.execute(statement)).scalars().all()
