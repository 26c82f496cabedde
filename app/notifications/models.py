"""Tables of the notifications domain: events, inbox messages, SMS preferences and deliveries,
webhook subscriptions, their deliveries and every attempt of those."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime
from app.kit.ids import new_id
from app.sealing import SealedText


class Event(Base):
    """Something the platform decided, written in the transaction of the change itself.

    The payload is what a receiver may see (numbers, codes, statuses; no names or ID numbers);
    the audience says who is told, by keys that are no personal data either (account ids, a
    holder's blind index, a USCC)."""

    __tablename__ = "notification_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    type: Mapped[str] = mapped_column(String(64), index=True)
    subject: Mapped[str] = mapped_column(String(120))
    # The department whose decision it is: its systems may subscribe to it.
    department_code: Mapped[str | None] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)


class Message(Base):
    """An inbox message: one event told to one recipient (a person, or an enterprise whose
    agents all read it). Rendered when read, in the reader's language, from the templates."""

    __tablename__ = "notification_messages"
    __table_args__ = (
        # Fan-out runs at least once: a second run must not tell anyone twice. The same index
        # serves the inbox, newest event first.
        UniqueConstraint("recipient", "event_id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # "person:<account id hex>" or "enterprise:<USCC>".
    recipient: Mapped[str] = mapped_column(String(80))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notification_events.id"))
    event_type: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SmsPreference(Base):
    """A person's choice to receive (or not) texts for one event type; absent means yes."""

    __tablename__ = "sms_preferences"

    account_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    enabled: Mapped[bool] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class SmsDelivery(Base):
    """One text: to whom (indexed and masked, never in clear), which template, and how it went."""

    __tablename__ = "sms_deliveries"
    __table_args__ = (Index("ix_sms_deliveries_phone_created", "phone_index", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone_index: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(16))
    template: Mapped[str] = mapped_column(String(64))
    # queued → sent → delivered | failed; capped when the phone's daily cap was reached.
    status: Mapped[str] = mapped_column(String(16))
    gateway: Mapped[str] = mapped_column(String(32))
    provider_id: Mapped[str | None] = mapped_column(String(100))
    attempts: Mapped[int] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    # The event this text tells (None for login codes); one text per event and phone.
    event_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("notification_events.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookSubscription(Base):
    """A partner's endpoint and the event types it wants, with its signing secrets.

    Secrets are sealed at rest (they must be readable to sign) and shown to the owner once. A
    rotated-out secret keeps signing beside the new one until `previous_secret_until`."""

    __tablename__ = "webhook_subscriptions"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # The client that subscribed (a partner's or a department system's client id).
    owner: Mapped[str] = mapped_column(String(64), index=True)
    # A department system's department: it hears of that department's events only. A partner
    # (no department) hears of events addressed to it (a share it verified).
    department_code: Mapped[str | None] = mapped_column(String(32))
    url: Mapped[str] = mapped_column(String(2000))
    event_types: Mapped[list[str]] = mapped_column(JSON)
    secret: Mapped[str] = mapped_column("secret_cipher", SealedText("webhook_subscriptions.secret"))
    previous_secret: Mapped[str | None] = mapped_column(
        "previous_secret_cipher", SealedText("webhook_subscriptions.previous_secret")
    )
    previous_secret_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # active | disabled (after repeated failure, until the owner subscribes again) | deleted
    state: Mapped[str] = mapped_column(String(16))
    consecutive_failures: Mapped[int] = mapped_column(Integer)
    # The circuit breaker: while open, attempts wait instead of knocking on a dead endpoint.
    breaker_open_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    failing_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    disabled_reason: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class WebhookDelivery(Base):
    """One event for one subscription; its id is the `webhook-id` every attempt carries."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        UniqueConstraint("subscription_id", "event_id"),
        Index("ix_webhook_deliveries_subscription_id", "subscription_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    subscription_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("notification_events.id"))
    # pending → delivered, or dead after the last scheduled attempt (an owner may retry it).
    state: Mapped[str] = mapped_column(String(16), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookAttempt(Base):
    """One try of a delivery: the delivery log's line, with status code and latency."""

    __tablename__ = "webhook_attempts"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    delivery_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    attempted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_code: Mapped[int | None] = mapped_column(Integer)
    latency_ms: Mapped[int] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(500))
