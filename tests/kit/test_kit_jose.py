"""The JOSE helpers the audit checkpoints use: derived P-256 keys, thumbprints, detached JWS."""

from __future__ import annotations

import pytest
from joserfc.jwk import ECKey, RSAKey

from app.kit import jose
from app.kit.crypto import derive_p256_private_pem
from app.kit.encoding import b64url_encode

SECRET = "a-secret-of-the-platform-that-is-long-enough"


def test_a_derived_key_depends_on_the_secret_and_the_purpose_only() -> None:
    pem = derive_p256_private_pem(SECRET, "audit.checkpoints")
    assert pem == derive_p256_private_pem(SECRET, "audit.checkpoints")
    assert pem != derive_p256_private_pem(SECRET, "something.else")
    assert pem != derive_p256_private_pem(SECRET + "!", "audit.checkpoints")
    assert jose.p256_public_jwk(pem)["crv"] == "P-256"
    with pytest.raises(ValueError, match="non-empty"):
        derive_p256_private_pem("", "audit.checkpoints")


def test_thumbprints_agree_with_an_independent_implementation() -> None:
    ec_jwk = jose.p256_public_jwk(derive_p256_private_pem(SECRET, "thumbprint"))
    assert jose.jwk_thumbprint(ec_jwk) == ECKey.import_key(ec_jwk).thumbprint()
    # Members beyond the required ones (kid, use, alg) do not change it (RFC 7638 §3.2).
    assert jose.jwk_thumbprint({**ec_jwk, "kid": "x", "use": "sig"}) == jose.jwk_thumbprint(ec_jwk)
    rsa = RSAKey.generate_key(2048).as_dict(private=False)
    assert jose.jwk_thumbprint(rsa) == RSAKey.import_key(rsa).thumbprint()


def test_a_detached_signature_verifies_over_its_payload_only() -> None:
    pem = derive_p256_private_pem(SECRET, "detached")
    private = jose.construct_key(pem, "ES256")
    public = jose.construct_key(jose.p256_public_jwk(pem), "ES256")
    signature = jose.sign_detached(b'{"seq":1}', private, algorithm="ES256", headers={"kid": "k"})
    assert signature.split(".")[1] == ""
    assert jose.verify_detached(signature, b'{"seq":1}', public, algorithms=["ES256"])["kid"] == "k"
    with pytest.raises(jose.JoseFailure):
        jose.verify_detached(signature, b'{"seq":2}', public, algorithms=["ES256"])
    with pytest.raises(jose.JoseFailure):  # not the algorithm the caller allows
        jose.verify_detached(signature, b'{"seq":1}', public, algorithms=["RS256"])
    attached = signature.replace("..", "." + b64url_encode(b'{"seq":1}') + ".")
    with pytest.raises(jose.JoseFailure, match="detached"):
        jose.verify_detached(attached, b'{"seq":1}', public, algorithms=["ES256"])
    unencoded = jose.sign_detached(
        b'{"seq":1}', private, algorithm="ES256", headers={"b64": False, "crit": ["b64"]}
    )
    with pytest.raises(jose.JoseFailure, match="unsupported"):
        jose.verify_detached(unencoded, b'{"seq":1}', public, algorithms=["ES256"])
