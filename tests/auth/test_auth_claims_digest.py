"""A token's claims digest (app.auth.tokens.claims_digest) is SHA-256 of its claims as canonical
JSON: keys sorted, compact, UTF-8. The records of tokens issued before it was computed with
orjson hold digests of json.dumps's text, so the two must agree byte for byte on what tokens
carry, and what orjson might write otherwise must take the standard library's way."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from app.auth import tokens


def _standard(claims: dict[str, Any]) -> str:
    text = json.dumps(claims, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


# Every character JSON must escape, the separators JavaScript treats as line ends, and text
# beyond the Basic Multilingual Plane.
AWKWARD = "".join(map(chr, range(0x20))) + '"\\/\u007f\u2028\u2029青岛\U0001f600'

CLAIMS: list[dict[str, Any]] = [
    {
        "iss": "https://id.example",
        "sub": "partner-3d43b253aa9289e1",
        "aud": "https://id.example",
        "client_id": "partner-3d43b253aa9289e1",
        "scope": "licenses.verify stats.read",
        "iat": 1796546341,
        "nbf": 1796546341,
        "exp": 1796546941,
        "jti": "Qk2pX0bY8lq3",
    },
    # A person acting for an enterprise (RFC 8693 act), keys given out of order.
    {"sub": "91370200MA3C5X8Y1K", "act": {"sub": "张三", "aud": AWKWARD}, "exp": 2, "aud": "a"},
    {AWKWARD: AWKWARD, "\U0001f600": 1, "\uffff": 2, "z": -(2**63), "a": 2**64 - 1},
]

# What orjson writes differently (NaN and the infinities, as null) or refuses (integers
# beyond 64 bits, keys that are not text), and what tokens do not carry: the standard
# library's way.
OTHERS: list[dict[str, Any]] = [
    {"exp": float("nan"), "sub": "a"},
    {"exp": float("-inf"), "act": {"sub": "a"}},
    {"exp": 1e16, "sub": "a"},
    {1: "a"},
    {"exp": 2**64, "sub": "a"},
    {"exp": -(2**63) - 1, "sub": "a"},
    {"flag": True, "none": None},
    {"amr": ["pwd", "face"]},
    {"act": {"sub": "a", "depth": 1}},
]


@pytest.mark.parametrize("claims", CLAIMS + OTHERS)
def test_the_digest_is_that_of_the_standard_librarys_canonical_text(
    claims: dict[str, Any],
) -> None:
    assert tokens.claims_digest(claims) == _standard(claims)


def test_the_digest_tells_claims_apart() -> None:
    first = dict(CLAIMS[0])
    assert tokens.claims_digest(first) != tokens.claims_digest({**first, "exp": first["exp"] + 1})
    assert tokens.claims_digest({"a": "1"}) != tokens.claims_digest({"a": 1})
