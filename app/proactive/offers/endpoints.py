"""HTTP endpoints of the renewal offers (`/api/v1/me/offers`)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import CITIZEN_AUTH_ERRORS
from app.auth.errors import RoleRequired
from app.config import API_V1
from app.dependencies import SessionDep, SettingsDep
from app.errors import InvalidCursor, error_responses
from app.proactive.offers import courier, service
from app.proactive.offers.dependencies import CurrentOfferHolder
from app.proactive.offers.errors import (
    CourierSignatureInvalid,
    CourierUnknown,
    InvalidCourierEvent,
    OfferAccepted,
    OfferDeclined,
    OfferExpired,
    OfferNotEligible,
    OfferNotFound,
    PaperCopyUnavailable,
    ShipmentNotFound,
)
from app.proactive.offers.schemas import (
    CourierAck,
    OfferAccept,
    OfferDecline,
    OfferPage,
    OfferRead,
)
from app.services.applications.errors import OpenCaseExists

router = APIRouter(
    prefix=f"{API_V1}/me/offers",
    tags=["offers"],
    responses=error_responses(*CITIZEN_AUTH_ERRORS, RoleRequired),
)
# Couriers report here: no bearer token, a signature under the secret shared with each.
callbacks_router = APIRouter(prefix=f"{API_V1}/callbacks/couriers", tags=["offers"])
_SETTLED = (OfferNotFound, OfferExpired, OfferDeclined, OfferAccepted, OfferNotEligible)


@router.get(
    "",
    response_model=OfferPage,
    status_code=status.HTTP_200_OK,
    summary="List my renewal offers",
    responses=error_responses(InvalidCursor),
)
async def list_offers(
    holder: CurrentOfferHolder,
    session: SessionDep,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
) -> OfferPage:
    """The renewals the platform offers me before my licenses expire (无感审批), and those it
    could not offer with the reasons and the service to apply for; newest first."""
    return await service.list_mine(
        session, holder.account_id, cursor=cursor, limit=limit, english=holder.english
    )


@router.post(
    "/{offer_id}/accept",
    response_model=OfferRead,
    status_code=status.HTTP_200_OK,
    summary="Accept a renewal offer",
    responses=error_responses(*_SETTLED, OpenCaseExists, PaperCopyUnavailable),
)
async def accept_offer(
    offer_id: uuid.UUID,
    holder: CurrentOfferHolder,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
    body: OfferAccept | None = None,
) -> OfferRead:
    """One tap: the renewal case is filed and decided by the renewal ruleset at once; approved,
    the new license version is in the wallet and the old one superseded. An offer is accepted
    once however the taps race (409 for the second); 409 once declined or expired with the
    license; 404 for another's."""
    return await service.accept(
        session, settings, holder.account_id, offer_id,
        paper_copy=body.paper_copy if body is not None else False,
        english=holder.english, audit_context=audit,
    )  # fmt: skip


@router.post(
    "/{offer_id}/decline",
    response_model=OfferRead,
    status_code=status.HTTP_200_OK,
    summary="Decline a renewal offer",
    responses=error_responses(*_SETTLED),
)
async def decline_offer(
    offer_id: uuid.UUID,
    body: OfferDecline,
    holder: CurrentOfferHolder,
    session: SessionDep,
    audit: AuditContextDep,
) -> OfferRead:
    """Decline, saying why; the license stays as it is and the ordinary service stays open."""
    return await service.decline(
        session, holder.account_id, offer_id, body.reason, english=holder.english,
        audit_context=audit,
    )  # fmt: skip


@callbacks_router.post(
    "/{department}",
    response_model=CourierAck,
    status_code=status.HTTP_200_OK,
    summary="Take a courier's shipment status webhook",
    responses=error_responses(
        CourierSignatureInvalid, CourierUnknown, ShipmentNotFound, InvalidCourierEvent
    ),
)
async def courier_webhook(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    audit: AuditContextDep,
    department: Annotated[str, Path(max_length=32, pattern="^[a-z][a-z0-9-]*$")],
) -> CourierAck:
    """A courier's report on a paper copy's shipment, signed Standard-Webhooks style
    (`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>` of
    `{id}.{timestamp}.{body}` under the secret shared with the courier). 401 for a bad or stale
    signature; a replayed `webhook-id` is taken once (`duplicate`). The status lands in the
    case's timeline."""
    body = await request.body()
    headers = {k.lower(): v for k, v in request.headers.items()}
    taken = await courier.receive(session, settings, department, headers, body, audit_context=audit)
    return CourierAck(received=True, duplicate=not taken)
