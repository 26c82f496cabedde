"""JSON Web Tokens of identity (RS256 and ES256), on the JOSE primitives of app/kit/jose.py.

ID and logout tokens are RS256, the algorithm every OpenID Connect relying party accepts.
Access tokens are ES256 by default (QE_ACCESS_TOKEN_ALGORITHM): signing one costs a tenth of an
RS256 signature, and the token endpoint signs on every request. Each key is of one algorithm, and
a token verifies only under its key's algorithm, named explicitly: a header that says `none`,
`HS256` (in the hope that a public key is used as an HMAC secret) or another key's algorithm is
refused. The header's `typ` is checked too, so an ID token is never accepted as an access token,
nor a logout token as either (RFC 8725 §3.11).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from typing import Any

import orjson

from app.kit import jose
from app.kit.clock import utcnow
from app.kit.encoding import b64url_encode
from app.kit.jose import Key

ID_TOKEN_ALGORITHM = "RS256"  # noqa: S105 - an algorithm's name
# Every algorithm a signing key may have: each has its own active and next key.
ALGORITHMS = ("RS256", "ES256")

# Header `typ` values (token types, not secrets).
ACCESS_TOKEN_TYP = "at+jwt"  # noqa: S105 - RFC 9068
ID_TOKEN_TYP = "JWT"  # noqa: S105
LOGOUT_TOKEN_TYP = "logout+jwt"  # noqa: S105 - OpenID Connect Back-Channel Logout §2.4

# How many verified tokens' claims a process keeps (see `verify`): a few hundred KiB.
_VERIFIED_KEPT = 4096
_verified: OrderedDict[tuple[str, str, str, str, str], tuple[Key, dict[str, Any]]] = OrderedDict()
# How many distinct headers `header` keeps.
_HEADERS_KEPT = 64
_headers: dict[str, dict[str, Any]] = {}


class TokenError(Exception):
    """A token is malformed, forged, expired or meant for something else."""


class TokenExpired(TokenError):
    """A token's signature is good but it has expired."""


def private_key(pem: str, algorithm: str) -> Key:
    """A signing key from its PEM encoding."""
    return jose.construct_key(pem, algorithm)


def public_key(public_jwk: dict[str, Any], algorithm: str) -> Key:
    """A verification key from its JWK."""
    return jose.construct_key(public_jwk, algorithm)


def sign(claims: dict[str, Any], key: Key, *, kid: str, typ: str, algorithm: str) -> str:
    """A compact JWS of `claims`, signed with the key's `algorithm` under `kid`."""
    return jose.encode_jwt(claims, key, algorithm=algorithm, headers={"kid": kid, "typ": typ})


def header(token: str) -> dict[str, Any]:
    """The header of a token, unverified, after the checks that need no key.

    The tokens one key signs share their header, so headers that passed are kept by their
    encoded text (a handful: one per key and type) and not parsed again on every request; the
    rest of the token is checked when it is verified."""
    encoded = token.partition(".")[0]
    kept = _headers.get(encoded)
    if kept is not None:
        return dict(kept)
    try:
        values = jose.unverified_header(token)
    except jose.JoseFailure as exc:
        raise TokenError("malformed token") from exc
    if values.get("alg") not in ALGORITHMS:
        raise TokenError("algorithm not allowed")
    if "crit" in values:
        raise TokenError("critical header extensions are not supported")
    if not isinstance(values.get("kid"), str):
        raise TokenError("no key id")
    if len(_headers) >= _HEADERS_KEPT:
        _headers.clear()  # headers nobody's keys made: let them not crowd out the real ones
    _headers[encoded] = dict(values)
    return values


def unverified_claims(token: str) -> dict[str, Any]:
    """The claims of a token without checking anything: only to find out which key to use."""
    try:
        return jose.unverified_claims(token)
    except jose.JoseFailure as exc:
        raise TokenError("malformed token") from exc


