"""The key that signs the chain's checkpoints, and the signature over one checkpoint.

The key is derived from QE_SECRET_KEY under this purpose alone (ES256, P-256), like the
platform's other keys, and is kept nowhere else: not in the database, whose administrators
the checkpoints guard against, and not in the checkpoint store. Its id is its RFC 7638
thumbprint, which auditors recompute from the published JWK; they pin that key rather than
trust whatever key a later answer shows them.

What is signed is the canonical JSON (`app.audit.canonical`) of `{"created_at", "hash",
"seq"}`; the signature is a JWS with detached content, header `{"alg": "ES256", "kid",
"typ": "qe-audit-checkpoint"}`, so any JOSE library verifies it by putting the payload back.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.audit.canonical import canonical_json, format_timestamp
from app.audit.schemas import Checkpoint, CheckpointRefusal
from app.kit import jose
from app.kit.crypto import derive_p256_private_pem
from app.kit.jose import Key

ALGORITHM = "ES256"
TYP = "qe-audit-checkpoint"
_PURPOSE = "audit.checkpoints.es256.k1"


@dataclass(frozen=True)
class CheckpointKey:
    """The signing key, its public half and its published JWK."""

    kid: str
    private: Key
    public: Key
    jwk: dict[str, str]


@functools.cache
def checkpoint_key(secret: str) -> CheckpointKey:
    """The checkpoint key of the platform whose secret is `secret`."""
    pem = derive_p256_private_pem(secret, _PURPOSE)
    public_jwk = jose.p256_public_jwk(pem)
    kid = jose.jwk_thumbprint(public_jwk)
    published = {**public_jwk, "kid": kid, "use": "sig", "alg": ALGORITHM}
    return CheckpointKey(
        kid=kid,
        private=jose.construct_key(pem, ALGORITHM),
        public=jose.construct_key(public_jwk, ALGORITHM),
        jwk=published,
    )


def _payload(seq: int, hash_: str, created_at: datetime) -> bytes:
    body: dict[str, Any] = {
        "created_at": format_timestamp(created_at),
        "hash": hash_,
        "seq": seq,
    }
    return canonical_json(body)


def sign(key: CheckpointKey, *, seq: int, hash_: str, created_at: datetime) -> Checkpoint:
    """A checkpoint of the head (seq, hash) at `created_at`, signed with `key`."""
    signature = jose.sign_detached(
        _payload(seq, hash_, created_at),
        key.private,
        algorithm=ALGORITHM,
        headers={"kid": key.kid, "typ": TYP},
    )
    return Checkpoint(seq=seq, hash=hash_, created_at=created_at, kid=key.kid, signature=signature)


def refusal(checkpoint: Checkpoint, key: CheckpointKey) -> CheckpointRefusal | None:
    """Why `checkpoint` is not to be trusted, or None when `key` signed exactly these fields."""
    if checkpoint.kid != key.kid:
        return "unknown_key"
    payload = _payload(checkpoint.seq, checkpoint.hash, checkpoint.created_at)
    try:
        header = jose.verify_detached(
            checkpoint.signature, payload, key.public, algorithms=(ALGORITHM,)
        )
    except jose.JoseFailure:
        return "bad_signature"
    # The header is signed too: it must name this key and this use, not another protocol's.
    if header.get("kid") != key.kid or header.get("typ") != TYP:
        return "bad_signature"
    return None
