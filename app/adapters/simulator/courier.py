"""The simulated courier (an EMS-like department): it takes delivery orders from the platform,
answers with a tracking number, and tells the platform of every change of a shipment by a
signed webhook, as a real courier's push service does.

Orders are idempotent per the platform's reference (a retried order gets the same tracking
number). Status changes happen when the admin API advances a shipment (rehearsals, tests): the
courier then POSTs the event to the order's callback URL, signed Standard-Webhooks style
(`webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64 HMAC-SHA256>` over
`{id}.{timestamp}.{body}`) with the secret it shares with the platform.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

import httpx
from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.adapters.simulator.endpoints_admin import SimulatorError
from app.kit.masking import mask_phone

STAGES = ("accepted", "picked_up", "in_transit", "out_for_delivery", "delivered")
ShipmentStatus = Literal["accepted", "picked_up", "in_transit", "out_for_delivery", "delivered"]
CALLBACK_SECONDS = 5.0


class Recipient(BaseModel):
    """Who the parcel goes to."""

    name: str = Field(min_length=1, max_length=100)
    phone: str = Field(min_length=5, max_length=20)
    address: str = Field(min_length=1, max_length=300)


class OrderRequest(BaseModel):
    """A delivery order: the platform's reference, the recipient, what is sent, and where
    the courier tells the platform of the shipment's progress."""

    reference: str = Field(min_length=1, max_length=120)
    recipient: Recipient
    item: str = Field(min_length=1, max_length=200)
    callback_url: str = Field(min_length=1, max_length=500)


class OrderReceipt(BaseModel):
    """The order as the courier holds it."""

    reference: str
    tracking_no: str
    status: ShipmentStatus
    recipient_phone_masked: str
    accepted_at: datetime


class Advanced(BaseModel):
    """What advancing a shipment did: its new status and whether the platform took the news."""

    tracking_no: str
    status: ShipmentStatus
    webhook_id: str
    callback_status: int | None = Field(description="The platform's HTTP status (None: no answer)")


@dataclass
class _Order:
    request: OrderRequest
    receipt: OrderReceipt


@dataclass
class CourierState:
    """The courier's orders, by reference and by tracking number, and its webhook secret."""

    secret: str
    by_reference: dict[str, _Order] = field(default_factory=dict)
    by_tracking: dict[str, _Order] = field(default_factory=dict)
    serial: int = 0


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    """The `v1,<base64>` signature of a webhook under `secret` (its UTF-8 bytes are the key)."""
    content = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


async def _tell(state: CourierState, order: _Order) -> Advanced:
    receipt = order.receipt
    webhook_id = f"ems_{uuid.uuid4().hex}"
    timestamp = int(time.time())
    body = json.dumps(
        {"type": "shipment.status", "tracking_no": receipt.tracking_no,
         "reference": receipt.reference, "status": receipt.status,
         "at": datetime.now(UTC).isoformat()},
        separators=(",", ":"),
    ).encode()  # fmt: skip
    headers = {
        "content-type": "application/json",
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(state.secret, webhook_id, timestamp, body),
    }
    status: int | None = None
    try:
        async with httpx.AsyncClient(timeout=CALLBACK_SECONDS) as client:
            answer = await client.post(order.request.callback_url, content=body, headers=headers)
        status = answer.status_code
    except httpx.HTTPError:
        status = None
    return Advanced(
        tracking_no=receipt.tracking_no, status=receipt.status, webhook_id=webhook_id,
        callback_status=status,
    )  # fmt: skip


def courier_routes(router: APIRouter, state: CourierState, caller: Any, admin: Any) -> None:
    """Add the courier's routes; `caller` and `admin` are the authenticating dependencies."""

    @router.post("/ems/orders", response_model=OrderReceipt, dependencies=[caller])
    async def place_order(body: OrderRequest) -> OrderReceipt:
        """Take a delivery order; idempotent per reference (the same tracking number)."""
        known = state.by_reference.get(body.reference)
        if known is not None:
            return known.receipt
        state.serial += 1
        receipt = OrderReceipt(
            reference=body.reference, tracking_no=f"11{state.serial:09d}37",
            status="accepted", recipient_phone_masked=mask_phone(body.recipient.phone),
            accepted_at=datetime.now(UTC),
        )  # fmt: skip
        order = _Order(body, receipt)
        state.by_reference[body.reference] = state.by_tracking[receipt.tracking_no] = order
        return receipt

    @router.get("/ems/orders/{tracking_no}", response_model=OrderReceipt, dependencies=[caller])
    async def track(tracking_no: str) -> OrderReceipt:
        """A shipment's status."""
        order = state.by_tracking.get(tracking_no)
        if order is None:
            raise SimulatorError(404, "simulator.shipment_unknown", "No such shipment")
        return order.receipt

    @router.post(
        "/_admin/ems/orders/{tracking_no}/advance", response_model=Advanced, dependencies=[admin]
    )
    async def advance(tracking_no: str) -> Advanced:
        """Move a shipment to its next stage and tell the platform (signed webhook); at the
        last stage, tell it again (a courier's push is at least once)."""
        order = state.by_tracking.get(tracking_no)
        if order is None:
            raise SimulatorError(404, "simulator.shipment_unknown", "No such shipment")
        stage = STAGES.index(order.receipt.status)
        next_status: ShipmentStatus = STAGES[min(stage + 1, len(STAGES) - 1)]  # type: ignore[assignment]
        order.receipt = order.receipt.model_copy(update={"status": next_status})
        return await _tell(state, order)