def verify(
    token: str,
    key: Key,
    *,
    algorithm: str,
    typ: str,
    issuer: str,
    audience: str,
    leeway: int = 30,
    allow_expired: bool = False,
) -> dict[str, Any]:
    """The claims of a token whose signature, type, issuer, audience and times are valid.

    A token presented again (a partner's token on each of its calls, introspected by each
    resource server) is checked against the times again but not its signature: the claims of
    tokens this process verified lately are kept by the token's exact text and the key object
    that verified it, so a token with any other key, algorithm, type, issuer or audience, or
    one character changed, is verified from scratch."""
    lately = (token, algorithm, typ, issuer, audience)
    kept = _verified.get(lately)
    if kept is not None and kept[0] is key:
        claims = dict(kept[1])
    else:
        claims = _verified_signature(
            token, key, algorithm=algorithm, typ=typ, issuer=issuer, audience=audience
        )
        _verified[lately] = (key, dict(claims))
        if len(_verified) > _VERIFIED_KEPT:
            _verified.popitem(last=False)
    _check_times(claims, leeway=leeway, allow_expired=allow_expired)
    return claims


def _verified_signature(
    token: str, key: Key, *, algorithm: str, typ: str, issuer: str, audience: str
) -> dict[str, Any]:
    values = header(token)
    if values["alg"] != algorithm:
        raise TokenError("not the key's algorithm")
    if str(values.get("typ", "")).lower() != typ.lower():
        raise TokenError("wrong token type")
    # The times are checked below against the platform's clock (app.kit.clock), not by
    # python-jose against the machine's: one clock for issuing and for verifying.
    options = {
        "verify_exp": False,
        "verify_nbf": False,
        "require_iat": True,
        "require_iss": True,
        "require_aud": True,
        "verify_at_hash": False,
    }
    try:
        claims = jose.decode_jwt(
            token,
            key,
            algorithms=(algorithm,),
            audience=audience,
            issuer=issuer,
            options=options,
        )
    except jose.JoseFailure as exc:
        raise TokenError("invalid token") from exc
    return claims


def _check_times(claims: dict[str, Any], *, leeway: int, allow_expired: bool) -> None:
    now = utcnow().timestamp()
    expires, not_before = claims.get("exp"), claims.get("nbf")
    if not isinstance(expires, int) or isinstance(expires, bool):
        raise TokenError("no expiry")
    if not_before is not None:
        if not isinstance(not_before, int | float) or isinstance(not_before, bool):
            raise TokenError("invalid nbf")
        if not_before > now + leeway:
            raise TokenError("token not yet valid")
    if not allow_expired and expires < now - leeway:
        raise TokenExpired("token expired")


def claims_digest(claims: dict[str, Any]) -> str:
    """SHA-256 of a token's claims as canonical JSON (keys sorted, compact, UTF-8): equal
    exactly when the claims are."""
    return hashlib.sha256(_canonical_claims(claims)).hexdigest()


def _canonical_claims(claims: dict[str, Any]) -> bytes:
    # Every bearer request and every token digests its claims. For text, integers and objects
    # of text (what this service's tokens carry) orjson writes byte for byte what json.dumps
    # does, in a tenth of the time; digests stored before must still match. Anything else goes
    # the standard library's way: orjson writes NaN and the infinities as null, and refuses
    # integers beyond 64 bits and keys that are not text.
    if all(type(value) in _PLAIN or _is_text_object(value) for value in claims.values()):
        try:
            return orjson.dumps(claims, option=orjson.OPT_SORT_KEYS)
        except TypeError:  # orjson.JSONEncodeError is one
            pass
    canonical = json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return canonical.encode()


_PLAIN = frozenset({str, int})


def _is_text_object(value: Any) -> bool:
    return type(value) is dict and all(type(item) is str for item in value.values())


def at_hash(access_token: str) -> str:
    """The `at_hash` of an access token for an RS256 ID token (OpenID Connect Core §3.1.3.6)."""
    return b64url_encode(hashlib.sha256(access_token.encode("ascii")).digest()[:16])
