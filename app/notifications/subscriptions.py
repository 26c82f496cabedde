"""Partners' webhook subscriptions and their delivery log, as their owners manage them.

The owner is the client that subscribed (client credentials with the `webhooks` scope); a
department system hears of its department's events, a partner of those addressed to it. The
secret is shown once, when made (and when rotated); it is kept sealed, never shown again.
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth.principals import Principal
from app.config import Settings
from app.errors import InvalidCursor
from app.jobs import service as jobs
from app.kit import pagination
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.kit.pagination import Page
from app.notifications import events, repository, signing, urls
from app.notifications.delivery import WEBHOOK_JOB, webhook_id
from app.notifications.errors import (
    DeliveryNotDead,
    DeliveryNotFound,
    SubscriptionNotFound,
    UnknownEventType,
    UnsafeWebhookUrl,
)
from app.notifications.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.notifications.schemas import (
    AttemptRead,
    DeliveryRead,
    FailingEndpointRead,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)


def read(subscription: WebhookSubscription) -> SubscriptionRead:
    """A subscription as its owner sees it."""
    return SubscriptionRead(
        id=subscription.id,
        url=subscription.url,
        event_types=list(subscription.event_types),
        state=subscription.state,
        disabled_reason=subscription.disabled_reason,
        consecutive_failures=subscription.consecutive_failures,
        created_at=subscription.created_at,
    )


async def _audit(
    session: AsyncSession, context: AuditContext, caller: Principal, action: str, subject: str
) -> None:
    await audit.record(
        session,
        context.entry(
            actor_type=caller.audit_actor[0], actor_id=caller.audit_actor[1],
            action=action, subject_type="webhook_subscription", subject_id=subject,
        ),
    )  # fmt: skip


async def subscribe(
    session: AsyncSession,
    settings: Settings,
    caller: Principal,
    data: SubscriptionCreate,
    *,
    audit_context: AuditContext,
) -> SubscriptionCreated:
    """A new subscription, with its secret shown this once."""
    unknown = sorted(set(data.event_types) - set(events.EVENT_TYPES))
    if unknown:
        raise UnknownEventType(
            f"未知的事件类型：{', '.join(unknown)}",
            f"unknown event types: {', '.join(unknown)}",
            extra={"invalid_params": [{"name": "body.event_types", "reason": "unknown"}]},
        )
    try:
        await urls.check(data.url, settings)
    except urls.UnsafeUrl as exc:
        raise UnsafeWebhookUrl(
            "回调地址须为 https 公网地址", str(exc),
            extra={"invalid_params": [{"name": "body.url", "reason": str(exc)}]},
        ) from exc  # fmt: skip
    now = utcnow()
    secret = signing.new_secret()
    subscription = WebhookSubscription(
        id=new_id(),
        owner=caller.client_id,
        department_code=caller.department_code,
        url=data.url,
        event_types=sorted(set(data.event_types)),
        secret=secret,
        previous_secret=None,
        previous_secret_until=None,
        state="active",
        consecutive_failures=0,
        created_at=now,
        updated_at=now,
    )
    await repository.add(session, subscription)
    await _audit(session, audit_context, caller, "webhooks.subscribed", str(subscription.id))
    return SubscriptionCreated(**read(subscription).model_dump(), secret=secret)


async def _owned(
    session: AsyncSession, caller: Principal, subscription_id: uuid.UUID
) -> WebhookSubscription:
    subscription = await repository.subscription_of(session, caller.client_id, subscription_id)
    if subscription is None:
        raise SubscriptionNotFound("订阅不存在", "no such subscription")
    return subscription


async def list_subscriptions(session: AsyncSession, caller: Principal) -> list[SubscriptionRead]:
    """The caller's subscriptions."""
    return [read(s) for s in await repository.subscriptions_of(session, caller.client_id)]


async def unsubscribe(
    session: AsyncSession,
    caller: Principal,
    subscription_id: uuid.UUID,
    *,
    audit_context: AuditContext,
) -> None:
    """End a subscription: no further deliveries (its log stays, for the record)."""
    subscription = await _owned(session, caller, subscription_id)
    subscription.state, subscription.updated_at = "deleted", utcnow()
    await session.flush()
    await _audit(session, audit_context, caller, "webhooks.unsubscribed", str(subscription.id))


