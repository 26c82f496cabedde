"""Every query of the notifications domain, the reader's scope applied here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from app.db import stage
from app.notifications.models import (
    Event,
    Message,
    SmsDelivery,
    SmsPreference,
    WebhookAttempt,
    WebhookDelivery,
    WebhookSubscription,
)


def _insert(session: AsyncSession) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


async def add(session: AsyncSession, row: object) -> None:
    """Insert a row in the caller's transaction."""
    session.add(row)
    await session.flush()


def stage_event(session: AsyncSession, event: Event) -> None:
    """Insert an event with the caller's other changes (app.db.stage)."""
    stage(session, event)


async def get_event(session: AsyncSession, event_id: uuid.UUID) -> Event | None:
    """An event by id."""
    return await session.get(Event, event_id)


async def insert_message_once(session: AsyncSession, values: dict[str, Any]) -> None:
    """Put a message in an inbox unless that recipient has it already (fan-out reruns)."""
    statement = (
        _insert(session)(Message)
        .values(values)
        .on_conflict_do_nothing(index_elements=["recipient", "event_id"])
    )
    await session.execute(statement)


async def messages(
    session: AsyncSession, recipient: str, *, before_event: uuid.UUID | None, limit: int
) -> Sequence[tuple[Message, Event]]:
    """The recipient's messages, newest event first, with their events.

    Ordered by the event's id (a UUIDv7: the order things happened), not the message's: the
    fan-outs of several events run in parallel and may file them in any order."""
    statement = (
        select(Message, Event)
        .join(Event, Event.id == Message.event_id)
        .where(Message.recipient == recipient)
        .order_by(Message.event_id.desc())
        .limit(limit)
    )
    if before_event is not None:
        statement = statement.where(Message.event_id < before_event)
    return [(row[0], row[1]) for row in await session.execute(statement)]


async def unread_count(session: AsyncSession, recipient: str) -> int:
    """How many of the recipient's messages are unread."""
    statement = select(func.count()).where(
        Message.recipient == recipient, Message.read_at.is_(None)
    )
    return int((await session.execute(statement)).scalar_one())


async def message_of(
    session: AsyncSession, recipient: str, message_id: uuid.UUID
) -> tuple[Message, Event] | None:
    """One of the recipient's messages; None for another's."""
    statement = (
        select(Message, Event)
        .join(Event, Event.id == Message.event_id)
        .where(Message.id == message_id, Message.recipient == recipient)
    )
    row = (await session.execute(statement)).first()
    return (row[0], row[1]) if row is not None else None


async def sms_preferences(session: AsyncSession, account_id: uuid.UUID) -> dict[str, bool]:
    """The event types a person chose about, and their choice."""
    statement = select(SmsPreference).where(SmsPreference.account_id == account_id)
    return {row.event_type: row.enabled for row in (await session.scalars(statement)).all()}


async def set_sms_preference(
    session: AsyncSession, account_id: uuid.UUID, event_type: str, enabled: bool, now: datetime
) -> None:
    """Record a person's choice for one event type (upsert)."""
    statement = (
        _insert(session)(SmsPreference)
        .values(account_id=account_id, event_type=event_type, enabled=enabled, updated_at=now)
        .on_conflict_do_update(
            index_elements=["account_id", "event_type"],
            set_={"enabled": enabled, "updated_at": now},
        )
    )
    await session.execute(statement)


# The first key of the advisory locks that serialise the texts to one phone (PostgreSQL).
_PHONE_LOCKS = 0x5146


async def lock_phone(session: AsyncSession, phone_index: str) -> None:
    """Hold, until the transaction ends, the lock of one phone's texts: concurrent text jobs
    must not all count the same texts under the daily cap. SQLite's write transaction already
    serialises them; on PostgreSQL an advisory lock keyed by (a part of) the phone's index
    does (a rare collision merely serialises two phones)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(
        text("SELECT pg_advisory_xact_lock(:space, :key)"),
        {"space": _PHONE_LOCKS, "key": int(phone_index[:7], 16)},
    )


async def sms_sent_since(session: AsyncSession, phone_index: str, since: datetime) -> int:
    """Texts counted against a phone's daily cap since `since` (capped ones do not count)."""
    statement = select(func.count()).where(
        SmsDelivery.phone_index == phone_index,
        SmsDelivery.created_at >= since,
        SmsDelivery.status != "capped",
    )
    return int((await session.execute(statement)).scalar_one())


async def sms_delivery(session: AsyncSession, delivery_id: uuid.UUID) -> SmsDelivery | None:
    """A text by id."""
    return await session.get(SmsDelivery, delivery_id)


async def sms_for_event(
    session: AsyncSession, event_id: uuid.UUID, phone_index: str
) -> SmsDelivery | None:
    """The text already made for an event and phone (a rerun of its job makes none)."""
    statement = select(SmsDelivery).where(
        SmsDelivery.event_id == event_id, SmsDelivery.phone_index == phone_index
    )
    return (await session.scalars(statement)).first()


async def sms_by_provider_id(
    session: AsyncSession, gateway: str, provider_id: str
) -> SmsDelivery | None:
    """A text by the gateway's id for it (its delivery receipts name it so)."""
    statement = select(SmsDelivery).where(
        SmsDelivery.gateway == gateway, SmsDelivery.provider_id == provider_id
    )
    return (await session.scalars(statement)).first()


