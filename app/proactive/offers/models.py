"""The renewal offers table: one row per license version and last day, the database's say."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Date, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime
from app.kit.ids import new_id
from app.sealing import SealedJSON, SealedText

STATUSES = ("open", "accepted", "declined", "ineligible")


class RenewalOffer(Base):
    """What the daily scan found for one expiring license: an offer to renew it (`open`, then
    `accepted` or `declined`), or why it cannot be offered (`ineligible`). An open offer reads
    as expired once the license's last day has passed.

    One row per license and last day (a unique constraint): however often or concurrently the
    scan runs, a license is offered once per expiry, and an accepted offer renews once.
    """

    __tablename__ = "renewal_offers"
    __table_args__ = (
        UniqueConstraint("license_no", "license_valid_until", name="uq_renewal_offers_license"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        Index("ix_renewal_offers_account_id", "account_id", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    license_no: Mapped[str] = mapped_column(String(128))
    license_valid_until: Mapped[date] = mapped_column(Date)
    license_type: Mapped[str] = mapped_column(String(64))
    service_code: Mapped[str] = mapped_column(String(64))
    holder_uscc: Mapped[str] = mapped_column(String(18))
    # Who may accept: the enterprise's legal representative of record, by account.
    account_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(String(16))
    # The criteria the data did not meet (id, titles, result): why there is no offer.
    reasons: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    ruleset_version: Mapped[int | None] = mapped_column()
    decline_reason: Mapped[str | None] = mapped_column(
        "decline_reason_cipher", SealedText("renewal_offers.decline_reason")
    )
    application_id: Mapped[uuid.UUID | None] = mapped_column()
    application_number: Mapped[str | None] = mapped_column(String(32))
    renewed_license_no: Mapped[str | None] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CourierShipment(Base):
    """The paper copy of a renewal sent by courier: one per offer (a unique constraint), the
    recipient sealed (name, phone and address are personal data), the courier's tracking number
    once it took the order, and the last status it reported."""

    __tablename__ = "courier_shipments"
    __table_args__ = (
        UniqueConstraint("offer_id", name="uq_courier_shipments_offer_id"),
        UniqueConstraint("department", "tracking_no", name="uq_courier_shipments_tracking_no"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    offer_id: Mapped[uuid.UUID] = mapped_column()
    application_id: Mapped[uuid.UUID] = mapped_column()
    department: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[dict[str, Any]] = mapped_column(
        "recipient_cipher", SealedJSON("courier_shipments.recipient")
    )
    tracking_no: Mapped[str | None] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CourierEvent(Base):
    """A status webhook a courier sent, by its `webhook-id`: the primary key makes a replayed
    or re-sent webhook land once."""

    __tablename__ = "courier_events"

    webhook_id: Mapped[str] = mapped_column(String(120), primary_key=True)
    department: Mapped[str] = mapped_column(String(32))
    shipment_id: Mapped[uuid.UUID] = mapped_column()
    status: Mapped[str] = mapped_column(String(32))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
