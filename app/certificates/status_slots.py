"""Reserving a license's slots in the revocation and suspension status lists.

Slots are chosen at random (app.kit.status_list.allocate_index) so that an index says nothing
about when a license was issued. The open list of a purpose is row-locked while a slot is taken,
so its `allocated` count stays exact and two issuances never pick the same slot; a full list is
left as it is and a new one opened. The (list, index) unique constraints are the last guard.
"""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates import repository
from app.certificates.models import StatusList, StatusPurpose
from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.kit.status_list import DEFAULT_SIZE, StatusListFull, allocate_index

# Random probes checked one by one before reading the list's taken slots in bulk: with a list
# less than half full, a probe is free more often than not.
_PROBES = 16


async def reserve(session: AsyncSession, purpose: StatusPurpose) -> tuple[uuid.UUID, int]:
    """A free slot (list id, index) in the open status list of `purpose`."""
    while True:
        status_list = await repository.open_status_list(session, purpose.value)
        if status_list is None:
            status_list = await _open_new(session, purpose)
        try:
            index = await _free_index(session, purpose, status_list)
        except StatusListFull:
            # `allocated` lagged behind the slots held: the list is full after all.
            status_list.allocated = status_list.size
            await session.flush()
            continue
        status_list.allocated += 1
        return status_list.id, index


async def _free_index(
    session: AsyncSession, purpose: StatusPurpose, status_list: StatusList
) -> int:
    for _ in range(_PROBES):
        candidate = allocate_index((), status_list.size)
        if not await repository.status_slot_taken(
            session, purpose.value, status_list.id, candidate
        ):
            return candidate
    taken = await repository.status_slots_taken(session, purpose.value, status_list.id)
    return allocate_index(taken, status_list.size)


async def _open_new(session: AsyncSession, purpose: StatusPurpose) -> StatusList:
    status_list = StatusList(
        id=new_id(), purpose=purpose.value, size=DEFAULT_SIZE, allocated=0, created_at=utcnow()
    )
    session.add(status_list)
    await session.flush()
    return status_list
