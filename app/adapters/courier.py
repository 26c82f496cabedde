"""Delivery orders to a courier department (EMS): the platform sends a case's paper copy.

Sent from a durable job after the accepting transaction commits; the order is idempotent per
the platform's reference (a retried job gets the same tracking number back), and the courier
reports the shipment's progress by signed webhooks to `callback_url`.
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx

from app.adapters.service import get_exchange

TIMEOUT_SECONDS = 5.0


class OrderFailed(Exception):
    """The courier did not take the order (a fault or a refusal); retry later."""


@dataclass(frozen=True, slots=True)
class DeliveryOrder:
    """What the courier needs: the reference, recipient, item, and where to report."""

    reference: str
    name: str
    phone: str
    address: str
    item: str
    callback_url: str


async def place_order(department: str, order: DeliveryOrder, *, case_id: str) -> str:
    """Place a delivery order with `department`; its tracking number."""
    client = get_exchange().client
    endpoint = client.registry.endpoint(department)
    headers = client.headers(
        endpoint, purpose=f"delivery:{case_id}", end_user="system:courier-orders", case_id=case_id
    )
    headers["Idempotency-Key"] = order.reference
    body = {
        "reference": order.reference,
        "recipient": {"name": order.name, "phone": order.phone, "address": order.address},
        "item": order.item,
        "callback_url": order.callback_url,
    }
    try:
        response = await client.http.post(
            f"{endpoint.base_url}/{department}/orders", json=body, headers=headers,
            timeout=TIMEOUT_SECONDS,
        )  # fmt: skip
    except httpx.HTTPError as exc:
        raise OrderFailed(f"{department}: {type(exc).__name__}") from exc
    if response.status_code != 200:
        raise OrderFailed(f"{department}: HTTP {response.status_code}")
    tracking_no = response.json().get("tracking_no")
    if not isinstance(tracking_no, str) or not tracking_no:
        raise OrderFailed(f"{department}: no tracking number")
    return tracking_no