async def rotate_secret(
    session: AsyncSession,
    settings: Settings,
    caller: Principal,
    subscription_id: uuid.UUID,
    *,
    audit_context: AuditContext,
) -> SecretRotated:
    """A new secret, shown once; the old one signs beside it until the overlap ends."""
    subscription = await _owned(session, caller, subscription_id)
    now = utcnow()
    until = now + timedelta(seconds=settings.webhook_secret_overlap_seconds)
    secret = signing.new_secret()
    subscription.previous_secret = subscription.secret
    subscription.previous_secret_until = until
    subscription.secret = secret
    subscription.updated_at = now
    await session.flush()
    await _audit(session, audit_context, caller, "webhooks.secret_rotated", str(subscription.id))
    return SecretRotated(secret=secret, previous_until=until)


def _cursor(cursor: str | None) -> uuid.UUID | None:
    if not cursor:
        return None
    try:
        (value,) = pagination.decode_cursor(cursor, arity=1)
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidCursor("分页游标无效", "the cursor is not valid for this list") from exc


async def list_deliveries(
    session: AsyncSession, caller: Principal, *, state: str | None, cursor: str | None, limit: int
) -> Page[DeliveryRead]:
    """The caller's delivery log, newest first: every attempt with status code and latency."""
    rows = await repository.deliveries_of(
        session, caller.client_id, state=state, before_id=_cursor(cursor), limit=limit + 1
    )
    page = rows[:limit]
    attempts = await repository.attempts_of(session, [d.id for d, _ in page])
    items = [_delivery_read(d, event.type, attempts[d.id]) for d, event in page]
    next_cursor = pagination.encode_cursor([str(items[-1].id)]) if len(rows) > limit else None
    return Page[DeliveryRead](items=items, next_cursor=next_cursor)


async def retry_delivery(
    session: AsyncSession,
    caller: Principal,
    delivery_id: uuid.UUID,
    *,
    audit_context: AuditContext,
) -> DeliveryRead:
    """Give a dead delivery a new attempt now (its subscription must be active)."""
    found = await repository.delivery(session, delivery_id)
    if found is None or found[1].owner != caller.client_id:
        raise DeliveryNotFound("投递记录不存在", "no such delivery")
    delivery, subscription, _ = found
    if subscription.state != "active":
        raise DeliveryNotDead(
            "订阅已停用，请重新订阅后再重试", "the subscription is not active",
            extra={"state": subscription.state},
        )  # fmt: skip
    now = utcnow()
    if not await repository.requeue_dead_delivery(session, delivery_id, now):
        raise DeliveryNotDead(
            f"投递状态为 {delivery.state}", f"the delivery is {delivery.state}",
            extra={"state": delivery.state},
        )  # fmt: skip
    await jobs.enqueue(session, WEBHOOK_JOB, {"delivery_id": str(delivery_id)})
    await audit.record(
        session,
        audit_context.entry(
            actor_type=caller.audit_actor[0], actor_id=caller.audit_actor[1],
            action="webhooks.delivery_retried", subject_type="webhook_delivery",
            subject_id=str(delivery_id),
        ),
    )  # fmt: skip
    return await get_delivery(session, caller, delivery_id)


async def get_delivery(
    session: AsyncSession, caller: Principal, delivery_id: uuid.UUID
) -> DeliveryRead:
    """One delivery of the caller's, as the log shows it."""
    found = await repository.delivery(session, delivery_id)
    if found is None or found[1].owner != caller.client_id:
        raise DeliveryNotFound("投递记录不存在", "no such delivery")
    delivery, _, event = found
    await session.refresh(delivery)
    attempts = await repository.attempts_of(session, [delivery.id])
    return _delivery_read(delivery, event.type, attempts[delivery.id])


def _delivery_read(
    delivery: WebhookDelivery, event_type: str, attempts: list[WebhookAttempt]
) -> DeliveryRead:
    return DeliveryRead(
        id=delivery.id,
        webhook_id=webhook_id(delivery.id),
        subscription_id=delivery.subscription_id,
        event_id=delivery.event_id,
        event_type=event_type,
        state=delivery.state,
        attempts=[AttemptRead.model_validate(a, from_attributes=True) for a in attempts],
        next_attempt_at=delivery.next_attempt_at,
        delivered_at=delivery.delivered_at,
    )


async def failing_endpoints(session: AsyncSession) -> list[FailingEndpointRead]:
    """Every endpoint failing now or disabled for failing (platform admins)."""
    return [
        FailingEndpointRead(
            id=s.id,
            owner=s.owner,
            url=s.url,
            state=s.state,
            consecutive_failures=s.consecutive_failures,
            failing_since=s.failing_since,
            breaker_open_until=s.breaker_open_until,
            disabled_reason=s.disabled_reason,
        )
        for s in await repository.failing_subscriptions(session)
    ]
