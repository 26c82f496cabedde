"""Opaque secrets (codes, refresh tokens, client secrets, cookies): made random, kept as digests.

Only a keyed digest is stored, so a copy of the database alone lets nobody use a secret or test
guesses of one; look-ups are by digest, and digests are compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from app.config import Settings
from app.kit.crypto import constant_time_equals, derive_key

_DIGEST_PURPOSE = "auth.opaque-secret-digest"


def new_secret(nbytes: int = 32) -> str:
    """A fresh random secret, URL-safe (43 characters for the default 32 bytes)."""
    return secrets.token_urlsafe(nbytes)


def new_id_token(nbytes: int = 18) -> str:
    """A random identifier that must not be guessable (session ids, request ids, jti)."""
    return secrets.token_urlsafe(nbytes)


def digest(settings: Settings, kind: str, value: str) -> str:
    """The stored form of a secret of `kind` (e.g. "code"): HMAC-SHA256, hex."""
    key = _key(settings.secret_key.get_secret_value())
    message = f"{kind}\x00{value}".encode()
    return hmac.new(key, message, hashlib.sha256).hexdigest()


def matches(settings: Settings, kind: str, value: str, stored: str) -> bool:
    """Whether `value` is the secret whose digest is `stored`, in constant time."""
    return constant_time_equals(digest(settings, kind, value), stored)


_keys: dict[str, bytes] = {}


def _key(secret: str) -> bytes:
    # HKDF per digest would double the cost of every token look-up; the key depends only on
    # the configured secret, so it is derived once per secret.
    key = _keys.get(secret)
    if key is None:
        key = _keys[secret] = derive_key(secret, _DIGEST_PURPOSE)
    return key
