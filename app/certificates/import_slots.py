"""Status-list slots for a whole import batch, picked at random from the free ones in memory.

`status_slots.reserve` probes the database slot by slot; a batch of thousands instead reads a
list's held slots once, shuffles the free ones and takes from the end. The open list is locked
for the batch as `reserve` locks it, and `allocated` is set to the exact number of slots held.
The shuffled free slots are kept for the next batch as long as the list's `allocated` is still
what this import left it at, which means nobody else took a slot in between.
"""

from __future__ import annotations

import random
import secrets
import uuid
from itertools import repeat

from sqlalchemy.ext.asyncio import AsyncConnection

from app.certificates import bulk
from app.kit.status_list import DEFAULT_SIZE

Slot = tuple[uuid.UUID, int]


class SlotPool:
    """The free slots of the open status list of one purpose, as this import last saw them."""

    def __init__(self, purpose: str) -> None:
        self.purpose = purpose
        self._list: bulk.OpenList | None = None
        self._free: list[int] = []

    def forget(self) -> None:
        """Drop what is known (after a rolled-back batch, whose slots were never taken)."""
        self._list, self._free = None, []

    async def take(self, connection: AsyncConnection, count: int) -> list[Slot]:
        """`count` free slots, opening new lists as the open one fills up."""
        slots: list[Slot] = []
        while len(slots) < count:
            current = await bulk.open_status_list(connection, self.purpose)
            if current is None:
                current = await bulk.open_new_status_list(connection, self.purpose, DEFAULT_SIZE)
                self._load(current, set())
            elif current != self._list:
                # Another issuance took slots since, or this is the first batch: read afresh.
                taken = await bulk.status_slots_taken(connection, self.purpose, current.id)
                self._load(current, taken)
            want = count - len(slots)
            picked = self._free[-want:]
            del self._free[-want:]
            slots.extend(zip(repeat(current.id), picked))
            held = current.size - len(self._free)
            await bulk.set_allocated(connection, current.id, held)
            self._list = current._replace(allocated=held)
        return slots

    def _load(self, status_list: bulk.OpenList, taken: set[int]) -> None:
        # A Mersenne Twister seeded from the system's entropy, once per list: the order only
        # has to say nothing about issuance order, and a system-random draw per slot would
        # cost more than the rest of the slot handling together.
        rng = random.Random(secrets.randbits(256))  # noqa: S311
        free = [index for index in range(status_list.size) if index not in taken]
        rng.shuffle(free)
        self._list, self._free = status_list, free
