"""One attempt of a webhook delivery, and what follows from its outcome.

Runs as a job (app.jobs), inside the transaction that holds the job's row lock, so two workers
never make the same attempt at once. The attempt's line in the delivery log, the delivery's
state, the endpoint's breaker counts and the next attempt's job commit together. A worker
killed after the receiver answered but before that commit leaves the job to be claimed again
once its lease expires: the receiver then gets the delivery a second time, with the same
`webhook-id`, by which it drops the repeat.

After a failure the next attempt waits for the next pause of QE_WEBHOOK_RETRY_SECONDS (some 3
days in all); after the last one the delivery is dead, listed for its owner, who may retry it.
An endpoint failing QE_WEBHOOK_BREAKER_FAILURES times in a row opens its circuit breaker:
attempts wait until it closes rather than knock on a dead door. One that keeps failing long
enough is disabled, audited, and shown as such to its owner.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
import uuid
import weakref
from datetime import datetime, timedelta

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditEntry
from app.config import Settings
from app.jobs import service as jobs
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.kit.masking import redact_text
from app.notifications import events, repository, service, signing, urls
from app.notifications.models import Event, WebhookAttempt, WebhookDelivery, WebhookSubscription
from app.ops.metrics import WEBHOOK_DELIVERIES

logger = logging.getLogger("qingeban.webhooks")

WEBHOOK_JOB = "notifications.webhook"

# One client per event loop (connections are bound to the loop that opened them).
_clients: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, httpx.AsyncClient] = (
    weakref.WeakKeyDictionary()
)


def http_client() -> httpx.AsyncClient:
    """The loop's client for endpoints, keeping connections open between deliveries: no
    redirects followed (one could lead to an address the URL check refused), no proxies from
    the environment."""
    loop = asyncio.get_running_loop()
    client = _clients.get(loop)
    if client is None:
        client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
        _clients[loop] = client
    return client


def webhook_id(delivery_id: uuid.UUID) -> str:
    """The `webhook-id` of every attempt of a delivery."""
    return f"msg_{delivery_id.hex}"


def body_of(event: Event) -> bytes:
    """The JSON body: Standard Webhooks' `type`, `timestamp` and `data`."""
    document = {
        "type": event.type,
        "timestamp": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "data": {"event_id": str(event.id), "subject": event.subject, **event.payload},
    }
    return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def live_secrets(subscription: WebhookSubscription, now: datetime) -> list[str]:
    """The secrets that sign now: the current one, and the previous one during the overlap."""
    found = [subscription.secret]
    until = subscription.previous_secret_until
    if subscription.previous_secret and until is not None and until > now:
        found.append(subscription.previous_secret)
    return found


async def _post(
    settings: Settings, subscription: WebhookSubscription, delivery: WebhookDelivery, body: bytes
) -> tuple[int | None, str | None]:
    try:
        await urls.check(subscription.url, settings)
    except urls.UnsafeUrl as exc:
        return None, f"refused: {exc}"
    now = utcnow()
    signed = signing.headers(
        live_secrets(subscription, now), webhook_id(delivery.id), int(now.timestamp()), body
    )
    try:
        response = await http_client().post(
            subscription.url, content=body, headers=signed, timeout=settings.webhook_timeout_seconds
        )
    except httpx.HTTPError as exc:
        return None, redact_text(f"{type(exc).__name__}: {exc}")[:500]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"HTTP {response.status_code}"


