"""The paper copy of a renewal, sent by courier (EMS), and the courier's reports on it.

Asked for on accepting: the shipment (recipient from verified data — the representative's
name and phone from their real-name account, the address from market regulation's register)
and the job that orders it are written in the accepting transaction (outbox). The job places
the order through the courier adapter, idempotent per shipment, and notes the tracking number
in the case's timeline. The courier reports each status by a webhook signed with the secret it
shares with the platform (QE_COURIER_WEBHOOK_SECRETS): refused unless the signature matches and
its timestamp is within five minutes; recorded once per `webhook-id` (a replay or a re-send
lands once); each new status is a step of the case's timeline.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.adapters import courier as couriers
from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.config import API_V1, Settings
from app.jobs import service as jobs
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.proactive.offers import repository
from app.proactive.offers.errors import (
    CourierSignatureInvalid,
    CourierUnknown,
    InvalidCourierEvent,
    ShipmentNotFound,
)
from app.proactive.offers.models import CourierEvent, CourierShipment
from app.services.applications import service as applications

COURIER = "ems"
ORDER_JOB = "offers.courier_order"
ACTOR = "courier"
TOLERANCE_SECONDS = 300
STATUS_TEXTS = {
    "ordering": "下单中",
    "accepted": "已下单",
    "picked_up": "已揽收",
    "in_transit": "运输中",
    "out_for_delivery": "派送中",
    "delivered": "已签收",
}


def callback_url(settings: Settings, department: str) -> str:
    """Where a courier reports to."""
    return f"{settings.issuer_url}{API_V1}/callbacks/couriers/{department}"


async def request_paper_copy(
    session: AsyncSession,
    *,
    offer_id: uuid.UUID,
    application_id: uuid.UUID,
    recipient: dict[str, str],
) -> CourierShipment:
    """Record the shipment and queue its order, in the accepting transaction."""
    now = utcnow()
    shipment = CourierShipment(
        id=new_id(), offer_id=offer_id, application_id=application_id, department=COURIER,
        recipient=recipient, tracking_no=None, status="ordering", created_at=now, updated_at=now,
    )  # fmt: skip
    await repository.add_shipment(session, shipment)
    await jobs.enqueue(session, ORDER_JOB, {"shipment_id": str(shipment.id)})
    await applications.note_case(
        session, application_id, "已申请邮寄纸质证照（EMS），下单中", actor_id=ACTOR
    )
    return shipment


async def place(session: AsyncSession, settings: Settings, shipment_id: uuid.UUID) -> None:
    """Order a shipment from the courier (the job's work; idempotent: an ordered one is left,
    and the courier answers a repeated reference with the same tracking number)."""
    shipment = await repository.shipment(session, shipment_id)
    if shipment is None or shipment.tracking_no is not None:
        return
    recipient = shipment.recipient
    tracking_no = await couriers.place_order(
        shipment.department,
        couriers.DeliveryOrder(
            reference=f"shipment:{shipment.id}", name=recipient["name"],
            phone=recipient["phone"], address=recipient["address"],
            item="换发的电子证照纸质件", callback_url=callback_url(settings, shipment.department),
        ),
        case_id=str(shipment.application_id),
    )  # fmt: skip
    shipment.tracking_no, shipment.status, shipment.updated_at = tracking_no, "accepted", utcnow()
    await applications.note_case(
        session, shipment.application_id,
        f"纸质证照已交 EMS 寄递，运单号 {tracking_no}", actor_id=ACTOR,
    )  # fmt: skip


def _secret(settings: Settings, department: str) -> bytes:
    secret = settings.courier_webhook_secrets.get(department)
    if secret is None:
        raise CourierUnknown(f"未登记的快递部门 {department}", f"no courier {department!r}")
    return secret.get_secret_value().encode()


def verify(settings: Settings, department: str, headers: dict[str, str], body: bytes) -> str:
    """Check a courier's webhook: the signature under the department's secret and a fresh
    timestamp; its `webhook-id`. CourierSignatureInvalid (401) otherwise."""
    key = _secret(settings, department)
    webhook_id = headers.get("webhook-id", "")
    stamp = headers.get("webhook-timestamp", "")
    if not webhook_id or len(webhook_id) > 120 or not stamp.isdigit():
        raise CourierSignatureInvalid("缺少签名信息", "the webhook headers are missing")
    if abs(time.time() - int(stamp)) > TOLERANCE_SECONDS:
        raise CourierSignatureInvalid("回调时间戳已过期", "the webhook timestamp is stale")
    content = f"{webhook_id}.{stamp}.".encode() + body
    expected = base64.b64encode(hmac.new(key, content, hashlib.sha256).digest()).decode()
    offered = [part.partition(",")[2] for part in headers.get("webhook-signature", "").split()]
    if not any(hmac.compare_digest(expected, candidate) for candidate in offered):
        raise CourierSignatureInvalid("回调签名不匹配", "the webhook signature does not match")
    return webhook_id


def _event(body: bytes) -> tuple[str, str]:
    try:
        event: Any = json.loads(body)
    except ValueError as exc:
        raise InvalidCourierEvent("回调内容不是 JSON", "the body is not JSON") from exc
    tracking_no = event.get("tracking_no") if isinstance(event, dict) else None
    status = event.get("status") if isinstance(event, dict) else None
    if not isinstance(tracking_no, str) or status not in STATUS_TEXTS or status == "ordering":
        raise InvalidCourierEvent("回调缺少运单号或状态无效", "tracking_no or status is invalid")
    return tracking_no, str(status)


async def receive(
    session: AsyncSession,
    settings: Settings,
    department: str,
    headers: dict[str, str],
    body: bytes,
    *,
    audit_context: AuditContext,
) -> bool:
    """Take a courier's signed status webhook; False when it was taken before (a replay)."""
    webhook_id = verify(settings, department, headers, body)
    tracking_no, status = _event(body)
    shipment = await repository.shipment_by_tracking(session, department, tracking_no)
    if shipment is None:
        raise ShipmentNotFound("未找到该运单", "no such shipment")
    event = CourierEvent(
        webhook_id=f"{department}:{webhook_id}", department=department, shipment_id=shipment.id,
        status=status, received_at=utcnow(),
    )  # fmt: skip
    if not await repository.add_event(session, event):
        return False
    if status != shipment.status:
        shipment.status, shipment.updated_at = status, utcnow()
        await applications.note_case(
            session, shipment.application_id,
            f"EMS 运单 {tracking_no}：{STATUS_TEXTS[status]}", actor_id=ACTOR,
        )  # fmt: skip
    await audit.record(
        session,
        audit_context.entry(
            actor_type="system", actor_id=f"courier:{department}", action="shipment.status",
            subject_type="courier_shipment", subject_id=str(shipment.id),
            after={"status": status, "tracking_no": tracking_no},
        ),
    )  # fmt: skip
    return True
