"""Password hashing (argon2id) and the password policy.

Hashing costs tens of milliseconds of CPU on purpose, so it runs in a worker thread and the event
loop keeps serving other requests meanwhile.
"""

from __future__ import annotations

import asyncio
import functools

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

MIN_LENGTH = 8
MAX_LENGTH = 128

# argon2-cffi's defaults are RFC 9106's second recommendation (argon2id, t=3, m=64 MiB, p=4).
hasher = PasswordHasher()


class WeakPassword(ValueError):
    """The password does not meet the policy."""


def check_policy(password: str, *, min_length: int = MIN_LENGTH) -> None:
    """Refuse passwords that are short, overly long, or of a single character class."""
    if not min_length <= len(password) <= MAX_LENGTH:
        raise WeakPassword(f"a password has {min_length} to {MAX_LENGTH} characters")
    classes = (
        any(c.isdigit() for c in password),
        any(c.isalpha() and c.islower() for c in password),
        any(c.isalpha() and c.isupper() for c in password),
        any(not c.isalnum() for c in password),
    )
    if sum(classes) < 2:
        raise WeakPassword("a password mixes at least two of digits, letters and symbols")


async def hash_password(password: str) -> str:
    """The argon2id hash of a password."""
    return await asyncio.to_thread(hasher.hash, password)


async def verify_password(stored: str | None, password: str) -> bool:
    """Whether `password` matches `stored`; with no stored hash, as slow as a real check."""
    # Without an account (or without a password on it) a dummy hash is checked anyway, so the
    # answer takes as long as for a real account and the timing tells nobody which exists.
    return await asyncio.to_thread(_verify, stored or _dummy_hash(), password, stored is not None)


def _verify(stored: str, password: str, real: bool) -> bool:
    try:
        return hasher.verify(stored, password) and real
    except (VerificationError, InvalidHashError):
        return False


@functools.cache
def _dummy_hash() -> str:
    return hasher.hash("not the password of anyone")


def needs_rehash(stored: str) -> bool:
    """Whether a hash was made with weaker parameters than today's."""
    return hasher.check_needs_rehash(stored)
