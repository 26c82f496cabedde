"""Texting an event to a person: the template filled, the daily cap, the delivery log.

The job is keyed by event and person, and the log by event and phone, so a job that runs again
(its worker died after sending) finds the text made and sends no second one, unless the
gateway's answer never committed: then the person may get the text twice, which is the price
of at-least-once delivery.
"""

from __future__ import annotations

import uuid
from datetime import datetime, time, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import service as auth
from app.auth.personal_data import blind_index
from app.config import Settings
from app.jobs import service as jobs
from app.kit.clock import SHANGHAI, to_shanghai, utcnow
from app.kit.ids import new_id
from app.kit.masking import mask_phone
from app.notifications import repository, templates
from app.notifications.models import Event, SmsDelivery
from app.ops.metrics import SMS_SENT

SMS_STATUS_JOB = "notifications.sms_status"


def start_of_day(now: datetime) -> datetime:
    """Midnight in Asia/Shanghai of `now`'s day: the daily cap counts from there."""
    return datetime.combine(to_shanghai(now).date(), time(), tzinfo=SHANGHAI)


async def text_event(
    session: AsyncSession, settings: Settings, event: Event, account_id: uuid.UUID
) -> str:
    """Text an event to a person; what became of it (sent, capped, skipped)."""
    template = templates.template_for(event.type, event.payload)
    if template is None or template.sms_zh is None:
        return "skipped"
    phone = await auth.phone_of(session, settings, account_id)
    if phone is None:
        return "skipped"
    index = blind_index(settings, phone)
    await repository.lock_phone(session, index)
    if await repository.sms_for_event(session, event.id, index) is not None:
        return "skipped"
    now = utcnow()
    row = SmsDelivery(
        id=new_id(),
        phone_index=index,
        phone_masked=mask_phone(phone),
        template=template.key,
        status="queued",
        gateway=settings.sms_gateway,
        provider_id=None,
        attempts=1,
        last_error=None,
        event_id=event.id,
        created_at=now,
        updated_at=now,
    )
    sent_today = await repository.sms_sent_since(session, index, start_of_day(now))
    if sent_today >= settings.sms_daily_cap_per_phone:
        row.status = "capped"
    else:
        # A gateway failure raises: the job rolls back and is retried with backoff.
        gateway = auth.sms_gateway(settings)
        row.gateway = gateway.name
        row.provider_id = await gateway.send(
            session, phone, templates.fill(template.sms_zh, event.payload),
            template=template.key, params=templates.variables(template.sms_zh, event.payload),
        )  # fmt: skip
        row.status = "delivered" if gateway.name == "demo" else "sent"
    await repository.add(session, row)
    if row.status == "sent" and settings.sms_status_checks > 0:
        await jobs.enqueue(
            session, SMS_STATUS_JOB,
            {"sms_id": str(row.id), "account_id": str(account_id), "check": 1},
            run_after=now + timedelta(seconds=settings.sms_status_delay_seconds),
        )  # fmt: skip
    SMS_SENT.labels(row.status).inc()
    return row.status


async def check_status(
    session: AsyncSession, settings: Settings, sms_id: uuid.UUID, account_id: uuid.UUID, check: int
) -> str:
    """Ask the gateway for a text's delivery receipt; ask again later while there is none."""
    row = await repository.sms_delivery(session, sms_id)
    phone = await auth.phone_of(session, settings, account_id)
    if row is None or phone is None or row.status != "sent" or row.provider_id is None:
        return "settled"
    status = await auth.sms_gateway(settings).status(phone, row.provider_id, row.created_at)
    row.status, row.updated_at = status, utcnow()
    if status == "sent" and check < settings.sms_status_checks:
        await jobs.enqueue(
            session, SMS_STATUS_JOB,
            {"sms_id": str(sms_id), "account_id": str(account_id), "check": check + 1},
            run_after=utcnow() + timedelta(seconds=settings.sms_status_delay_seconds * 2**check),
        )  # fmt: skip
    await session.flush()
    return status
