"""Sealed columns: a JSON document or a text stored as one AES-256-GCM ciphertext.

For the documents that carry personal data in fields nobody queries by content: an
application's form, its decision's explanation and its timeline notes, a license's fields.
Each is sealed whole rather than field by field because which fields are personal is the
services' and license types' to define, and keeps changing (a new service's form, shareholders
nested in a list, an ID number quoted in a free-text note); a list of field names to encrypt
would fall behind, and a document sealed whole cannot. What must be found by value keeps a
blind index beside it (a license's holder), and what must be counted keeps a plain column (an
application's outcomes).

The column types seal on write and open on read, so the domains keep reading `application.form`
and `license_.fields` as before. A column type has no request to take settings from: the key is
derived from the process's QE_SECRET_KEY (`get_settings()`, as the migrations read it) for this
purpose only, and each ciphertext is bound to its column (the associated data), so it cannot be
moved to another column and read there.
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Sequence
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

import orjson
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from app.config import Settings, get_settings
from app.kit.crypto import FieldCipher, derive_key

# Rotation: add "s2" beside "s1" and make it active; tokens name their key.
_KEY_ID = "s1"
_KEY_PURPOSE = "sealed-columns.s1"


class Sealed(str):
    """A value sealed already (the bulk import seals in its worker processes): stored as is."""

    __slots__ = ()


@functools.cache
def _cipher(secret: str) -> FieldCipher:
    return FieldCipher({_KEY_ID: derive_key(secret, _KEY_PURPOSE)}, _KEY_ID)


def _process_cipher() -> FieldCipher:
    return _cipher(get_settings().secret_key.get_secret_value())


# What json.dumps(value, ensure_ascii=False, separators=(",", ":")) writes, without building
# an encoder per call (that was most of the cost of sealing a bulk import's fields).
_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
# JSONEncoder.encode still builds its C encoder on every call, half the cost of encoding a
# license's few fields: this is the one it builds (the arguments JSONEncoder.iterencode passes
# for the settings above; a test compares the output), made once.
_iterencode = (
    None
    if c_make_encoder is None
    else c_make_encoder(
        None, _encoder.default, encode_basestring, None, ":", ",", False, False, True
    )
)


def _dumps(value: Any) -> str:
    if _iterencode is None:  # an interpreter without the C accelerator
        return _encoder.encode(value)
    return "".join(_iterencode(value, 0))


def seal_json(settings: Settings, value: Any, context: str) -> Sealed:
    """A JSON value sealed for the column named by `context` ("table.column")."""
    return Sealed(sealed_json_text(settings, value, context))


def sealed_json_text(settings: Settings, value: Any, context: str) -> str:
    """`seal_json` as a plain str: what the bulk import's worker processes send back, since a
    str subclass costs twice as much to pickle (`Sealed` is put back on where it matters)."""
    return _cipher(settings.secret_key.get_secret_value()).encrypt(_dumps(value), context=context)


def sealed_json_texts(settings: Settings, values: Sequence[Any], context: str) -> list[str]:
    """`sealed_json_text` of each value (one draw of randomness for all the nonces)."""
    cipher = _cipher(settings.secret_key.get_secret_value())
    return cipher.encrypt_many([_dumps_utf8(value) for value in values], context=context)


_FLAT = frozenset({str, int, float, bool, type(None)})


def _dumps_utf8(value: Any) -> bytes:
    """`_dumps`, UTF-8 encoded. A flat object of text and numbers, as a bulk import's license
    fields are, is written by orjson: the same compact JSON in a quarter of the time. Anything
    else, and what orjson refuses (an integer beyond 64 bits, a key that is not text), is
    written by `_dumps`; so is NaN or an infinity, which orjson would write as null."""
    if type(value) is dict:
        kinds = set(map(type, value.values()))
        if kinds <= _FLAT and (
            float not in kinds
            or all(math.isfinite(item) for item in value.values() if type(item) is float)
        ):
            try:
                return orjson.dumps(value)
            except TypeError:  # orjson.JSONEncodeError is one
                pass
    return _dumps(value).encode("utf-8")


class SealedJSON(TypeDecorator[Any]):
    """A JSON value, stored sealed; `context` names the column ("table.column")."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        if isinstance(value, Sealed):
            return str(value)
        return _process_cipher().encrypt(_dumps(value), context=self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return json.loads(_process_cipher().decrypt(str(value), context=self.context))


class SealedText(TypeDecorator[str]):
    """A text, stored sealed; `context` names the column ("table.column")."""

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        super().__init__()
        self.context = context

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _process_cipher().encrypt(value, context=self.context)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _process_cipher().decrypt(str(value), context=self.context)
