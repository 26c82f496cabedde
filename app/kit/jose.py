"""JOSE (JWS and JWT) primitives: the one module that uses python-jose, so it can be swapped.

Callers always name the algorithms they accept; nothing here picks one from a token's header.
Identity's tokens (RS256, app/auth/tokens.py) and the e-licenses' credentials (ES256,
app/certificates/jws.py) add their own checks of `typ`, claims and keys on top.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from jose import jwk, jws, jwt
from jose.backends.base import Key
from jose.exceptions import ExpiredSignatureError, JOSEError

__all__ = [
    "JoseFailure",
    "Key",
    "SignatureExpired",
    "construct_key",
    "decode_jwt",
    "encode_jwt",
    "sign_bytes",
    "unverified_claims",
    "unverified_header",
    "verify_bytes",
]


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


def encode_jwt(claims: dict[str, Any], key: Key, *, algorithm: str, headers: dict[str, Any]) -> str:
    """A signed JWT of `claims`."""
    token: str = jwt.encode(claims, key, algorithm=algorithm, headers=headers)
    return token


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
