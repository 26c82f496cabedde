"""Signing keys: bootstrap, rotation, the JWKS, and a per-process cache of the key set.

Keys come in families, one per algorithm (RS256 for ID and logout tokens, ES256 for access
tokens; app/auth/tokens.py). In each family there is at any time one `active` key that signs and
one `next` key that is already published in the JWKS, so relying parties have it cached before
the first token it signs reaches them. Rotation promotes `next` to `active` in every family,
retires the old active key (still published, and still accepted, until every token it signed
has expired) and makes a new `next` key.

Each process caches the key set for a few seconds; a kid it does not know makes it reload at
once, so a rotation done by another process (`qingeban keys rotate`) is seen without restarts.
"""

from __future__ import annotations

import asyncio
import functools
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository, tokens
from app.auth.models import KeyState, SigningKey
from app.auth.opaque import new_id_token
from app.config import Settings
from app.db import database_of
from app.kit.clock import utcnow
from app.kit.crypto import FieldCipher, derive_key
from app.kit.encoding import b64url_encode
from app.kit.jose import p256_public_jwk

KEY_BITS = 2048
# How long relying parties may cache the JWKS (its Cache-Control); a next key must have been
# published this long before it may start signing.
JWKS_MAX_AGE_SECONDS = 300
# How long a process trusts its cached key set, and how often a miss may force a reload.
_CACHE_SECONDS = 30.0
_RELOAD_GAP_SECONDS = 1.0
_CIPHER_KEY_ID = "k1"


class NoSigningKey(Exception):
    """The database has no active signing key (run `qingeban migrate` or `keys rotate`)."""


class RotationTooSoon(Exception):
    """The next key has not been published long enough for relying parties to have it."""

    def __init__(self, wait_seconds: int) -> None:
        super().__init__(f"the next key becomes usable in {wait_seconds} s")
        self.wait_seconds = wait_seconds


@dataclass(frozen=True)
class Rotation:
    """What a rotation did in one family of keys."""

    algorithm: str
    active: str
    next: str
    retired: str | None


@dataclass(frozen=True)
class Verifier:
    """A published key that verifies tokens: its algorithm, and until when it is accepted."""

    key: Any
    algorithm: str
    until: datetime | None


@dataclass
class _KeySet:
    loaded_at: float
    active_kid: dict[str, str]  # algorithm → the kid that signs
    public: dict[str, Verifier]
    private_cipher: dict[str, str] = field(default_factory=dict)


_cache: dict[str, _KeySet] = {}
_private: dict[str, Any] = {}


@functools.cache
def _cipher(secret: str) -> FieldCipher:
    return FieldCipher({_CIPHER_KEY_ID: derive_key(secret, "auth.signing-keys.k1")}, _CIPHER_KEY_ID)


