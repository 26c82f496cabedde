"""Time-ordered identifiers (UUIDv7, RFC 9562)."""

from __future__ import annotations

import os
import struct
import threading
import time
import uuid
from datetime import UTC, datetime

# Layout follows RFC 9562 method 1: 48-bit ms timestamp, then a 42-bit counter spread over
# rand_a (12 bits) and the top of rand_b (30 bits), then 32 random bits.
_COUNTER_BITS = 42
_COUNTER_MAX = (1 << _COUNTER_BITS) - 1
_COUNTER_LOW_BITS = 30  # the counter's bits in rand_b
_COUNTER_LOW_MAX = (1 << _COUNTER_LOW_BITS) - 1
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
    timestamp, the counters and the random bits a run at a time (`_run_texts`), without a UUID
    object or a 128-bit number each (a bulk import makes millions)."""
    runs, random_bits = _new_runs(count)
    texts: list[str] = []
    for ms, first, length in runs:
        start, end = first, first + length
        while start < end:
            # rand_a holds the counter's top bits: a run is cut where they change.
            stop = min(end, ((start >> _COUNTER_LOW_BITS) + 1) << _COUNTER_LOW_BITS)
            done = len(texts)
            bits = random_bits[4 * done : 4 * (done + stop - start)]
            texts.extend(_run_texts(ms, start, stop - start, bits))
            start = stop
    return texts


def _run_texts(ms: int, first: int, count: int, random_bits: bytes) -> list[str]:
    """The texts of `count` ids of timestamp `ms` and counters from `first` on, whose top
    bits are the same: all but their last 16 hex digits is one head, and those digits are the
    variant with the counter's low bits, then the random bits (4 bytes each), hexed at once."""
    digits = f"{ms & _TIMESTAMP_MAX:012x}"
    head = f"{digits[:8]}-{digits[8:]}-7{first >> _COUNTER_LOW_BITS:03x}-"
    low = (0b10 << _COUNTER_LOW_BITS) | (first & _COUNTER_LOW_MAX)
    lows = struct.pack(f">{count}I", *range(low, low + count))
    tails = bytearray(8 * count)
    for byte in range(4):
        tails[byte::8] = lows[byte::4]
        tails[4 + byte :: 8] = random_bits[byte::4]
    hexed = tails.hex()
    return [
        f"{head}{hexed[at : at + 4]}-{hexed[at + 4 : at + 16]}" for at in range(0, 16 * count, 16)
    ]


# Ids whose counters follow one another: (timestamp, first counter, how many).
_Run = tuple[int, int, int]


def _new_runs(count: int) -> tuple[list[_Run], bytes]:
    """The (timestamp, counter) of `count` new ids as runs, and their random bits (4 bytes
    each)."""
    global _counter
    random_bits = os.urandom(4 * count)
    with _lock:
        ms, first = _advance(time.time_ns() // 1_000_000)
        if first + count - 1 <= _COUNTER_MAX:
            _counter = first + count - 1
            runs = [(ms, first, count)]
        else:  # the counter runs over within this burst: step as new_id would
            runs = [(ms, first, 1)] + [(*_advance(ms), 1) for _ in range(count - 1)]
    return runs, random_bits


def _new_values(count: int) -> list[int]:
    runs, random_bits = _new_runs(count)
    stamps = [
        (ms, counter) for ms, first, length in runs for counter in range(first, first + length)
    ]
    return [
        _uuid7(ms, counter, int.from_bytes(random_bits[4 * i : 4 * i + 4]))
        for i, (ms, counter) in enumerate(stamps)
    ]


def timestamp_of(value: uuid.UUID) -> datetime:
    """Return the creation time embedded in a UUIDv7 as an aware UTC datetime."""
    if value.version != 7:
        raise ValueError("not a UUIDv7")
    return datetime.fromtimestamp((value.int >> 80) / 1000, UTC)
