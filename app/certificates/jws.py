"""ES256 compact JWS for credentials, on the JOSE primitives of app/kit/jose.py.

Credentials are secured as in W3C VC-JOSE-COSE: the JWS payload is the credential itself (no
JWT claims around it) and the header names `alg` ES256, `typ` `vc+jwt` and the `kid` of a key
published at /api/v1/licenses/jwks. Verification allow-lists ES256 and checks `typ` before any
key is touched, so a header saying `none` or `HS256` is refused (RFC 8725 §3.1).
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.kit import jose
from app.kit.encoding import b64url_encode
from app.kit.jose import Key

ALGORITHM = "ES256"
ALLOWED_ALGORITHMS = (ALGORITHM,)
CREDENTIAL_TYP = "vc+jwt"
MEDIA_TYPE = "application/vc+jwt"
_COORDINATE_BYTES = 32


class CredentialSignatureError(Exception):
    """A credential is malformed, forged, or not an ES256 `vc+jwt`."""


def generate_private_pem() -> str:
    """A new P-256 private key, PKCS#8 PEM."""
    private = ec.generate_private_key(ec.SECP256R1())
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def public_jwk(private_pem: str, kid: str) -> dict[str, str]:
    """The public JWK (kty EC, crv P-256) of a private key, for the JWKS."""
    private = serialization.load_pem_private_key(private_pem.encode("ascii"), password=None)
    if not isinstance(private, ec.EllipticCurvePrivateKey) or not isinstance(
        private.curve, ec.SECP256R1
    ):
        raise ValueError("not a P-256 private key")
    numbers = private.public_key().public_numbers()
    return {
        "kty": "EC",
        "crv": "P-256",
        "kid": kid,
        "use": "sig",
        "alg": ALGORITHM,
        "x": b64url_encode(numbers.x.to_bytes(_COORDINATE_BYTES, "big")),
        "y": b64url_encode(numbers.y.to_bytes(_COORDINATE_BYTES, "big")),
    }


def private_key(pem: str) -> Key:
    """A signing key from its PEM encoding."""
    return jose.construct_key(pem, ALGORITHM)


def public_key(jwk_: dict[str, Any]) -> Key:
    """A verification key from its JWK."""
    return jose.construct_key(jwk_, ALGORITHM)


def sign(payload: dict[str, Any], key: Key, *, kid: str, typ: str = CREDENTIAL_TYP) -> str:
    """A compact JWS of the JSON `payload`, signed with ES256 under `kid`."""
    body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    return jose.sign_bytes(body, key, algorithm=ALGORITHM, headers={"kid": kid, "typ": typ})


def unverified_kid(token: str) -> str | None:
    """The `kid` a compact JWS claims, to choose the key that verifies it (None: unreadable)."""
    try:
        kid = jose.unverified_header(token).get("kid")
    except jose.JoseFailure:
        return None
    return kid if isinstance(kid, str) and 0 < len(kid) <= 64 else None


def verify(token: str, key: Key, *, typ: str = CREDENTIAL_TYP) -> dict[str, Any]:
    """The payload of a compact JWS whose header and ES256 signature are valid."""
    try:
        header = jose.unverified_header(token)
    except jose.JoseFailure as exc:
        raise CredentialSignatureError("malformed credential") from exc
    if header.get("alg") not in ALLOWED_ALGORITHMS:
        raise CredentialSignatureError("algorithm not allowed")
    if "crit" in header:
        raise CredentialSignatureError("critical header extensions are not supported")
    if str(header.get("typ", "")).lower() != typ:
        raise CredentialSignatureError("wrong type")
    try:
        payload = json.loads(jose.verify_bytes(token, key, algorithms=ALLOWED_ALGORITHMS))
    except (jose.JoseFailure, ValueError) as exc:
        raise CredentialSignatureError("invalid credential") from exc
    if not isinstance(payload, dict):
        raise CredentialSignatureError("the payload is not a JSON object")
    return payload
