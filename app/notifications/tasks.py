"""Job handlers of notifications: the fan-out of an event, a text, a webhook attempt."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.config import get_settings
from app.jobs.registry import job_handler
from app.notifications import delivery, fanout, repository, texts
from app.notifications.service import FAN_OUT_JOB


@job_handler(FAN_OUT_JOB)
async def fan_out(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Tell an event to the inboxes; queue its texts and webhook deliveries."""
    event = await repository.get_event(session, uuid.UUID(str(payload["event_id"])))
    if event is not None:
        await fanout.fan_out(session, event)


@job_handler(fanout.SMS_JOB)
async def send_text(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Text an event to one person."""
    event = await repository.get_event(session, uuid.UUID(str(payload["event_id"])))
    if event is not None:
        await texts.text_event(
            session, get_settings(), event, uuid.UUID(str(payload["account_id"]))
        )


@job_handler(delivery.WEBHOOK_JOB)
async def deliver_webhook(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Make the next attempt of a webhook delivery."""
    await delivery.attempt(session, get_settings(), uuid.UUID(str(payload["delivery_id"])))


@job_handler(texts.SMS_STATUS_JOB)
async def check_text(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Read a text's delivery receipt from the gateway."""
    await texts.check_status(
        session, get_settings(), uuid.UUID(str(payload["sms_id"])),
        uuid.UUID(str(payload["account_id"])), int(payload["check"]),
    )  # fmt: skip
