"""Encryption, blind indexes and masks of the personal identifiers accounts hold."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from app.config import Settings
from app.kit.crypto import BlindIndex, FieldCipher, derive_key
from app.kit.masking import mask_id_number, mask_phone

# The data-access log (app.adapters.access_log) indexes ID numbers with this same key, so an
# account's `id_number_index` finds the reads of that person's data.
_BLIND_INDEX_PURPOSE = "blind-index"
_CIPHER_KEY_ID = "k1"
_CIPHER_PURPOSE = "auth.personal-data.k1"
_MOBILE = re.compile(r"1[3-9][0-9]{9}")


class InvalidPhone(ValueError):
    """Not a mainland mobile number."""


@dataclass(frozen=True, slots=True)
class Protected:
    """A value as stored: ciphertext, blind index and masked form."""

    cipher: str
    index: str
    masked: str


def normalize_phone(value: str) -> str:
    """A mainland mobile number as 11 digits (accepts +86, 86, spaces and dashes)."""
    digits = re.sub(r"[\s-]", "", value)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    if not digits.isascii() or not _MOBILE.fullmatch(digits):
        raise InvalidPhone("not a mainland mobile number")
    return digits


def looks_like_phone(value: str) -> bool:
    """Whether a login name is a phone number (staff logins start with a letter)."""
    try:
        normalize_phone(value)
    except InvalidPhone:
        return False
    return True


@functools.cache
def _blind_index(secret: str) -> BlindIndex:
    return BlindIndex(derive_key(secret, _BLIND_INDEX_PURPOSE))


@functools.cache
def _cipher(secret: str) -> FieldCipher:
    return FieldCipher({_CIPHER_KEY_ID: derive_key(secret, _CIPHER_PURPOSE)}, _CIPHER_KEY_ID)


def blind_index(settings: Settings, value: str) -> str:
    """The keyed look-up digest of a normalised phone or ID number."""
    return _blind_index(settings.secret_key.get_secret_value()).compute(value)


def protect_phone(settings: Settings, phone: str) -> Protected:
    """Encrypt, index and mask a normalised phone number."""
    cipher = _cipher(settings.secret_key.get_secret_value())
    return Protected(
        cipher=cipher.encrypt(phone, context="person_accounts.phone"),
        index=blind_index(settings, phone),
        masked=mask_phone(phone),
    )


def protect_id_number(settings: Settings, id_number: str) -> Protected:
    """Encrypt, index and mask a validated resident ID number."""
    cipher = _cipher(settings.secret_key.get_secret_value())
    return Protected(
        cipher=cipher.encrypt(id_number, context="person_accounts.id_number"),
        index=blind_index(settings, id_number),
        masked=mask_id_number(id_number),
    )


def reveal_phone(settings: Settings, token: str) -> str:
    """The phone number, for its owner (userinfo's `phone` scope)."""
    cipher = _cipher(settings.secret_key.get_secret_value())
    return cipher.decrypt(token, context="person_accounts.phone")


def reveal_id_number(settings: Settings, token: str) -> str:
    """The ID number, for its owner (`GET /api/v1/me`) and for checks made on their behalf."""
    cipher = _cipher(settings.secret_key.get_secret_value())
    return cipher.decrypt(token, context="person_accounts.id_number")
