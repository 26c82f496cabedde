"""What the offers API reads and takes."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

OfferStatus = Literal["open", "accepted", "declined", "ineligible", "expired"]


class OfferReason(BaseModel):
    """A criterion of the renewal ruleset the data did not meet."""

    id: str
    title: str
    result: Literal["failed", "unknown"]


class OfferCommitment(BaseModel):
    """What accepting promises (告知承诺): checked later against the department's records."""

    field: str
    text: str


class OfferService(BaseModel):
    """The renewal service: the one that decides an accepted offer, and the one to apply for
    when there is no offer."""

    code: str = Field(examples=["wjw.hygiene-permit.renew"])
    link: str = Field(examples=["/api/v1/services/wjw.hygiene-permit.renew"])


class OfferDelivery(BaseModel):
    """The paper copy's shipment: the courier, its tracking number once ordered, its status."""

    courier: str = Field(examples=["ems"])
    tracking_no: str | None
    status: Literal[
        "ordering", "accepted", "picked_up", "in_transit", "out_for_delivery", "delivered"
    ]


class OfferRead(BaseModel):
    """An offer to renew a license before it expires (无感审批), or why there is none."""

    id: uuid.UUID
    status: OfferStatus
    license_no: str
    license_type: str = Field(examples=["hygiene-permit"])
    holder_uscc: str
    expires_on: date = Field(description="The license's last day; an open offer lapses after it")
    service: OfferService
    message: str = Field(
        description="What the offer is, or why there is none, in the reader's language"
    )
    reasons: list[OfferReason] = Field(description="Why there is no offer (status ineligible)")
    commitments: list[OfferCommitment] = Field(description="What accepting promises")
    decline_reason: str | None
    application_id: uuid.UUID | None = Field(description="The renewal case an acceptance filed")
    application_number: str | None
    renewed_license_no: str | None = Field(description="The new license version, once renewed")
    delivery: OfferDelivery | None = Field(description="The paper copy, when one was asked for")
    created_at: datetime
    decided_at: datetime | None


class OfferPage(BaseModel):
    """One page of offers, newest first."""

    items: list[OfferRead]
    next_cursor: str | None


class OfferAccept(BaseModel):
    """Accepting an offer: one tap; a paper copy by courier on request, to the enterprise's
    registered address."""

    model_config = ConfigDict(extra="forbid")

    paper_copy: bool = Field(default=False, description="Send the renewed license's paper copy")


class OfferDecline(BaseModel):
    """Declining an offer, saying why."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=500, examples=["本店下月停业，不再续证"])


class ScanReport(BaseModel):
    """What one scan did."""

    offered: int
    ineligible: int
    unchanged: int


class CourierAck(BaseModel):
    """The platform took a courier's report (`duplicate`: it had taken it before)."""

    received: bool
    duplicate: bool
