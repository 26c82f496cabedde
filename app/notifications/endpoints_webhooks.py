"""HTTP endpoints of partner webhooks: subscriptions, the delivery log, retries; and the
admins' list of failing endpoints. Callers need the `webhooks` scope (client credentials)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Response, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import AUTH_ERRORS, RequireScopes
from app.auth.principals import Principal
from app.auth.scopes import WEBHOOKS
from app.config import API_V1
from app.dependencies import PlatformAdmin, SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.kit.pagination import Page
from app.notifications import subscriptions
from app.notifications.errors import (
    DeliveryNotDead,
    DeliveryNotFound,
    SubscriptionNotFound,
    UnknownEventType,
    UnsafeWebhookUrl,
)
from app.notifications.schemas import (
    DeliveryRead,
    FailingEndpointRead,
    SecretRotated,
    SubscriptionCreate,
    SubscriptionCreated,
    SubscriptionRead,
)

Subscriber = Annotated[Principal, Depends(RequireScopes(WEBHOOKS))]

router = APIRouter(
    prefix=f"{API_V1}/webhooks", tags=["webhooks"], responses=error_responses(*AUTH_ERRORS)
)
admin_router = APIRouter(
    prefix=f"{API_V1}/admin/webhooks",
    tags=["webhooks"],
    dependencies=[PlatformAdmin],
    responses=error_responses(*AUTH_ERRORS),
)


@router.post(
    "/subscriptions",
    response_model=SubscriptionCreated,
    status_code=status.HTTP_201_CREATED,
    summary="Subscribe an endpoint to events",
    responses=error_responses(UnknownEventType, UnsafeWebhookUrl),
)
async def subscribe(
    body: SubscriptionCreate,
    caller: Subscriber,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> SubscriptionCreated:
    """Deliver events of these types to `url`, signed per Standard Webhooks.

    The answer carries the signing `secret` (`whsec_…`) this once. The URL must be https on a
    public address (http to the loopback address only outside production).
    """
    return await subscriptions.subscribe(session, settings, caller, body, audit_context=audit)


@router.get(
    "/subscriptions",
    response_model=list[SubscriptionRead],
    status_code=status.HTTP_200_OK,
    summary="List my subscriptions",
)
async def list_subscriptions(caller: Subscriber, session: SessionDep) -> list[SubscriptionRead]:
    """The caller's subscriptions, with their state (disabled ones say why)."""
    return await subscriptions.list_subscriptions(session, caller)


@router.delete(
    "/subscriptions/{subscription_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a subscription",
    responses=error_responses(SubscriptionNotFound),
    response_class=Response,
)
async def unsubscribe(
    subscription_id: uuid.UUID, caller: Subscriber, session: SessionDep, audit: AuditContextDep
) -> Response:
    """Stop delivering to the endpoint; 404 for another's subscription."""
    await subscriptions.unsubscribe(session, caller, subscription_id, audit_context=audit)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/subscriptions/{subscription_id}/rotate-secret",
    response_model=SecretRotated,
    status_code=status.HTTP_200_OK,
    summary="Rotate a subscription's secret",
    responses=error_responses(SubscriptionNotFound),
)
async def rotate_secret(
    subscription_id: uuid.UUID,
    caller: Subscriber,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
) -> SecretRotated:
    """A new secret, shown this once; deliveries carry both signatures until `previous_until`."""
    return await subscriptions.rotate_secret(
        session, settings, caller, subscription_id, audit_context=audit
    )


@router.get(
    "/deliveries",
    response_model=Page[DeliveryRead],
    status_code=status.HTTP_200_OK,
    summary="List my deliveries",
    responses=error_responses(InvalidCursor),
)
async def list_deliveries(
    caller: Subscriber,
    session: SessionDep,
    state: Annotated[
        Literal["pending", "delivered", "dead"] | None, Query(description="Only in this state")
    ] = None,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
) -> Page[DeliveryRead]:
    """The delivery log, newest first: each attempt's status code and latency. `state=dead`
    lists the deliveries given up on, which `…/retry` sends again."""
    return await subscriptions.list_deliveries(
        session, caller, state=state, cursor=cursor, limit=limit
    )


@router.post(
    "/deliveries/{delivery_id}/retry",
    response_model=DeliveryRead,
    status_code=status.HTTP_200_OK,
    summary="Retry a dead delivery",
    responses=error_responses(DeliveryNotFound, DeliveryNotDead),
)
async def retry_delivery(
    delivery_id: uuid.UUID, caller: Subscriber, session: SessionDep, audit: AuditContextDep
) -> DeliveryRead:
    """Send a dead delivery again, now, with the same `webhook-id` (409 unless dead)."""
    return await subscriptions.retry_delivery(session, caller, delivery_id, audit_context=audit)


@admin_router.get(
    "/failing",
    response_model=list[FailingEndpointRead],
    status_code=status.HTTP_200_OK,
    summary="List failing webhook endpoints",
)
async def failing_endpoints(session: SessionDep) -> list[FailingEndpointRead]:
    """Endpoints failing now or disabled for failing, worst first. (Platform admins.)"""
    return await subscriptions.failing_endpoints(session)
