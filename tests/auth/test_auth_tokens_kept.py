"""Access tokens verified again: the signature of a token seen lately is not checked twice, and
nothing else about it is taken on trust (app.auth.tokens.verify)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from app.auth import tokens
from app.kit import clock, jose

ISSUER = "https://id.example"


class _Pair:
    """A P-256 key: the private half signs, the public half (as published) verifies."""

    def __init__(self) -> None:
        pem = (
            ec.generate_private_key(ec.SECP256R1())
            .private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            .decode()
        )
        self.signing = tokens.private_key(pem, "ES256")
        self.public = tokens.public_key(jose.p256_public_jwk(pem), "ES256")


def _key() -> _Pair:
    return _Pair()


def _token(pair: _Pair) -> str:
    now = int(clock.utcnow().timestamp())
    claims = {"iss": ISSUER, "aud": ISSUER, "sub": "partner", "iat": now, "exp": now + 300}
    return tokens.sign(claims, pair.signing, kid="k1", typ=tokens.ACCESS_TOKEN_TYP,
                       algorithm="ES256")  # fmt: skip


def _verify(token: str, pair: _Pair) -> dict[str, Any]:
    return tokens.verify(token, pair.public, algorithm="ES256", typ=tokens.ACCESS_TOKEN_TYP,
                         issuer=ISSUER, audience=ISSUER)  # fmt: skip


@pytest.fixture
def decodes(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The tokens whose signature is actually checked."""
    seen: list[str] = []
    real = jose.decode_jwt

    def counting(token: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        seen.append(token)
        return real(token, *args, **kwargs)

    monkeypatch.setattr(jose, "decode_jwt", counting)
    yield seen
    clock.back_to_real_time()


def test_a_token_presented_again_is_not_verified_twice(decodes: list[str]) -> None:
    key = _key()
    token = _token(key)
    first = _verify(token, key)
    first["sub"] = "changed by a caller"
    again = _verify(token, key)
    assert decodes == [token]
    assert again["sub"] == "partner"  # callers get copies


def test_another_key_verifies_from_scratch_and_refuses(decodes: list[str]) -> None:
    key, other = _key(), _key()
    token = _token(key)
    _verify(token, key)
    with pytest.raises(tokens.TokenError):
        _verify(token, other)
    assert decodes == [token, token]


def test_a_changed_character_is_a_new_token(decodes: list[str]) -> None:
    key = _key()
    token = _token(key)
    _verify(token, key)
    head, payload, signature = token.split(".")
    forged = ".".join((head, payload, ("A" if signature[0] != "A" else "B") + signature[1:]))
    with pytest.raises(tokens.TokenError):
        _verify(forged, key)
    assert decodes == [token, forged]


def test_the_times_are_checked_on_every_presentation(decodes: list[str]) -> None:
    key = _key()
    token = _token(key)
    _verify(token, key)
    clock.travel_to(clock.utcnow() + timedelta(minutes=10))
    with pytest.raises(tokens.TokenExpired):
        _verify(token, key)
    assert decodes == [token]


def test_the_audience_is_part_of_what_was_verified(decodes: list[str]) -> None:
    key = _key()
    token = _token(key)
    _verify(token, key)
    with pytest.raises(tokens.TokenError):
        tokens.verify(token, key.public, algorithm="ES256", typ=tokens.ACCESS_TOKEN_TYP,
                      issuer=ISSUER, audience="https://elsewhere.example")  # fmt: skip
    assert len(decodes) == 2
