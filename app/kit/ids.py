"""Time-ordered identifiers (UUIDv7, RFC 9562)."""

from __future__ import annotations

import os
import threading
import time
import uuid
from datetime import UTC, datetime

# Layout follows RFC 9562 method 1: 48-bit ms timestamp, then a 42-bit counter spread over
# rand_a (12 bits) and the top of rand_b (30 bits), then 32 random bits.
_COUNTER_BITS = 42
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1
_TIMESTAMP_MAX = (1 << 48) - 1

_lock = threading.Lock()
_last_ms = -1
_counter = 0


def _fresh_counter() -> int:
    # Top bit left clear so a burst within one millisecond has room to count up.
    return int.from_bytes(os.urandom(6)) & (_COUNTER_MAX >> 1)


def new_id() -> uuid.UUID:
    """Return a new UUIDv7, monotonic within this process."""
    global _last_ms, _counter
    with _lock:
        now_ms = time.time_ns() // 1_000_000
        if now_ms > _last_ms:
            _last_ms, _counter = now_ms, _fresh_counter()
        else:
            # Same millisecond or the wall clock stepped back: keep counting on the last
            # timestamp rather than emit an id that sorts before its predecessor.
            _counter += 1
            if _counter > _COUNTER_MAX:
                _last_ms, _counter = _last_ms + 1, _fresh_counter()
        ms, counter = _last_ms & _TIMESTAMP_MAX, _counter
    tail = int.from_bytes(os.urandom(4))
    value = (
        (ms << 80)
        | (0x7 << 76)
        | ((counter >> 30) << 64)
        | (0b10 << 62)
        | ((counter & ((1 << 30) - 1)) << 32)
        | tail
    )
    return uuid.UUID(int=value)


def timestamp_of(value: uuid.UUID) -> datetime:
    """Return the creation time embedded in a UUIDv7 as an aware UTC datetime."""
    if value.version != 7:
        raise ValueError("not a UUIDv7")
    return datetime.fromtimestamp((value.int >> 80) / 1000, UTC)
