"""The notifications domain as other domains see it: publish an event, read the inbox, choose
which texts to receive.

`publish` writes the event and queues its fan-out in the caller's transaction, so a decision
and the news of it commit together or not at all (the job table is the outbox). Nothing is sent
in the request: the fan-out job puts the messages in the inboxes and queues the texts and the
webhook deliveries, each of which is its own job.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.errors import InvalidCursor
from app.jobs import service as jobs
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.notifications import events, repository, templates
from app.notifications.errors import MessageNotFound, StatutoryNotice, UnknownEventType
from app.notifications.models import Event
from app.notifications.schemas import MessagePage, MessageRead, SmsPreferenceRead

FAN_OUT_JOB = "notifications.fan_out"


async def publish(
    session: AsyncSession,
    event_type: str,
    *,
    subject: str,
    payload: dict[str, Any],
    department_code: str | None = None,
    accounts: Iterable[uuid.UUID] = (),
    enterprise: str | None = None,
    holder_index: str | None = None,
    client: str | None = None,
    event_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Record an event and queue its fan-out, in the caller's transaction; the event's id
    (`event_id` for an event that must be told once however often it is found, see
    `published`).

    The audience: person `accounts`, an `enterprise` (its agents read its inbox), the person
    whose ID number has the blind index `holder_index`, and a `client` (a partner the event
    concerns). The payload must hold nothing a subscribed department or partner may not see.
    """
    if event_type not in events.EVENT_TYPES:
        raise ValueError(f"unknown event type {event_type!r}")
    event = Event(
        id=event_id or new_id(),
        type=event_type,
        subject=subject,
        department_code=department_code,
        occurred_at=utcnow(),
        payload=payload,
        audience={
            "accounts": [account.hex for account in accounts],
            "enterprise": enterprise,
            "holder_index": holder_index,
            "client": client,
        },
    )
    repository.stage_event(session, event)
    await jobs.enqueue(session, FAN_OUT_JOB, {"event_id": str(event.id)})
    return event.id


async def published(session: AsyncSession, event_id: uuid.UUID) -> bool:
    """Whether the event with this id was recorded already."""
    return await repository.get_event(session, event_id) is not None


def person_recipient(account_id: uuid.UUID) -> str:
    """The inbox key of a person."""
    return f"person:{account_id.hex}"


def enterprise_recipient(uscc: str) -> str:
    """The inbox key of an enterprise, which every person acting for it reads."""
    return f"enterprise:{uscc}"


async def inbox(
    session: AsyncSession, recipient: str, *, cursor: str | None, limit: int, english: bool
) -> MessagePage:
    """A page of an inbox, newest first, with the unread count."""
    before: uuid.UUID | None = None
    if cursor:
        try:
            (value,) = pagination.decode_cursor(cursor, arity=1)
            before = uuid.UUID(str(value))
        except ValueError as exc:
            raise InvalidCursor("分页游标无效", "the cursor is not valid for this list") from exc
    rows = await repository.messages(session, recipient, before_event=before, limit=limit + 1)
    items = [_read(message, event, english) for message, event in rows[:limit]]
    last = items[-1].event_id if items else None
    next_cursor = pagination.encode_cursor([str(last)]) if len(rows) > limit else None
    unread = await repository.unread_count(session, recipient)
    return MessagePage(items=items, next_cursor=next_cursor, unread_count=unread)


def _read(message: Any, event: Event, english: bool) -> MessageRead:
    rendered = templates.render(event.type, event.payload, english=english)
    return MessageRead(
        id=message.id,
        event_id=event.id,
        event_type=event.type,
        title=rendered.title,
        body=rendered.body,
        link=rendered.link,
        created_at=message.created_at,
        read_at=message.read_at,
    )


async def mark_read(
    session: AsyncSession,
    recipient: str,
    message_id: uuid.UUID,
    *,
    english: bool,
    actor: tuple[Any, str],
    audit_context: AuditContext,
) -> MessageRead:
    """Mark one of the reader's messages read (again: unchanged); 404 for another's."""
    found = await repository.message_of(session, recipient, message_id)
    if found is None:
        raise MessageNotFound("消息不存在", "no such message")
    message, event = found
    if message.read_at is None:
        message.read_at = utcnow()
        await session.flush()
        await audit.record(
            session,
            audit_context.entry(
                actor_type=actor[0],
                actor_id=actor[1],
                action="notifications.message_read",
                subject_type="message",
                subject_id=str(message.id),
            ),
        )
    return _read(message, event, english)


async def sms_preferences(session: AsyncSession, account_id: uuid.UUID) -> list[SmsPreferenceRead]:
    """Every event type told by text, and whether the person receives it."""
    chosen = await repository.sms_preferences(session, account_id)
    return [
        SmsPreferenceRead(
            event_type=event_type,
            enabled=event_type in events.STATUTORY or chosen.get(event_type, True),
            statutory=event_type in events.STATUTORY,
        )
        for event_type in events.EVENT_TYPES
        if event_type in events.BY_SMS
    ]


async def set_sms_preference(
    session: AsyncSession,
    account_id: uuid.UUID,
    event_type: str,
    enabled: bool,
    *,
    audit_context: AuditContext,
) -> list[SmsPreferenceRead]:
    """Switch the texts of one event type on or off (never those of a statutory notice)."""
    if event_type not in events.BY_SMS:
        raise UnknownEventType(
            f"事件类型 {event_type} 不发送短信", f"no texts are sent for {event_type}"
        )
    if event_type in events.STATUTORY and not enabled:
        raise StatutoryNotice(extra={"event_type": event_type})
    await repository.set_sms_preference(session, account_id, event_type, enabled, utcnow())
    await audit.record(
        session,
        audit_context.entry(
            actor_type="person",
            actor_id=str(account_id),
            action="notifications.sms_preference_set",
            subject_type="person",
            subject_id=str(account_id),
            after={"event_type": event_type, "enabled": enabled},
        ),
    )
    return await sms_preferences(session, account_id)


async def sms_wanted(session: AsyncSession, account_id: uuid.UUID, event_type: str) -> bool:
    """Whether a person is texted about an event of this type."""
    if event_type not in events.BY_SMS:
        return False
    if event_type in events.STATUTORY:
        return True
    return (await repository.sms_preferences(session, account_id)).get(event_type, True)


async def pending_deliveries(session: AsyncSession) -> int:
    """Webhook deliveries not made yet: the queue depth the metrics show."""
    return await repository.pending_deliveries(session)
