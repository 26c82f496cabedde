"""Keyed bijections over small integer ranges, so identifiers can encode an index reversibly."""

from __future__ import annotations

import hashlib

_MASK64 = 0xFFFFFFFFFFFFFFFF
_GOLDEN = 0x9E3779B97F4A7C15
_ROUNDS = 4


def stable_hash(*parts: object, size: int = 8) -> int:
    """Return a process-independent hash of the parts (Python's hash() is salted per process)."""
    text = ":".join(str(part) for part in parts)
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=size).digest(), "big")


class Permutation:
    """A keyed bijection of [0, capacity): a balanced Feistel network with cycle-walking."""

    def __init__(self, seed: int, name: str, capacity: int) -> None:
        if capacity < 2:
            raise ValueError("capacity must be at least 2")
        self.capacity = capacity
        half_bits = max(1, ((capacity - 1).bit_length() + 1) // 2)
        self._bits = half_bits
        self._mask = (1 << half_bits) - 1
        self._keys = tuple(stable_hash(seed, "feistel", name, r) for r in range(_ROUNDS))

    def _f(self, value: int, key: int) -> int:
        mixed = ((value ^ key) * _GOLDEN) & _MASK64
        mixed ^= mixed >> 29
        return ((mixed * _GOLDEN) & _MASK64) >> 40 & self._mask

    def _encrypt(self, value: int) -> int:
        left, right = value >> self._bits, value & self._mask
        for key in self._keys:
            left, right = right, left ^ self._f(right, key)
        return (left << self._bits) | right

    def _decrypt(self, value: int) -> int:
        left, right = value >> self._bits, value & self._mask
        for key in reversed(self._keys):
            left, right = right ^ self._f(left, key), left
        return (left << self._bits) | right

    def forward(self, value: int) -> int:
        """Map a value of [0, capacity) to its image, also in [0, capacity)."""
        if not 0 <= value < self.capacity:
            raise ValueError("value out of range")
        value = self._encrypt(value)
        # Cycle-walking: the Feistel domain is a power of four, re-encrypt until back in range.
        while value >= self.capacity:
            value = self._encrypt(value)
        return value

    def inverse(self, value: int) -> int:
        """Map an image back to the value it came from."""
        if not 0 <= value < self.capacity:
            raise ValueError("value out of range")
        value = self._decrypt(value)
        while value >= self.capacity:
            value = self._decrypt(value)
        return value
