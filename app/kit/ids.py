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
_COUNTER_LOW_MAX = (1 << 30) - 1  # the counter's bits in rand_b
_TIMESTAMP_MAX = (1 << 48) - 1

_lock = threading.Lock()
_last_ms = -1
_counter = 0


def _fresh_counter() -> int:
    # Top bit left clear so a burst within one millisecond has room to count up.
    return int.from_bytes(os.urandom(6)) & (_COUNTER_MAX >> 1)


def _advance(now_ms: int) -> tuple[int, int]:
    """The next (timestamp, counter); the caller holds `_lock`."""
    global _last_ms, _counter
    if now_ms > _last_ms:
        _last_ms, _counter = now_ms, _fresh_counter()
    else:
        # Same millisecond or the wall clock stepped back: keep counting on the last
        # timestamp rather than emit an id that sorts before its predecessor.
        _counter += 1
        if _counter > _COUNTER_MAX:
            _last_ms, _counter = _last_ms + 1, _fresh_counter()
    return _last_ms & _TIMESTAMP_MAX, _counter


def _uuid7(ms: int, counter: int, tail: int) -> int:
    return (
        (ms << 80)
        | (0x7 << 76)
        | ((counter >> 30) << 64)
        | (0b10 << 62)
        | ((counter & ((1 << 30) - 1)) << 32)
        | tail
    )


def new_id() -> uuid.UUID:
    """Return a new UUIDv7, monotonic within this process."""
    with _lock:
        ms, counter = _advance(time.time_ns() // 1_000_000)
    return uuid.UUID(int=_uuid7(ms, counter, int.from_bytes(os.urandom(4))))


def new_ids(count: int) -> list[uuid.UUID]:
    """Return `count` new UUIDv7s, as many calls of `new_id` would (for bulk inserts: one
    clock reading and one call for the random bits of all of them)."""
    return [uuid.UUID(int=value) for value in _new_values(count)]


def new_id_texts(count: int) -> list[str]:
    """`new_ids` in their text form (str of a UUID), for a bulk COPY: written from the
    timestamp, the counter and the random bits, without a UUID object or a 128-bit number each
    (a bulk import makes millions)."""
    stamps, random_hex = _new_stamps(count)
    texts = []
    heads: dict[int, str] = {}
    for i, (ms, counter) in enumerate(stamps):
        head = heads.get(ms)
        if head is None:
            digits = f"{ms & _TIMESTAMP_MAX:012x}"
            head = heads[ms] = f"{digits[:8]}-{digits[8:]}-7"
        # rand_a: the counter's top 12 bits; then the variant, the counter's low 30 bits and
        # the random 32, split where the text puts its last dash.
        low = (0b10 << 30) | (counter & _COUNTER_LOW_MAX)
        texts.append(
            f"{head}{counter >> 30:03x}-{low >> 16:04x}-{low & 0xFFFF:04x}"
            f"{random_hex[8 * i : 8 * i + 8]}"
        )
    return texts


def _new_stamps(count: int) -> tuple[list[tuple[int, int]], str]:
    """(timestamp, counter) of `count` new ids, and their random bits as hex (8 digits each)."""
    global _counter
    random_hex = os.urandom(4 * count).hex()
    with _lock:
        ms, first = _advance(time.time_ns() // 1_000_000)
        if first + count - 1 <= _COUNTER_MAX:
            _counter = first + count - 1
            stamps = [(ms, counter) for counter in range(first, first + count)]
        else:  # the counter runs over within this burst: step as new_id would
            stamps = [(ms, first)] + [_advance(ms) for _ in range(count - 1)]
    return stamps, random_hex


def _new_values(count: int) -> list[int]:
    stamps, random_hex = _new_stamps(count)
    return [
        _uuid7(ms, counter, int(random_hex[8 * i : 8 * i + 8], 16))
        for i, (ms, counter) in enumerate(stamps)
    ]


def timestamp_of(value: uuid.UUID) -> datetime:
    """Return the creation time embedded in a UUIDv7 as an aware UTC datetime."""
    if value.version != 7:
        raise ValueError("not a UUIDv7")
    return datetime.fromtimestamp((value.int >> 80) / 1000, UTC)