def _pem(private: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def _key_material(algorithm: str) -> tuple[str, dict[str, Any]]:
    """A new private key (PEM) of the algorithm and its public JWK members."""
    if algorithm == "ES256":
        pem = _pem(ec.generate_private_key(ec.SECP256R1()))
        return pem, dict(p256_public_jwk(pem))
    private = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    numbers = private.public_key().public_numbers()
    return _pem(private), {
        "kty": "RSA",
        "n": b64url_encode(numbers.n.to_bytes((numbers.n.bit_length() + 7) // 8, "big")),
        "e": b64url_encode(numbers.e.to_bytes((numbers.e.bit_length() + 7) // 8, "big")),
    }


def _generate(settings: Settings, state: KeyState, now: datetime, algorithm: str) -> SigningKey:
    pem, members = _key_material(algorithm)
    kid = new_id_token(12)
    public_jwk = {**members, "kid": kid, "use": "sig", "alg": algorithm}
    return SigningKey(
        kid=kid,
        algorithm=algorithm,
        state=state.value,
        public_jwk=public_jwk,
        private_key_cipher=_cipher(settings.secret_key.get_secret_value()).encrypt(
            pem, context=f"signing_keys.{kid}"
        ),
        created_at=now,
        activated_at=now if state == KeyState.ACTIVE else None,
    )


async def _new_key(
    settings: Settings, state: KeyState, now: datetime, algorithm: str
) -> SigningKey:
    # RSA key generation takes tens of milliseconds of CPU; keep the event loop free.
    return await asyncio.to_thread(_generate, settings, state, now, algorithm)


async def ensure_keys(session: AsyncSession, settings: Settings) -> bool:
    """Create each family's active and next key where missing; whether anything was created."""
    await repository.lock_signing_keys(session)
    keys = await repository.current_signing_keys(session)
    held = {(key.algorithm, key.state) for key in keys}
    now = utcnow()
    created = False
    for algorithm in tokens.ALGORITHMS:
        for state in (KeyState.ACTIVE, KeyState.NEXT):
            if (algorithm, state) not in held:
                await repository.add(session, await _new_key(settings, state, now, algorithm))
                created = True
    if created:
        forget(session)
    return created


def retirement_period(settings: Settings) -> timedelta:
    """How long a retired key stays published: until the last token it signed has expired."""
    return timedelta(seconds=settings.access_token_seconds + _CACHE_SECONDS + 60)


async def rotate(
    session: AsyncSession, settings: Settings, *, force: bool = False
) -> list[Rotation]:
    """In every family: promote the next key, retire the active one, publish a new next key.
    Refused as a whole while any family's next key is too fresh (unless `force`)."""
    await repository.lock_signing_keys(session)
    current = await repository.current_signing_keys(session)
    now = utcnow()
    families = {
        algorithm: {key.state: key for key in current if key.algorithm == algorithm}
        for algorithm in tokens.ALGORITHMS
    }
    if not force:
        for keys in families.values():
            upcoming = keys.get(KeyState.NEXT)
            # No next key only if someone removed it: `ensure_keys` always leaves one behind.
            published_for = (
                -1.0 if upcoming is None else (now - upcoming.created_at).total_seconds()
            )
            if published_for < JWKS_MAX_AGE_SECONDS:
                raise RotationTooSoon(int(JWKS_MAX_AGE_SECONDS - max(published_for, 0)) + 1)
    rotations = [
        await _rotate_family(session, settings, algorithm, keys, now)
        for algorithm, keys in families.items()
    ]
    forget(session)
    return rotations


async def _rotate_family(
    session: AsyncSession,
    settings: Settings,
    algorithm: str,
    keys: dict[str, SigningKey],
    now: datetime,
) -> Rotation:
    upcoming = keys.get(KeyState.NEXT)
    current = keys.get(KeyState.ACTIVE)
    if upcoming is None:
        upcoming = await _new_key(settings, KeyState.NEXT, now, algorithm)
        await repository.add(session, upcoming)
    if current is not None:
        current.state = KeyState.RETIRED.value
        current.retired_at = now
        current.publish_until = now + retirement_period(settings)
        # The retirement is written before the promotion: one active key at every instant.
        await session.flush()
    upcoming.state = KeyState.ACTIVE.value
    upcoming.activated_at = now
    fresh = await _new_key(settings, KeyState.NEXT, now, algorithm)
    await repository.add(session, fresh)
    return Rotation(
        algorithm=algorithm,
        active=upcoming.kid,
        next=fresh.kid,
        retired=current.kid if current is not None else None,
    )


async def published(session: AsyncSession) -> list[dict[str, Any]]:
    """The JWKS keys: next, active, and retired ones whose tokens may still be alive."""
    now = utcnow()
    keys = await repository.current_signing_keys(session)
    return [
        dict(key.public_jwk)
        for key in keys
        if key.state != KeyState.RETIRED or (key.publish_until and key.publish_until > now)
    ]


async def list_keys(session: AsyncSession) -> list[SigningKey]:
    """Every key with its state, newest first (for the admin API)."""
    return list(await repository.all_signing_keys(session))


async def signer(session: AsyncSession, settings: Settings, algorithm: str) -> tuple[str, Any]:
    """The kid and private key of the algorithm's family that sign now."""
    keyset = await _keyset(session)
    if algorithm not in keyset.active_kid:
        keyset = await _keyset(session, reload=True)
        if algorithm not in keyset.active_kid:
            raise NoSigningKey
    kid = keyset.active_kid[algorithm]
    key = _private.get(kid)
    if key is None:
        pem = _cipher(settings.secret_key.get_secret_value()).decrypt(
            keyset.private_cipher[kid], context=f"signing_keys.{kid}"
        )
        key = _private[kid] = tokens.private_key(pem, algorithm)
    return kid, key


async def verifier(session: AsyncSession, kid: str) -> Verifier | None:
    """The key that verifies tokens signed under `kid`, if such tokens may still be valid."""
    keyset = await _keyset(session)
    entry = keyset.public.get(kid)
    if entry is None and time.monotonic() - keyset.loaded_at > _RELOAD_GAP_SECONDS:
        # Perhaps another process rotated: look once more (at most once a second, so that a
        # stream of forged kids cannot turn every request into a query).
        keyset = await _keyset(session, reload=True)
        entry = keyset.public.get(kid)
    if entry is None or (entry.until is not None and entry.until <= utcnow()):
        return None
    return entry


def forget(session: AsyncSession) -> None:
    """Drop this process's cached key set of the session's database (after a change)."""
    _cache.pop(database_of(session), None)


async def _keyset(session: AsyncSession, *, reload: bool = False) -> _KeySet:
    database = database_of(session)
    cached = _cache.get(database)
    if cached is not None and not reload and time.monotonic() - cached.loaded_at < _CACHE_SECONDS:
        return cached
    keyset = _KeySet(loaded_at=time.monotonic(), active_kid={}, public={})
    for key in await repository.current_signing_keys(session):
        if key.state == KeyState.NEXT or key.algorithm not in tokens.ALGORITHMS:
            continue  # published, but it signs nothing yet, so it verifies nothing either
        if key.state == KeyState.ACTIVE:
            keyset.active_kid[key.algorithm] = key.kid
            keyset.private_cipher[key.kid] = key.private_key_cipher
        public = tokens.public_key(key.public_jwk, key.algorithm)
        keyset.public[key.kid] = Verifier(public, key.algorithm, key.publish_until)
    _cache[database] = keyset
    return keyset
