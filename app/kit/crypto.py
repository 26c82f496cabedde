"""Field-level encryption, blind indexes and key derivation."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import os
from collections.abc import Mapping, Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from app.kit.encoding import b64url_decode, b64url_encode

KEY_BYTES = 32
# The order of the P-256 group (FIPS 186-5 / SEC 2), for deriving a private scalar.
_P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_NONCE_BYTES = 12
_TAG_BYTES = 16
_URLSAFE = bytes.maketrans(b"+/", b"-_")  # base64 to base64url


class DecryptionError(ValueError):
    """A token could not be decrypted: unknown key, malformed, tampered or wrong context."""


def _check_key_id(key_id: str) -> None:
    # The key id is the token's prefix up to the first ":", so it must not contain one.
    if not key_id or ":" in key_id or not key_id.isascii() or not key_id.isprintable():
        raise ValueError(f"invalid key id {key_id!r}")


class FieldCipher:
    """AES-256-GCM encryption of single field values, tagged with the key id for rotation."""

    def __init__(self, keys: Mapping[str, bytes], active_key_id: str) -> None:
        if active_key_id not in keys:
            raise ValueError("active key id is not among the keys")
        self._ciphers: dict[str, AESGCM] = {}
        for key_id, key in keys.items():
            _check_key_id(key_id)
            if len(key) != KEY_BYTES:
                raise ValueError(f"key {key_id!r} must be {KEY_BYTES} bytes")
            self._ciphers[key_id] = AESGCM(key)
        self._active_key_id = active_key_id

    @property
    def active_key_id(self) -> str:
        """Return the id of the key new tokens are encrypted with."""
        return self._active_key_id

    def encrypt(self, plaintext: str, *, context: str = "") -> str:
        """Encrypt a value, binding it to `context` (e.g. table and column) as associated data."""
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self._ciphers[self._active_key_id].encrypt(
            nonce, plaintext.encode("utf-8"), context.encode("utf-8")
        )
        return f"{self._active_key_id}:{b64url_encode(nonce + sealed)}"

    def encrypt_many(self, plaintexts: Sequence[bytes], *, context: str = "") -> list[str]:
        """`encrypt` of each value (given UTF-8 encoded), with one draw from the system's
        randomness for all the nonces (a bulk import encrypts millions of values; the draw per
        value was a fifth of the cost). Each value still gets a nonce of its own."""
        nonces = os.urandom(_NONCE_BYTES * len(plaintexts))
        seal = self._ciphers[self._active_key_id].encrypt
        associated = context.encode("utf-8")
        prefix = f"{self._active_key_id}:"
        # b64url_encode, its steps taken here: a call less per value.
        encode, urlsafe = binascii.b2a_base64, _URLSAFE
        tokens = []
        for start, plaintext in zip(range(0, len(nonces), _NONCE_BYTES), plaintexts, strict=True):
            nonce = nonces[start : start + _NONCE_BYTES]
            blob = nonce + seal(nonce, plaintext, associated)
            text = encode(blob, newline=False).translate(urlsafe).rstrip(b"=").decode("ascii")
            tokens.append(prefix + text)
        return tokens

    def decrypt(self, token: str, *, context: str = "") -> str:
        """Decrypt a token produced by `encrypt` with the same context."""
        key_id = self.key_id_of(token)
        cipher = self._ciphers.get(key_id)
        if cipher is None:
            raise DecryptionError(f"unknown key id {key_id!r}")
        try:
            blob = b64url_decode(token[len(key_id) + 1 :])
        except ValueError as exc:
            raise DecryptionError("malformed token") from exc
        if len(blob) < _NONCE_BYTES + _TAG_BYTES:
            raise DecryptionError("malformed token")
        try:
            plaintext = cipher.decrypt(
                blob[:_NONCE_BYTES], blob[_NONCE_BYTES:], context.encode("utf-8")
            )
        except InvalidTag as exc:
            raise DecryptionError("token was tampered with or the context is wrong") from exc
        return plaintext.decode("utf-8")

    @staticmethod
    def key_id_of(token: str) -> str:
        """Return the id of the key a token was encrypted with."""
        key_id, sep, _ = token.partition(":")
        if not sep or not key_id:
            raise DecryptionError("malformed token")
        return key_id


class BlindIndex:
    """Keyed HMAC-SHA256 of a normalised value, for equality search over encrypted fields."""

    def __init__(self, key: bytes) -> None:
        if len(key) < KEY_BYTES:
            raise ValueError(f"blind index key must be at least {KEY_BYTES} bytes")
        self._key = key
        # The keyed state after the key's blocks, copied per value: a campaign indexes millions
        # of ID numbers, and keying a new HMAC each time was most of the cost.
        self._keyed = hmac.new(key, digestmod=hashlib.sha256)

    def compute(self, value: str) -> str:
        """Return the 64-character hex digest for a value."""
        mac = self._keyed.copy()
        mac.update(value.strip().upper().encode("utf-8"))
        return mac.hexdigest()

    def matches(self, value: str, digest: str) -> bool:
        """Return whether a value produces the given digest, in constant time."""
        return constant_time_equals(self.compute(value), digest)


def derive_key(secret: str, purpose: str) -> bytes:
    """Derive an independent 32-byte key for `purpose` from one configured secret (HKDF-SHA256)."""
    if not secret or not purpose:
        raise ValueError("secret and purpose must be non-empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=KEY_BYTES, salt=None, info=purpose.encode())
    return hkdf.derive(secret.encode("utf-8"))


def derive_p256_private_pem(secret: str, purpose: str) -> str:
    """A P-256 signing key (PKCS#8 PEM) derived from one configured secret for `purpose`.

    The same secret and purpose always give the same key, so the key needs no storage of its
    own and whoever holds the secret can sign; a different purpose gives an unrelated key. The
    scalar is taken from 64 bits more than the group order has and reduced into [1, n-1]
    (FIPS 186-5 A.2.1), so its bias is negligible.
    """
    if not secret or not purpose:
        raise ValueError("secret and purpose must be non-empty")
    hkdf = HKDF(algorithm=hashes.SHA256(), length=40, salt=None, info=purpose.encode())
    material = int.from_bytes(hkdf.derive(secret.encode("utf-8")), "big")
    private = ec.derive_private_key(material % (_P256_ORDER - 1) + 1, ec.SECP256R1())
    return private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode("ascii")


def sha256_hex(data: bytes) -> str:
    """Return the hex SHA-256 digest of data."""
    return hashlib.sha256(data).hexdigest()


def constant_time_equals(a: str, b: str) -> bool:
    """Compare two strings without leaking where they differ through timing."""
    # compare_digest rejects non-ASCII str, so compare the UTF-8 bytes instead.
    return hmac.compare_digest(a.encode("utf-8"), b.encode("utf-8"))
