"""Rate limits counted in each process and added up across processes in batches.

For the busiest public routes (license verification), where one Redis round trip or one
database upsert per request would cost more than the work it limits. Same windows as
`ratelimit.Limit` (aligned to the clock), same counters (`qe:rl:<limit>:<key>:<window>` in
Redis, else rows of `rate_limit_counters`), but not one round trip per hit.

How it counts. For each limit, key and window a process keeps `shared`, the count across all
processes as of its last sync, and its `local` hits: admitted since, and not yet added to the
shared count. A hit is refused once shared + local reaches the limit; it is admitted while its
key's local hits are fewer than the key's batch (a twentieth of the limit, at least 1); at the
batch it waits for a sync first. A sync adds every key's local hits to the shared counters in
one round trip (a Redis MULTI of INCRBY and EXPIRE per key, or one database transaction of
upserts) and reads the totals back: every `SYNC_SECONDS` while the process holds counts, and at
once for a key at its batch. Refused hits are not counted: past the limit a key stays refused
until its window ends, whatever they would add.

The bound. In one process the limit is exact. Across P processes the shared count only grows:
the sync that carries it to the limit carries at most a batch, and after it every process admits
at most a batch more (its local hits never exceed one) before its own next sync reads a count at
the limit. So a window admits at most limit − 1 + (P + 1) × batch hits: 60 a minute on two
processes (batch 3) at most 68; a limit under 40 (batch 1) at most limit + P.

When the counters cannot be reached. Redis unreachable: the database holds the counters (as
`ratelimit.RedisBackend` does). Both unreachable: each process counts alone, holding the whole
limit by itself (so at most P × limit a window across P processes) with no batch to wait for,
and retries every `SYNC_SECONDS`; what it counted meanwhile is added when a sync succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from redis.asyncio import Redis
from redis.exceptions import RedisError
from sqlalchemy.exc import SQLAlchemyError

from app.auth import ratelimit_repository
from app.auth.ratelimit import Limit, Verdict, redis_client
from app.config import Settings
from app.db import Database
from app.kit.clock import utcnow

logger = logging.getLogger("qingeban.auth")

SYNC_SECONDS = 0.2
# A key's batch is this fraction of its limit (at least 1 hit).
BATCH_DIVISOR = 20
_KEY_PREFIX = "qe:rl:"
# One sync in this many also deletes the expired counter rows (the database store).
_PRUNE_ONE_IN = 200


@dataclass(frozen=True, slots=True)
class Addition:
    """Hits to add to one shared counter, and when its window ends."""

    hits: int
    ttl_seconds: int
    expires_at: datetime


class CounterStore(Protocol):
    async def add(self, additions: Mapping[str, Addition]) -> dict[str, int]:
        """Add the hits to their counters, all in one round trip; each counter's total."""


class DatabaseCounters:
    """Counters in `rate_limit_counters`, in a transaction of their own."""

    def __init__(self, database: Database) -> None:
        self.database = database

    async def add(self, additions: Mapping[str, Addition]) -> dict[str, int]:
        totals: dict[str, int] = {}
        async with self.database.session() as session:
            # In one order in every process: two syncs never wait for each other's rows.
            for key in sorted(additions):
                addition = additions[key]
                totals[key] = await ratelimit_repository.increment_counter(
                    session, key, addition.expires_at, by=addition.hits
                )
            # Not security-relevant randomness: it only spreads the clean-up over syncs.
            if random.randrange(_PRUNE_ONE_IN) == 0:  # noqa: S311
                await ratelimit_repository.delete_expired_counters(session, utcnow())
        return totals


class RedisCounters:
    """Counters in Redis, falling back to the database when unreachable."""

    def __init__(self, client: Redis, fallback: DatabaseCounters) -> None:
        self.client = client
        self.fallback = fallback

    async def add(self, additions: Mapping[str, Addition]) -> dict[str, int]:
        keys = list(additions)
        try:
            # MULTI: a counter is never left without its expiry by a process dying in between.
            async with self.client.pipeline(transaction=True) as pipe:
                for key in keys:
                    pipe.incrby(_KEY_PREFIX + key, additions[key].hits)
                    pipe.expire(_KEY_PREFIX + key, additions[key].ttl_seconds)
                results = await pipe.execute()
        except (RedisError, OSError):
            logger.warning("redis unreachable; batched rate limits fall back to the database")
            return await self.fallback.add(additions)
        return {key: int(results[2 * index]) for index, key in enumerate(keys)}


