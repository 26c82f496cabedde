"""License holders: a person's ID number protected at rest, an enterprise's USCC validated.

A person's ID number is indexed with the platform's blind index (the key of
`app.adapters.access_log.blind_index_from_settings`, normalised the same way) so that an
account's `id_number_index` finds that person's licenses; it is encrypted with a key of its own.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date

from app.adapters.access_log import blind_index_from_settings
from app.certificates.errors import InvalidLicense
from app.certificates.schemas import HolderCreate
from app.config import Settings
from app.kit.crypto import BlindIndex, FieldCipher, derive_key
from app.kit.masking import mask_id_number
from app.kit.resident_id import InvalidResidentId, parse_resident_id
from app.kit.uscc import InvalidUscc, parse_uscc

_CIPHER_KEY_ID = "k1"
_CIPHER_PURPOSE = "certificates.holder-id-number.k1"
_CIPHER_CONTEXT = "licenses.holder_id_number"


@dataclass(frozen=True, slots=True)
class Holder:
    """A holder as stored: exactly one of the person columns or `uscc` is set."""

    kind: str
    name: str
    id_cipher: str | None = None
    id_index: str | None = None
    id_masked: str | None = None
    uscc: str | None = None


def _invalid(field: str, zh: str, en: str) -> InvalidLicense:
    return InvalidLicense(
        zh, en, extra={"invalid_params": [{"name": f"body.holder.{field}", "reason": en}]}
    )


@functools.cache
def _cipher(secret: str) -> FieldCipher:
    return FieldCipher({_CIPHER_KEY_ID: derive_key(secret, _CIPHER_PURPOSE)}, _CIPHER_KEY_ID)


def protect_id_numbers(settings: Settings, id_numbers: Sequence[str]) -> list[str]:
    """The ciphers of valid, normalised ID numbers, as `protect` stores them (a bulk import
    encrypts a chunk's at once)."""
    cipher = _cipher(settings.secret_key.get_secret_value())
    return cipher.encrypt_many([number.encode() for number in id_numbers], context=_CIPHER_CONTEXT)


# Deriving the key costs more than the HMAC itself: a bulk import computes millions of them.
_blind_indexes: dict[str, BlindIndex] = {}


def _blind_index(settings: Settings) -> BlindIndex:
    secret = settings.secret_key.get_secret_value()
    found = _blind_indexes.get(secret)
    if found is None:
        found = _blind_indexes[secret] = blind_index_from_settings(settings)
    return found


def id_number_index(settings: Settings, id_number: str) -> str:
    """The platform's blind index of an ID number, as accounts and the access log compute it."""
    return _blind_index(settings).compute(id_number.strip().upper())


def id_number_indexer(settings: Settings) -> Callable[[str], str]:
    """`id_number_index` for a bulk import's many numbers: the index looked up once."""
    return _blind_index(settings).compute


def protect(settings: Settings, data: HolderCreate, *, today: date | None = None) -> Holder:
    """The holder as stored; InvalidLicense (422) for a missing or invalid ID number or USCC.

    `today` (Beijing's date, by default read now) bounds a birth date: a bulk import reads the
    clock once per chunk rather than once per row."""
    name = data.name.strip()
    if data.kind == "person":
        if data.id_number is None or data.uscc is not None:
            raise _invalid(
                "id_number", "个人持证者须提供身份证号码", "a person holder needs id_number"
            )
        try:
            id_number = parse_resident_id(data.id_number.strip().upper(), today=today).number
        except InvalidResidentId as exc:
            raise _invalid(
                "id_number", "身份证号码无效", f"invalid ID number ({exc.reason})"
            ) from exc
        secret = settings.secret_key.get_secret_value()
        return Holder(
            kind="person",
            name=name,
            id_cipher=_cipher(secret).encrypt(id_number, context=_CIPHER_CONTEXT),
            id_index=id_number_index(settings, id_number),
            id_masked=mask_id_number(id_number),
        )
    if data.uscc is None or data.id_number is not None:
        raise _invalid(
            "uscc", "企业持证者须提供统一社会信用代码", "an enterprise holder needs uscc"
        )
    try:
        uscc = parse_uscc(data.uscc).code
    except InvalidUscc as exc:
        raise _invalid("uscc", "统一社会信用代码无效", f"invalid USCC ({exc.reason})") from exc
    return Holder(kind="enterprise", name=name, uscc=uscc)
