"""Subject identifiers: public (the account id) or pairwise (one per sector, uncorrelatable)."""

from __future__ import annotations

import functools
import hashlib
import hmac

from app.auth.models import OAuthClient, SubjectType
from app.config import Settings
from app.kit.crypto import derive_key
from app.kit.encoding import b64url_encode

_PAIRWISE_PURPOSE = "auth.pairwise-subject"


def subject_for(settings: Settings, client: OAuthClient, kind: str, principal_id: str) -> str:
    """The `sub` this client sees for a person or staff member."""
    if client.subject_type == SubjectType.PUBLIC:
        return principal_id
    # OpenID Connect Core §8.1: a keyed hash of the sector and the local id. Without the key
    # nobody can link two sectors' identifiers, nor recover the account id from one.
    key = _key(settings.secret_key.get_secret_value())
    message = f"{client.sector_identifier}\x00{kind}\x00{principal_id}".encode()
    return b64url_encode(hmac.new(key, message, hashlib.sha256).digest())


@functools.cache
def _key(secret: str) -> bytes:
    return derive_key(secret, _PAIRWISE_PURPOSE)
