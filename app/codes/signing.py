"""The city code as signed claims: what it carries, and the checks a verification makes.

The code is a compact JWS signed with the e-license credential key (ES256, published at
/api/v1/licenses/jwks and never withdrawn), under its own `typ` `city-code+jwt`, so a verifier
needs one published key set for licenses and codes, a small QR code (an ES256 signature is 64
bytes, an RS256 one 256), and nothing online to know a code is genuine and live. What a code
stands for (the person's e-ID, social-security card and health status) is resolved only by the
platform: `sub` is the account id sealed with AES-GCM under a key derived from QE_SECRET_KEY,
with a fresh nonce each time, so the code carries no personal data and two codes of one person
cannot be linked by anyone but the platform.
"""

from __future__ import annotations

import functools
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from app.config import Settings
from app.kit.crypto import DecryptionError, FieldCipher, derive_key
from app.kit.encoding import b64url_encode

_CIPHER_KEY_ID = "c1"
_PURPOSE = "codes.subject.c1"
_SUBJECT_CONTEXT = "city-code.sub"
_JTI_BYTES = 16
_JTI = re.compile(r"[A-Za-z0-9_-]{22}")
# A code dated this far ahead of the platform's clock was not made by it.
_CLOCK_SKEW_SECONDS = 30


@dataclass(frozen=True, slots=True)
class Claims:
    """A genuine, live code's claims, resolved."""

    jti: str
    account_id: uuid.UUID
    expires_at: datetime


class Refused(Exception):
    """Not a code the platform made (`expired` False), or one past its end (True)."""

    def __init__(self, *, expired: bool) -> None:
        super().__init__("expired" if expired else "invalid")
        self.expired = expired


@functools.cache
def _cipher(secret: str) -> FieldCipher:
    return FieldCipher({_CIPHER_KEY_ID: derive_key(secret, _PURPOSE)}, _CIPHER_KEY_ID)


def claims_for(settings: Settings, account_id: uuid.UUID, now: datetime) -> dict[str, Any]:
    """The claims of a new code for the account, valid from `now` for the configured time."""
    sealed = _cipher(settings.secret_key.get_secret_value()).encrypt(
        str(account_id), context=_SUBJECT_CONTEXT
    )
    issued = int(now.timestamp())
    return {
        "iss": settings.issuer_url,
        "sub": sealed,
        "jti": b64url_encode(secrets.token_bytes(_JTI_BYTES)),
        "iat": issued,
        "exp": issued + settings.city_code_seconds,
    }


def expiry(claims: dict[str, Any]) -> datetime:
    """When a code made by `claims_for` expires."""
    return datetime.fromtimestamp(int(claims["exp"]), UTC)


def check(settings: Settings, claims: dict[str, Any], now: datetime) -> Claims:
    """The claims of a code whose signature verified, if it is the platform's and live.

    Refused(expired=False) for a wrong issuer, missing or malformed claims, a code dated in
    the future or one that claims to live longer than a code may; Refused(expired=True) past
    its `exp` (no leeway: a minute is the whole point).
    """
    issued, expires, jti, sub = (claims.get(name) for name in ("iat", "exp", "jti", "sub"))
    if (
        claims.get("iss") != settings.issuer_url
        or not isinstance(issued, int)
        or not isinstance(expires, int)
        or not isinstance(jti, str)
        or not _JTI.fullmatch(jti)
        or not isinstance(sub, str)
        or expires - issued > settings.city_code_seconds
        or issued > now.timestamp() + _CLOCK_SKEW_SECONDS
    ):
        raise Refused(expired=False)
    if expires <= now.timestamp():
        raise Refused(expired=True)
    try:
        account = _cipher(settings.secret_key.get_secret_value()).decrypt(
            sub, context=_SUBJECT_CONTEXT
        )
        account_id = uuid.UUID(account)
    except (DecryptionError, ValueError):
        raise Refused(expired=False) from None
    return Claims(jti=jti, account_id=account_id, expires_at=expiry(claims))
