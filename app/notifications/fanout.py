"""The fan-out of an event: messages into the inboxes, texts and webhook deliveries queued.

Runs as a job after the event's transaction committed, at least once: a rerun adds no second
message (one per recipient and event), no second delivery (one per subscription and event) and
no second text (the text's job is keyed by event and person).
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth
from app.jobs import service as jobs
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.notifications import repository, service
from app.notifications.delivery import WEBHOOK_JOB
from app.notifications.models import Event

SMS_JOB = "notifications.sms"


async def people_of(session: AsyncSession, event: Event) -> list[uuid.UUID]:
    """The persons an event is told to by name: its accounts and the holder it names."""
    people = [uuid.UUID(hex=value) for value in event.audience.get("accounts") or []]
    holder_index = event.audience.get("holder_index")
    if holder_index:
        holder = await auth.account_by_id_number_index(session, holder_index)
        if holder is not None and holder not in people:
            people.append(holder)
    return people


async def fan_out(session: AsyncSession, event: Event) -> None:
    """Tell an event to everyone it concerns; queue its texts and webhook deliveries."""
    now = utcnow()
    people = await people_of(session, event)
    enterprise = event.audience.get("enterprise")
    # An enterprise's case or license is news for whoever acts for it: its inbox. The person
    # who applied for it is still texted (they are the one waiting for it).
    recipients = (
        [service.enterprise_recipient(enterprise)]
        if enterprise
        else [service.person_recipient(person) for person in people]
    )
    for recipient in recipients:
        await repository.insert_message_once(
            session,
            {
                "id": new_id(),
                "recipient": recipient,
                "event_id": event.id,
                "event_type": event.type,
                "created_at": now,
                "read_at": None,
            },
        )
    for person in people:
        if await service.sms_wanted(session, person, event.type):
            await jobs.enqueue(
                session,
                SMS_JOB,
                {"event_id": str(event.id), "account_id": str(person)},
                dedupe_key=f"sms:{event.id}:{person.hex}",
            )
    for subscription in await repository.listening(
        session, event.type, event.department_code, event.audience.get("client")
    ):
        delivery_id = new_id()
        created = await repository.insert_delivery_once(
            session,
            {
                "id": delivery_id,
                "subscription_id": subscription.id,
                "event_id": event.id,
                "state": "pending",
                "attempts": 0,
                "next_attempt_at": now,
                "created_at": now,
            },
        )
        if created:
            await jobs.enqueue(session, WEBHOOK_JOB, {"delivery_id": str(delivery_id)})