async def attempt(session: AsyncSession, settings: Settings, delivery_id: uuid.UUID) -> str:
    """Make the next attempt of a delivery, if it is due; its outcome."""
    found = await repository.delivery(session, delivery_id)
    if found is None:
        return "gone"
    delivery, subscription, event = found
    if delivery.state != "pending":
        return "settled"
    now = utcnow()
    if subscription.state != "active":
        delivery.state, delivery.next_attempt_at = "dead", None
        await session.flush()
        return "dead"
    if subscription.breaker_open_until is not None and subscription.breaker_open_until > now:
        # Not an attempt: the breaker is open. Come back when it closes.
        delivery.next_attempt_at = subscription.breaker_open_until
        await jobs.enqueue(
            session, WEBHOOK_JOB, {"delivery_id": str(delivery.id)},
            run_after=subscription.breaker_open_until,
        )  # fmt: skip
        await session.flush()
        return "waiting"
    started = time.perf_counter()
    status_code, error = await _post(settings, subscription, delivery, body_of(event))
    latency_ms = round((time.perf_counter() - started) * 1000)
    now = utcnow()
    session.add(
        WebhookAttempt(
            id=new_id(),
            delivery_id=delivery.id,
            attempted_at=now,
            status_code=status_code,
            latency_ms=latency_ms,
            error=error,
        )
    )
    delivery.attempts += 1
    delivery.last_status_code = status_code
    # The endpoint's counts change under its row lock: its deliveries run in parallel.
    locked = await repository.subscription_for_update(
        session, subscription.id, lock=session.get_bind().dialect.name == "postgresql"
    )
    endpoint = locked or subscription
    if error is None:
        delivery.state, delivery.delivered_at, delivery.next_attempt_at = "delivered", now, None
        endpoint.consecutive_failures, endpoint.failing_since = 0, None
        endpoint.breaker_open_until = None
        outcome = "delivered"
    else:
        outcome = await _failed(session, settings, delivery, endpoint, now)
    endpoint.updated_at = now
    await session.flush()
    WEBHOOK_DELIVERIES.labels(outcome).inc()
    logger.info(
        "webhook %s", outcome,
        extra={"delivery_id": str(delivery.id), "status_code": status_code,
               "latency_ms": latency_ms},
    )  # fmt: skip
    return outcome


async def _failed(
    session: AsyncSession,
    settings: Settings,
    delivery: WebhookDelivery,
    endpoint: WebhookSubscription,
    now: datetime,
) -> str:
    endpoint.consecutive_failures += 1
    endpoint.failing_since = endpoint.failing_since or now
    if endpoint.consecutive_failures >= settings.webhook_breaker_failures:
        endpoint.breaker_open_until = now + timedelta(seconds=settings.webhook_breaker_seconds)
    failing_for = (now - endpoint.failing_since).total_seconds()
    if (
        endpoint.consecutive_failures >= settings.webhook_disable_failures
        and failing_for >= settings.webhook_disable_after_seconds
    ):
        await disable(session, endpoint, now, reason="repeated delivery failures")
    schedule = settings.webhook_retry_seconds
    if delivery.attempts > len(schedule) or endpoint.state != "active":
        delivery.state, delivery.next_attempt_at = "dead", None
        return "dead"
    next_at = now + timedelta(seconds=schedule[delivery.attempts - 1])
    if endpoint.breaker_open_until is not None and endpoint.breaker_open_until > next_at:
        next_at = endpoint.breaker_open_until
    delivery.next_attempt_at = next_at
    await jobs.enqueue(session, WEBHOOK_JOB, {"delivery_id": str(delivery.id)}, run_after=next_at)
    return "failed"


async def disable(
    session: AsyncSession, endpoint: WebhookSubscription, now: datetime, *, reason: str
) -> None:
    """Stop delivering to an endpoint; its owner sees why on the subscription, is told by a
    `webhook.endpoint_disabled` event on its other endpoints, and the audit keeps it."""
    endpoint.state, endpoint.disabled_reason, endpoint.updated_at = "disabled", reason, now
    await session.flush()
    await audit.record(
        session,
        AuditEntry(
            actor_type="system",
            actor_id="webhooks",
            action="webhooks.subscription_disabled",
            subject_type="webhook_subscription",
            subject_id=str(endpoint.id),
            after={"state": "disabled", "reason": reason, "owner": endpoint.owner},
        ),
    )
    # The owner is told through its other endpoints that listen for it (a partner's alerting
    # hook), in this transaction like any event.
    await service.publish(
        session, events.WEBHOOK_ENDPOINT_DISABLED, subject=f"webhook-subscription/{endpoint.id}",
        payload={"subscription_id": str(endpoint.id), "reason": reason,
                 "disabled_at": now.isoformat()},
        client=endpoint.owner,
    )  # fmt: skip
    logger.warning("webhook endpoint disabled", extra={"subscription_id": str(endpoint.id)})
