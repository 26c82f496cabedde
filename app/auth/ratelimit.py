"""Rate limits and lockouts shared by every API process: Redis when configured, else the database.

A limit counts hits per key (a phone's blind index, a client address) in windows of fixed
length. A lockout counts attempts per key until one succeeds, and refuses further attempts for a
while once it has counted its number. Each count and its check are one atomic step (one Redis
script, or one upsert), so parallel requests cannot slip past a limit together: they are counted
before the work they limit, never after.

With the database backend the counter is written in the request's transaction, and the errors
raised when a limit is exceeded keep that transaction's writes, so an attempt counts even though
the request fails. On PostgreSQL the counter's row then stays locked until that transaction ends,
the limited work included: requests with the same key (one login, one client address) take turns.
That is what a lockout needs; for an address many people share it is a queue, which Redis does
not have. If Redis cannot be reached the database takes over, so that limits never silently stop
holding.
"""

from __future__ import annotations

import asyncio
import logging
import random
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from redis.asyncio import Redis
from redis.commands.core import AsyncScript
from redis.exceptions import RedisError
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import ratelimit_repository
from app.config import Settings
from app.kit.clock import utcnow

logger = logging.getLogger("qingeban.auth")

_KEY_PREFIX = "qe:rl:"
# One counter row in this many hits also deletes the expired ones (the database backend).
_PRUNE_ONE_IN = 200


@dataclass(frozen=True, slots=True)
class Limit:
    """At most `hits` per `window_seconds` for each key.

    Windows are aligned to the clock, unless `anchored`: then a key's window starts at its
    first hit, which is what a cooldown needs (one SMS code a minute must not allow two codes a
    second apart across a minute's boundary)."""

    name: str
    hits: int
    window_seconds: int
    anchored: bool = False


@dataclass(frozen=True, slots=True)
class Lockout:
    """At most `attempts` attempts per key until one succeeds; after the last of them, none
    for `seconds`. Attempts more than `seconds` apart are not added up."""

    name: str
    attempts: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Verdict:
    """Whether a hit is within the limit, and when the window ends if it is not."""

    allowed: bool
    retry_after: int


class Backend(Protocol):
    async def increment(
        self, key: str, expires_at: datetime, ttl_seconds: int, *, anchored: bool = False
    ) -> int:
        """Add one hit to `key`'s counter and return the count; an anchored counter that has
        expired starts again at 1 with the new expiry."""

    async def increment_capped(
        self, key: str, cap: int, expires_at: datetime, ttl_seconds: int
    ) -> int:
        """Add one hit to `key`'s counter and return the count; while the count is within
        `cap` the counter's expiry moves on to `expires_at`, after that it stays."""

    async def delete(self, key: str) -> None:
        """Forget `key`'s counter."""


class DatabaseBackend:
    """Counters in `rate_limit_counters`, written in the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def increment(
        self, key: str, expires_at: datetime, ttl_seconds: int, *, anchored: bool = False
    ) -> int:
        if anchored:
            count = await ratelimit_repository.increment_anchored_counter(
                self.session, key, utcnow(), expires_at
            )
        else:
            count = await ratelimit_repository.increment_counter(self.session, key, expires_at)
        # Not security-relevant randomness: it only spreads the clean-up over requests.
        if random.randrange(_PRUNE_ONE_IN) == 0:  # noqa: S311
            await ratelimit_repository.delete_expired_counters(self.session, utcnow())
        return count

    async def increment_capped(
        self, key: str, cap: int, expires_at: datetime, ttl_seconds: int
    ) -> int:
        return await ratelimit_repository.increment_capped_counter(
            self.session, key, cap, utcnow(), expires_at
        )

    async def delete(self, key: str) -> None:
        await ratelimit_repository.delete_counter(self.session, key)


# INCR, and give a new counter its expiry, in one round trip and atomically (a counter left
# without an expiry by a process dying in between would never go away).
_INCREMENT = """
local count = redis.call('INCR', KEYS[1])
if count == 1 then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""

# INCR, and move the expiry on while the count is within the cap (ARGV[2]); past the cap the
# expiry stays where the last counted hit put it.
_INCREMENT_CAPPED = """
local count = redis.call('INCR', KEYS[1])
if count <= tonumber(ARGV[2]) then redis.call('EXPIRE', KEYS[1], ARGV[1]) end
return count
"""