async def subscriptions_of(session: AsyncSession, owner: str) -> Sequence[WebhookSubscription]:
    """An owner's subscriptions, deleted ones left out, oldest first."""
    statement = (
        select(WebhookSubscription)
        .where(WebhookSubscription.owner == owner, WebhookSubscription.state != "deleted")
        .order_by(WebhookSubscription.id)
    )
    return (await session.scalars(statement)).all()


async def subscription_of(
    session: AsyncSession, owner: str, subscription_id: uuid.UUID
) -> WebhookSubscription | None:
    """One of the owner's subscriptions; None for another's or a deleted one."""
    statement = select(WebhookSubscription).where(
        WebhookSubscription.id == subscription_id,
        WebhookSubscription.owner == owner,
        WebhookSubscription.state != "deleted",
    )
    return (await session.scalars(statement)).first()


async def subscription_for_update(
    session: AsyncSession, subscription_id: uuid.UUID, *, lock: bool
) -> WebhookSubscription | None:
    """A subscription, row-locked on PostgreSQL: its breaker counts change under the lock."""
    statement = select(WebhookSubscription).where(WebhookSubscription.id == subscription_id)
    if lock:
        statement = statement.with_for_update()
    return (await session.scalars(statement)).first()


async def listening(
    session: AsyncSession, event_type: str, department_code: str | None, client: str | None
) -> list[WebhookSubscription]:
    """The active subscriptions an event goes to: of its department, or of the client it names."""
    reach = []
    if department_code is not None:
        reach.append(WebhookSubscription.department_code == department_code)
    if client is not None:
        reach.append(WebhookSubscription.owner == client)
    if not reach:
        return []
    statement = select(WebhookSubscription).where(
        WebhookSubscription.state == "active", or_(*reach)
    )
    # Filtered here rather than in SQL: JSON containment differs between the two databases,
    # and one department has a handful of subscriptions.
    return [s for s in (await session.scalars(statement)).all() if event_type in s.event_types]


async def insert_delivery_once(session: AsyncSession, values: dict[str, Any]) -> bool:
    """Create a delivery unless the subscription has one for the event; whether it did."""
    statement = (
        _insert(session)(WebhookDelivery)
        .values(values)
        .on_conflict_do_nothing(index_elements=["subscription_id", "event_id"])
        .returning(WebhookDelivery.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def delivery(
    session: AsyncSession, delivery_id: uuid.UUID
) -> tuple[WebhookDelivery, WebhookSubscription, Event] | None:
    """A delivery with its subscription and event."""
    statement = (
        select(WebhookDelivery, WebhookSubscription, Event)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookDelivery.id == delivery_id)
    )
    row = (await session.execute(statement)).first()
    return (row[0], row[1], row[2]) if row is not None else None


async def deliveries_of(
    session: AsyncSession,
    owner: str,
    *,
    state: str | None,
    before_id: uuid.UUID | None,
    limit: int,
) -> Sequence[tuple[WebhookDelivery, Event]]:
    """An owner's deliveries newest first, optionally in one state."""
    statement = (
        select(WebhookDelivery, Event)
        .join(WebhookSubscription, WebhookSubscription.id == WebhookDelivery.subscription_id)
        .join(Event, Event.id == WebhookDelivery.event_id)
        .where(WebhookSubscription.owner == owner)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    if state is not None:
        statement = statement.where(WebhookDelivery.state == state)
    if before_id is not None:
        statement = statement.where(WebhookDelivery.id < before_id)
    return [(row[0], row[1]) for row in await session.execute(statement)]


async def attempts_of(
    session: AsyncSession, delivery_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[WebhookAttempt]]:
    """The attempts of these deliveries, oldest first, by delivery."""
    found: dict[uuid.UUID, list[WebhookAttempt]] = {d: [] for d in delivery_ids}
    if not delivery_ids:
        return found
    statement = (
        select(WebhookAttempt)
        .where(WebhookAttempt.delivery_id.in_(delivery_ids))
        .order_by(WebhookAttempt.attempted_at, WebhookAttempt.id)
    )
    for attempt in (await session.scalars(statement)).all():
        found[attempt.delivery_id].append(attempt)
    return found


async def failing_subscriptions(session: AsyncSession) -> Sequence[WebhookSubscription]:
    """Endpoints failing now or disabled for failing, worst first (the admin's list)."""
    statement = (
        select(WebhookSubscription)
        .where(
            or_(
                WebhookSubscription.consecutive_failures > 0,
                WebhookSubscription.state == "disabled",
            )
        )
        .order_by(WebhookSubscription.consecutive_failures.desc(), WebhookSubscription.id)
    )
    return (await session.scalars(statement)).all()


async def pending_deliveries(session: AsyncSession) -> int:
    """Deliveries not yet made (the queue depth the metrics show)."""
    statement = select(func.count()).where(WebhookDelivery.state == "pending")
    return int((await session.execute(statement)).scalar_one())


async def requeue_dead_delivery(
    session: AsyncSession, delivery_id: uuid.UUID, now: datetime
) -> bool:
    """Make a dead delivery pending again, due now; False when it is not dead."""
    statement = (
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.state == "dead")
        .values(state="pending", next_attempt_at=now)
        .returning(WebhookDelivery.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None
