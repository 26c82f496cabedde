"""Driver connections parked between uses: the hottest look-ups skip the pool's checkout.

Each license verification, introspection and bearer request reads one row through asyncpg on
a connection of the engine's pool (app.db.pooled_driver_connection). Checking one out of
SQLAlchemy's pool and back in cost more CPU than the statement itself (a greenlet, the pool's
records and events: about 35 µs against 20 for `SELECT 1`). So a process keeps a couple of
them checked out between uses, still counted by the pool, and lends them again.

A parked connection is one the pool could have lent to a session, so parking never stands in
the pool's way: a connection is parked only while the pool has another one free; the parked
ones go back as soon as the pool lends its last free one (someone may wait next), and after
`PARKED_SECONDS` unused; a connection is parked only outside a transaction and never after
an error that may have left it in doubt (the caller invalidates those). Disposing of the
engine returns them first.
"""

from __future__ import annotations

import asyncio
import time
import weakref
from typing import Any
from weakref import WeakKeyDictionary

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import QueuePool

# Enough for two requests' look-ups at once; each is a connection sessions cannot have.
PARKED_MAX = 2
# Parking pays off between requests that follow one another closely; a connection unused for
# this long goes back to the pool (where its recycling applies).
PARKED_SECONDS = 1.0


class _Lot:
    """One engine's parked connections."""

    def __init__(self, engine: Engine) -> None:
        self.engine = weakref.ref(engine)  # the lot is kept by the engine, not the reverse
        self.connections: list[tuple[float, Any]] = []
        self.sweep: asyncio.TimerHandle | None = None
        # Pool events on the engine survive its pool being recreated (dispose).
        event.listen(engine, "checkout", self._lent)

    def _lent(self, *_: Any) -> None:
        """The pool lent a connection: if that was its last free one, the parked ones go
        back (soon, not from inside the pool's own checkout)."""
        engine = self.engine()
        if engine is None or not self.connections:
            return
        pool = engine.pool
        if isinstance(pool, QueuePool) and pool.checkedout() >= pool.size():
            asyncio.get_running_loop().call_soon(self.return_all)

    def return_idle(self) -> None:
        self.sweep = None
        stale = time.monotonic() - PARKED_SECONDS
        for since, pooled in [parked for parked in self.connections if parked[0] <= stale]:
            self.connections.remove((since, pooled))
            pooled.close()
        if self.connections:
            self._sweep_later()

    def return_all(self) -> None:
        connections, self.connections = self.connections, []
        for _, pooled in connections:
            pooled.close()

    def _sweep_later(self) -> None:
        if self.sweep is None:
            loop = asyncio.get_running_loop()
            self.sweep = loop.call_later(PARKED_SECONDS, self.return_idle)

    def park(self, pooled: Any) -> None:
        self.connections.append((time.monotonic(), pooled))
        self._sweep_later()


_lots: WeakKeyDictionary[Engine, _Lot] = WeakKeyDictionary()


async def take(engine: AsyncEngine) -> Any:
    """A pooled connection (SQLAlchemy's pool record, with `.driver_connection`): a parked
    one if there is one, else one checked out of the pool."""
    lot = _lots.get(engine.sync_engine)
    if lot is not None and lot.connections:
        return lot.connections.pop()[1]
    return await engine.raw_connection()


def give_back(engine: AsyncEngine, pooled: Any) -> None:
    """Park a connection its user finished with cleanly, or return it to the pool."""
    sync_engine = engine.sync_engine
    pool = sync_engine.pool
    lot = _lots.get(sync_engine)
    if (
        isinstance(pool, QueuePool)
        and (lot is None or len(lot.connections) < PARKED_MAX)
        # Another one free: no one is waiting on the pool for this one.
        and pool.checkedout() < pool.size()
        and not pooled.driver_connection.is_in_transaction()
    ):
        if lot is None:
            lot = _lots[sync_engine] = _Lot(sync_engine)
        lot.park(pooled)
        return
    pooled.close()


def return_all(engine: AsyncEngine) -> None:
    """Return every parked connection to the pool (before the engine is disposed of)."""
    lot = _lots.get(engine.sync_engine)
    if lot is not None:
        if lot.sweep is not None:
            lot.sweep.cancel()
            lot.sweep = None
        lot.return_all()
