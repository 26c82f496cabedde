"""JOSE (JWS and JWT) primitives: the one module that uses python-jose, so it can be swapped.

Callers always name the algorithms they accept; nothing here picks one from a token's header.
Identity's tokens (RS256, app/auth/tokens.py) and the e-licenses' credentials (ES256,
app/certificates/jws.py) add their own checks of `typ`, claims and keys on top; the audit
chain's checkpoints (app/audit/signing.py) use the detached form.
"""

from __future__ import annotations

import base64
import hashlib
import json
from calendar import timegm
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jose import jwk, jws, jwt
from jose.backends.base import Key
from jose.constants import ALGORITHMS
from jose.exceptions import ExpiredSignatureError, JOSEError

from app.kit.encoding import b64url_encode

__all__ = [
    "JoseFailure",
    "Key",
    "SignatureExpired",
    "construct_key",
    "decode_jwt",
    "encode_jwt",
    "jwk_thumbprint",
    "p256_public_jwk",
    "sign_bytes",
    "sign_detached",
    "unverified_claims",
    "unverified_header",
    "verify_bytes",
    "verify_detached",
]

_P256_COORDINATE_BYTES = 32
# The members a JWK thumbprint hashes, by key type (RFC 7638 §3.2).
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "oct": ("k", "kty"),
}


class JoseFailure(Exception):
    """A token is malformed, or its signature or claims do not verify."""


class SignatureExpired(JoseFailure):
    """A JWT's signature is good but its `exp` has passed."""


def construct_key(material: str | dict[str, Any], algorithm: str) -> Key:
    """A key for `algorithm` from a PEM string or a JWK."""
    return jwk.construct(material, algorithm)


def unverified_header(token: str) -> dict[str, Any]:
    """The protected header of a compact JWS, unverified."""
    try:
        header: dict[str, Any] = jws.get_unverified_header(token)
    except (JOSEError, ValueError, TypeError, AttributeError) as exc:
        raise JoseFailure("malformed token") from exc
    return header


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unverified (only to find out which key should verify it)."""
    try:
        claims: dict[str, Any] = jwt.get_unverified_claims(token)
    except JOSEError as exc:
        raise JoseFailure("malformed token") from exc
    return claims


def sign_bytes(payload: bytes, key: Key, *, algorithm: str, headers: dict[str, Any]) -> str:
    """A compact JWS of `payload`."""
    token: str = jws.sign(payload, key, headers=headers, algorithm=algorithm)
    return token


def verify_bytes(token: str, key: Key, *, algorithms: Sequence[str]) -> bytes:
    """The payload of a compact JWS whose signature verifies with `key` under `algorithms`."""
    try:
        payload: bytes = jws.verify(token, key, algorithms=list(algorithms))
    except (JOSEError, ValueError, TypeError) as exc:
        raise JoseFailure("invalid signature") from exc
    return payload


def sign_detached(payload: bytes, key: Key, *, algorithm: str, headers: dict[str, Any]) -> str:
    """A JWS with detached content (RFC 7515 Appendix F): `header..signature`.

    The payload travels beside the signature rather than inside it, so a record keeps its
    fields once, readable, and the verifier re-attaches their bytes.
    """
    token = sign_bytes(payload, key, algorithm=algorithm, headers=headers)
    protected, _, signature = token.split(".")
    return f"{protected}..{signature}"


def verify_detached(
    signature: str, payload: bytes, key: Key, *, algorithms: Sequence[str]
) -> dict[str, Any]:
    """The protected header of a detached JWS that verifies over `payload` with `key`.

    Unencoded payloads (RFC 7797 `b64`) and critical extensions are refused rather than
    half-understood.
    """
    parts = signature.split(".")
    if len(parts) != 3 or parts[1] != "":
        raise JoseFailure("not a detached JWS")
    token = f"{parts[0]}.{b64url_encode(payload)}.{parts[2]}"
    header = unverified_header(token)
    if "b64" in header or "crit" in header:
        raise JoseFailure("unsupported JWS header parameters")
    verify_bytes(token, key, algorithms=algorithms)
    return header


def p256_public_jwk(private_pem: str) -> dict[str, str]:
    """The public JWK (kty EC, crv P-256) of a P-256 private key in PEM."""
    private = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(
        private.curve, ec.SECP256R1
    ):
        raise ValueError("not a P-256 private key")
    numbers = private.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "x": b64url_encode(numbers.x.to_bytes(_P256_COORDINATE_BYTES, "big")),
        "y": b64url_encode(numbers.y.to_bytes(_P256_COORDINATE_BYTES, "big")),
    }


def jwk_thumbprint(key: Mapping[str, Any]) -> str:
    """The RFC 7638 SHA-256 thumbprint of a JWK: a key id anyone can recompute from the key."""
    members = _THUMBPRINT_MEMBERS.get(str(key.get("kty")))
    if members is None:
        raise ValueError(f"no thumbprint for key type {key.get('kty')!r}")
    required = {name: key[name] for name in members}
    text = json.dumps(required, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return b64url_encode(hashlib.sha256(text.encode("utf-8")).digest())


def encode_jwt(claims: dict[str, Any], key: Key, *, algorithm: str, headers: dict[str, Any]) -> str:
    """A signed JWT of `claims`: the compact JWS python-jose's `jwt.encode` makes (the same
    header members, sorted; `exp`, `iat` and `nbf` as seconds), with the encoded header kept,
    since a key signs every token under the same one (tokens are the machines' hot path)."""
    for name in ("exp", "iat", "nbf"):
        if isinstance(claims.get(name), datetime):
            claims = {**claims, name: timegm(claims[name].utctimetuple())}
    payload = json.dumps(claims, separators=(",", ":")).encode("utf-8")
    signing_input = b"%s.%s" % (
        _encoded_header(algorithm, tuple(sorted(headers.items()))),
        base64.urlsafe_b64encode(payload).rstrip(b"="),
    )
    signature = base64.urlsafe_b64encode(key.sign(signing_input)).rstrip(b"=")
    return (b"%s.%s" % (signing_input, signature)).decode("ascii")


@lru_cache(maxsize=64)
def _encoded_header(algorithm: str, members: tuple[tuple[str, Any], ...]) -> bytes:
    if algorithm not in ALGORITHMS.SUPPORTED:
        raise JoseFailure(f"algorithm {algorithm} is not supported")
    header = {"typ": "JWT", "alg": algorithm, **dict(members)}
    text = json.dumps(header, separators=(",", ":"), sort_keys=True)
    return base64.urlsafe_b64encode(text.encode("utf-8")).rstrip(b"=")


def decode_jwt(
    token: str,
    key: Key,
    *,
    algorithms: Sequence[str],
    audience: str,
    issuer: str,
    options: dict[str, Any],
) -> dict[str, Any]:
    """The claims of a JWT whose signature and registered claims verify (python-jose's
    `options`); SignatureExpired when only `exp` fails."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=list(algorithms), audience=audience, issuer=issuer,
            options=options,
        )  # fmt: skip
    except ExpiredSignatureError as exc:
        raise SignatureExpired("token expired") from exc
    except JOSEError as exc:
        raise JoseFailure("invalid token") from exc
    return claims