class RedisBackend:
    """Counters in Redis (INCR with an expiry), falling back to the database when unreachable."""

    def __init__(self, client: Redis, fallback: DatabaseBackend) -> None:
        self.client = client
        self.fallback = fallback

    async def increment(
        self, key: str, expires_at: datetime, ttl_seconds: int, *, anchored: bool = False
    ) -> int:
        # The script gives a new counter its expiry at its first hit: anchored either way.
        try:
            # EVALSHA, loading the script first where the server does not know it yet.
            count = await _script(self.client, _INCREMENT)(
                keys=[_KEY_PREFIX + key], args=[ttl_seconds]
            )
            return int(count)
        except (RedisError, OSError):
            logger.warning("redis unreachable; rate limits fall back to the database")
            return await self.fallback.increment(key, expires_at, ttl_seconds, anchored=anchored)

    async def increment_capped(
        self, key: str, cap: int, expires_at: datetime, ttl_seconds: int
    ) -> int:
        try:
            count = await _script(self.client, _INCREMENT_CAPPED)(
                keys=[_KEY_PREFIX + key], args=[ttl_seconds, cap]
            )
            return int(count)
        except (RedisError, OSError):
            logger.warning("redis unreachable; lockouts fall back to the database")
            return await self.fallback.increment_capped(key, cap, expires_at, ttl_seconds)

    async def delete(self, key: str) -> None:
        try:
            await self.client.delete(_KEY_PREFIX + key)
        except (RedisError, OSError):
            logger.warning("redis unreachable; lockouts fall back to the database")
            await self.fallback.delete(key)


class RateLimiter:
    """Checks hits against limits on one backend."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend

    async def hit(self, limit: Limit, key: str) -> Verdict:
        """Count one hit of `key` against `limit`."""
        now = utcnow().timestamp()
        if limit.anchored:
            # Retry-After is then the whole window: an upper bound, never too early.
            counter, window_end = f"{limit.name}:{key}", now + limit.window_seconds
        else:
            window = int(now // limit.window_seconds)
            window_end = (window + 1) * limit.window_seconds
            counter = f"{limit.name}:{key}:{window}"
        expires_at = datetime.fromtimestamp(window_end, UTC)
        ttl = max(1, int(window_end - now) + 1)
        count = await self.backend.increment(counter, expires_at, ttl, anchored=limit.anchored)
        return Verdict(allowed=count <= limit.hits, retry_after=ttl)

    async def attempt(self, lockout: Lockout, key: str) -> Verdict:
        """Count one attempt of `key` before it is made: refused once the lockout's attempts
        have been counted (in flight or failed), until `seconds` after the last of them."""
        expires_at = utcnow() + timedelta(seconds=lockout.seconds)
        counter = f"{lockout.name}:{key}"
        count = await self.backend.increment_capped(
            counter, lockout.attempts, expires_at, lockout.seconds
        )
        # Retry-After is then the whole lockout: an upper bound, never too early.
        return Verdict(allowed=count <= lockout.attempts, retry_after=lockout.seconds)

    async def succeeded(self, lockout: Lockout, key: str) -> None:
        """An attempt of `key` succeeded: its count starts afresh."""
        await self.backend.delete(f"{lockout.name}:{key}")


# One Redis client per URL and event loop: a client's connections belong to the loop that
# opened them.
_redis: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Redis]] = (
    weakref.WeakKeyDictionary()
)


_scripts: weakref.WeakKeyDictionary[Redis, dict[str, AsyncScript]] = weakref.WeakKeyDictionary()


def _script(client: Redis, source: str) -> AsyncScript:
    scripts = _scripts.setdefault(client, {})
    script = scripts.get(source)
    if script is None:
        script = scripts[source] = client.register_script(source)
    return script


def redis_client(url: str) -> Redis:
    """The Redis client of this URL in the running event loop (one per URL and loop)."""
    clients = _redis.setdefault(asyncio.get_running_loop(), {})
    client = clients.get(url)
    if client is None:
        client = clients[url] = Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
    return client


def limiter(session: AsyncSession, settings: Settings) -> RateLimiter:
    """The limiter for this request: Redis when QE_REDIS_URL is set, else the database."""
    database = DatabaseBackend(session)
    if settings.redis_url:
        return RateLimiter(RedisBackend(redis_client(settings.redis_url), database))
    return RateLimiter(database)
