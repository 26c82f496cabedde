"""Every query of the offers domain; a citizen's reads are scoped to their account here."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.proactive.offers.models import CourierEvent, CourierShipment, RenewalOffer


async def for_license(
    session: AsyncSession, license_no: str, valid_until: date
) -> RenewalOffer | None:
    """The offer (or finding) of one license version and last day."""
    return (
        await session.execute(
            select(RenewalOffer).where(
                RenewalOffer.license_no == license_no,
                RenewalOffer.license_valid_until == valid_until,
            )
        )
    ).scalar_one_or_none()


async def add(session: AsyncSession, offer: RenewalOffer) -> bool:
    """Insert an offer; False when the scan met another's row for the license (the unique
    constraint decides), in a savepoint so the scan goes on."""
    from sqlalchemy.exc import IntegrityError

    try:
        async with session.begin_nested():
            session.add(offer)
            await session.flush()
    except IntegrityError:
        return False
    return True


async def mine(
    session: AsyncSession, offer_id: uuid.UUID, account_id: uuid.UUID
) -> RenewalOffer | None:
    """One of the account's offers; None for anyone else's."""
    return (
        await session.execute(
            select(RenewalOffer).where(
                RenewalOffer.id == offer_id, RenewalOffer.account_id == account_id
            )
        )
    ).scalar_one_or_none()


async def list_mine(
    session: AsyncSession, account_id: uuid.UUID, *, before: uuid.UUID | None, limit: int
) -> Sequence[RenewalOffer]:
    """The account's offers, newest first."""
    query = select(RenewalOffer).where(RenewalOffer.account_id == account_id)
    if before is not None:
        query = query.where(RenewalOffer.id < before)
    return (
        (await session.execute(query.order_by(RenewalOffer.id.desc()).limit(limit))).scalars().all()
    )


async def settle(
    session: AsyncSession,
    offer_id: uuid.UUID,
    account_id: uuid.UUID,
    *,
    status: str,
    on: date,
    now: datetime,
    values: dict[str, Any] | None = None,
) -> bool:
    """Move an open, unexpired offer of the account to `status` in one conditional update;
    False when it was not open (another request settled it first, however they raced: the
    second waits for the first's row lock and then finds it no longer open)."""
    result = await session.execute(
        update(RenewalOffer)
        .where(
            RenewalOffer.id == offer_id,
            RenewalOffer.account_id == account_id,
            RenewalOffer.status == "open",
            RenewalOffer.license_valid_until >= on,
        )
        .values(status=status, decided_at=now, updated_at=now, **(values or {}))
        .execution_options(synchronize_session=False)
    )
    return bool(getattr(result, "rowcount", 0) == 1)


async def record_case(
    session: AsyncSession,
    offer_id: uuid.UUID,
    *,
    application_id: uuid.UUID,
    number: str,
    renewed_license_no: str | None,
) -> None:
    """Link an accepted offer to the case it filed and the license it produced."""
    await session.execute(
        update(RenewalOffer)
        .where(RenewalOffer.id == offer_id)
        .values(
            application_id=application_id,
            application_number=number,
            renewed_license_no=renewed_license_no,
        )
        .execution_options(synchronize_session=False)
    )


async def refresh(session: AsyncSession, offer: RenewalOffer) -> RenewalOffer:
    """The offer as the database has it now."""
    await session.refresh(offer)
    return offer


async def add_shipment(session: AsyncSession, shipment: CourierShipment) -> None:
    """Stage a shipment (one per offer: the unique constraint refuses a second)."""
    session.add(shipment)
    await session.flush()


async def shipment(session: AsyncSession, shipment_id: uuid.UUID) -> CourierShipment | None:
    """A shipment by id (for the job that orders it)."""
    return await session.get(CourierShipment, shipment_id)


async def shipment_of_offer(session: AsyncSession, offer_id: uuid.UUID) -> CourierShipment | None:
    """The paper copy of an offer, if one was asked for."""
    return (
        await session.execute(select(CourierShipment).where(CourierShipment.offer_id == offer_id))
    ).scalar_one_or_none()


async def shipment_by_tracking(
    session: AsyncSession, department: str, tracking_no: str
) -> CourierShipment | None:
    """A courier's shipment by its tracking number, locked for the status update."""
    return (
        await session.execute(
            select(CourierShipment)
            .where(
                CourierShipment.department == department,
                CourierShipment.tracking_no == tracking_no,
            )
            .with_for_update()
        )
    ).scalar_one_or_none()


async def add_event(session: AsyncSession, event: CourierEvent) -> bool:
    """Record a courier's webhook; False when its id was recorded before (a replay)."""
    from sqlalchemy.exc import IntegrityError

    try:
        async with session.begin_nested():
            session.add(event)
            await session.flush()
    except IntegrityError:
        return False
    return True
