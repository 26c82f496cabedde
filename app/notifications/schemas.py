"""What the inbox, the SMS preferences and the webhook API read and write."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import BaseModel, Field


class MessageRead(BaseModel):
    """An inbox message, in the reader's language, linking to its case or license."""

    id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class MessagePage(BaseModel):
    """A page of the inbox, newest first, and how many messages are unread in all."""

    items: list[MessageRead]
    next_cursor: str | None = None
    unread_count: int


class SmsPreferenceRead(BaseModel):
    """Whether texts are sent for an event type; statutory notices are always sent."""

    event_type: str
    enabled: bool
    statutory: bool


class SmsPreferenceUpdate(BaseModel):
    """Texts for these event types on or off."""

    event_type: str = Field(max_length=64)
    enabled: bool


class SubscriptionCreate(BaseModel):
    """A partner's endpoint and the event types it wants."""

    url: str = Field(max_length=2000)
    event_types: list[str] = Field(min_length=1, max_length=50)


class SubscriptionRead(BaseModel):
    """A subscription as its owner sees it (never its secret after creation)."""

    id: uuid.UUID
    url: str
    event_types: list[str]
    state: str
    disabled_reason: str | None
    consecutive_failures: int
    created_at: datetime


class SubscriptionCreated(SubscriptionRead):
    """The new subscription with its signing secret, shown this once."""

    secret: str


class SecretRotated(BaseModel):
    """The new signing secret, shown this once; the old one signs too until `previous_until`."""

    secret: str
    previous_until: datetime


class AttemptRead(BaseModel):
    """One try of a delivery."""

    attempted_at: datetime
    status_code: int | None
    latency_ms: int
    error: str | None


class DeliveryRead(BaseModel):
    """A delivery of one event to one endpoint, with every attempt (the delivery log)."""

    id: uuid.UUID
    webhook_id: str
    subscription_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    state: str
    attempts: list[AttemptRead]
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class FailingEndpointRead(BaseModel):
    """An endpoint that is failing or was disabled for failing (platform admins)."""

    id: uuid.UUID
    owner: str
    url: str
    state: str
    consecutive_failures: int
    failing_since: datetime | None
    breaker_open_until: datetime | None
    disabled_reason: str | None