@dataclass(slots=True)
class _Count:
    limit: int
    window_end: float
    shared: int = 0  # across processes, as of the last sync
    pending: int = 0  # admitted here, not sent yet
    sending: int = 0  # admitted here, in the sync in flight

    @property
    def local(self) -> int:
        return self.pending + self.sending


class BatchedLimiter:
    """Aligned-window limits counted in this process, synced with the store in batches."""

    def __init__(self, store: CounterStore, *, sync_seconds: float = SYNC_SECONDS) -> None:
        self.store = store
        self.sync_seconds = sync_seconds
        self._counts: dict[str, _Count] = {}
        self._lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        self._alone_until = 0.0  # monotonic: the store failed, count alone until then

    async def hit(self, limit: Limit, key: str) -> Verdict:
        """Count one hit of `key` against `limit`: refused past it, and when its window ends."""
        if limit.anchored:
            raise ValueError("batched limits have aligned windows; use ratelimit.RateLimiter")
        now = utcnow().timestamp()
        window = int(now // limit.window_seconds)
        window_end = float((window + 1) * limit.window_seconds)
        retry_after = max(1, int(window_end - now) + 1)
        name = f"{limit.name}:{key}:{window}"
        count = self._counts.get(name)
        if count is None:
            count = self._counts[name] = _Count(limit.hits, window_end)
        batch = max(1, limit.hits // BATCH_DIVISOR)
        while True:
            if count.shared + count.local >= limit.hits:
                return Verdict(allowed=False, retry_after=retry_after)
            if count.local < batch or time.monotonic() < self._alone_until:
                count.pending += 1
                self._keep_syncing()
                return Verdict(allowed=True, retry_after=retry_after)
            await self.sync()

    async def sync(self) -> None:
        """Add the hits counted here to the shared counters now, and read their totals."""
        async with self._lock:
            await self._send()

    async def close(self) -> None:
        """Stop syncing in the background, and add what is left (a process stopping)."""
        if self._ticker is not None:
            # Not in the middle of a sync: cancelled there, its hits may have landed or not,
            # and the final sync below would send them again (the counter would run ahead
            # of what was admitted). Under the lock it is asleep, or waiting for the lock.
            async with self._lock:
                self._ticker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._ticker
            self._ticker = None
        await self.sync()

    def _keep_syncing(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = asyncio.get_running_loop().create_task(self._tick())

    async def _tick(self) -> None:
        # Runs while the process holds counts: until the last window with hits has ended.
        while self._counts:
            await asyncio.sleep(self.sync_seconds)
            await self.sync()

    async def _send(self) -> None:
        now = utcnow().timestamp()
        sending: dict[str, _Count] = {}
        for name, count in list(self._counts.items()):
            if count.pending:
                count.sending, count.pending = count.pending, 0
                sending[name] = count
            elif count.window_end <= now:
                del self._counts[name]
        if not sending:
            return
        additions = {
            name: Addition(
                hits=count.sending,
                ttl_seconds=max(1, int(count.window_end - now) + 1),
                expires_at=datetime.fromtimestamp(count.window_end, UTC),
            )
            for name, count in sending.items()
        }
        try:
            totals = await self.store.add(additions)
        except (SQLAlchemyError, OSError, RedisError):
            logger.warning("rate-limit counters unreachable; each process counts alone")
            _unsent(sending)
            self._alone_until = time.monotonic() + self.sync_seconds
            return
        except BaseException:
            # Cancelled (the process stopping): the hits are sent again by the next sync.
            _unsent(sending)
            raise
        self._alone_until = 0.0
        for name, count in sending.items():
            count.shared, count.sending = max(count.shared, totals[name]), 0


def _unsent(counts: Mapping[str, _Count]) -> None:
    for count in counts.values():
        count.pending, count.sending = count.pending + count.sending, 0


def batched_limiter(database: Database, settings: Settings) -> BatchedLimiter:
    """A process's batched limiter: counters in Redis when QE_REDIS_URL is set, else the
    database. Built inside the process's event loop (its Redis client belongs to it)."""
    database_counters = DatabaseCounters(database)
    store: CounterStore = database_counters
    if settings.redis_url:
        store = RedisCounters(redis_client(settings.redis_url), database_counters)
    return BatchedLimiter(store)
