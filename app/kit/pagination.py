"""Opaque cursors for keyset pagination, and the page envelope."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from typing import Generic, TypeVar

from pydantic import BaseModel

from app.kit.encoding import b64url_decode, b64url_encode

CursorValue = str | int | float | None
T = TypeVar("T")

# A cursor only carries a few sort keys; anything longer is garbage or abuse.
_MAX_CURSOR_CHARS = 1024


class InvalidCursor(ValueError):
    """A pagination cursor is malformed or does not fit the query."""


class Page(BaseModel, Generic[T]):
    """One page of results plus the cursor for the next page, if any."""

    items: list[T]
    next_cursor: str | None = None


def _is_cursor_value(value: object) -> bool:
    # bool is an int subclass, but a boolean sort key would be a bug, not a cursor.
    return value is None or (isinstance(value, str | int | float) and not isinstance(value, bool))


def encode_cursor(values: Sequence[CursorValue]) -> str:
    """Encode sort-key values as an opaque URL-safe cursor."""
    if not all(_is_cursor_value(v) for v in values):
        raise TypeError("cursor values must be str, int, float or None")
    payload = json.dumps(list(values), separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    return b64url_encode(payload.encode("utf-8"))


def _reject_constant(name: str) -> float:
    raise ValueError(f"non-finite number {name}")


def decode_cursor(cursor: str, *, arity: int) -> list[CursorValue]:
    """Decode a cursor made by `encode_cursor`, requiring exactly `arity` values."""
    if len(cursor) > _MAX_CURSOR_CHARS:
        raise InvalidCursor("cursor is too long")
    try:
        values = json.loads(b64url_decode(cursor).decode("utf-8"), parse_constant=_reject_constant)
    except ValueError as exc:  # also covers binascii, Unicode and JSON decode errors
        raise InvalidCursor("cursor is malformed") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor("cursor does not match the query")
    if not all(_is_cursor_value(v) for v in values):
        raise InvalidCursor("cursor holds unexpected value types")
    return values


def decode_id_cursor(cursor: str | None) -> uuid.UUID | None:
    """The id a keyset page of time-ordered ids continues after (None: the first page)."""
    if cursor is None:
        return None
    (value,) = decode_cursor(cursor, arity=1)
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidCursor("cursor does not hold an id") from exc
