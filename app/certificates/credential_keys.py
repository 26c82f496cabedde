"""The ES256 keys that sign credentials: creation on first use or at bootstrap, the JWKS.

One key signs (the newest); every key stays published, because a license credential is meant
to be verified for years after it was signed. There is no rotation command yet: a new key is
made only when there is none. The private halves are encrypted with a key derived from
QE_SECRET_KEY under this domain's own purpose string, so they never share a key with identity.
"""

from __future__ import annotations

import asyncio
import functools
import secrets
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.certificates import jws, repository
from app.certificates.models import CredentialKey
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.crypto import FieldCipher, derive_key
from app.kit.encoding import b64url_encode
from app.kit.jose import Key

# How long verifiers may cache the JWKS (its Cache-Control).
JWKS_MAX_AGE_SECONDS = 300
_CIPHER_KEY_ID = "k1"
_PURPOSE = "certificates.credential-keys.k1"
_KID_BYTES = 9

# Decrypted signing keys and public verification keys by kid (kids are random, so one never
# names two keys, and a key never changes once made).
_private: dict[str, Key] = {}
_public: dict[str, Key] = {}


@dataclass(frozen=True)
class Signer:
    """The key that signs now."""

    kid: str
    key: Key


@functools.cache
def _cipher(secret: str) -> FieldCipher:
    return FieldCipher({_CIPHER_KEY_ID: derive_key(secret, _PURPOSE)}, _CIPHER_KEY_ID)


def _context(kid: str) -> str:
    return f"credential_keys.{kid}"


def _generate(settings: Settings) -> CredentialKey:
    pem = jws.generate_private_pem()
    kid = b64url_encode(secrets.token_bytes(_KID_BYTES))
    return CredentialKey(
        kid=kid,
        algorithm=jws.ALGORITHM,
        public_jwk=jws.public_jwk(pem, kid),
        private_key_cipher=_cipher(settings.secret_key.get_secret_value()).encrypt(
            pem, context=_context(kid)
        ),
        created_at=utcnow(),
    )


async def ensure_key(session: AsyncSession, settings: Settings) -> CredentialKey:
    """The signing key, made (under a lock, so two processes make one) when there is none."""
    keys = await repository.credential_keys(session)
    if keys:
        return keys[0]
    await repository.lock_credential_keys(session)
    keys = await repository.credential_keys(session)
    if keys:
        return keys[0]
    key = await asyncio.to_thread(_generate, settings)
    session.add(key)
    await session.flush()
    return key


async def signer(session: AsyncSession, settings: Settings) -> Signer:
    """The kid and private key that sign now (made on first use)."""
    row = await ensure_key(session, settings)
    key = _private.get(row.kid)
    if key is None:
        pem = _cipher(settings.secret_key.get_secret_value()).decrypt(
            row.private_key_cipher, context=_context(row.kid)
        )
        key = _private[row.kid] = jws.private_key(pem)
    return Signer(kid=row.kid, key=key)


async def published(session: AsyncSession, settings: Settings) -> list[dict[str, Any]]:
    """The JWKS keys, newest first (a key is made first if there is none)."""
    await ensure_key(session, settings)
    return [dict(row.public_jwk) for row in await repository.credential_keys(session)]


async def verification_key(session: AsyncSession, settings: Settings, kid: str) -> Key | None:
    """The public key published under `kid`, or None when no key has that id."""
    key = _public.get(kid)
    if key is None:
        for jwk_ in await published(session, settings):
            _public.setdefault(jwk_["kid"], jws.public_key(jwk_))
        key = _public.get(kid)
    return key
