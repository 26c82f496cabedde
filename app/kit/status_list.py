"""W3C Bitstring Status List v1.0: the bitstring, its `encodedList`, and status entries.

A credential's `credentialStatus` is a `BitstringStatusListEntry` naming a status-list
credential (a URL) and an index into it. The status-list credential, signed and published by the
issuer, carries one bit per index in `credentialSubject.encodedList`: the raw bitstring,
GZIP-compressed (RFC 1952), then multibase base64url without padding ("u" + base64url). A set
bit means the purpose of the list ("revocation" or "suspension") applies to the credential.
Index 0 is the left-most bit of the bitstring, that is the most significant bit of byte 0.

Why a bitstring: a verifier downloads one list that covers every credential in it and checks a
bit offline, so the issuer never learns which credential is being checked. That privacy holds
only if each list is large and the indexes leak nothing, hence the spec's minimum of 131,072
entries (16 KiB), which we enforce on both ends, and its advice to allocate indexes at random
rather than in issuance order. Mostly-zero lists compress to a few dozen bytes.

This module is pure: no signing (status-list credentials are signed with JOSE elsewhere), no
storage, only the bits, their encoding, index proposals and the JSON shapes. Only statusSize 1
(one bit per credential) is supported.
"""

from __future__ import annotations

import gzip
import random
import re
import secrets
import zlib
from collections.abc import Container, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from app.kit.encoding import b64url_decode, b64url_encode

Purpose = Literal["revocation", "suspension"]
Reason = Literal["prefix", "base64", "gzip", "too_large", "too_short", "range", "entry"]

PURPOSES: tuple[Purpose, ...] = ("revocation", "suspension")
_PURPOSE_BY_NAME: dict[str, Purpose] = {purpose: purpose for purpose in PURPOSES}
MIN_SIZE = 131_072
"""The spec's minimum number of entries per list (16 KiB of bits), for herd privacy."""
DEFAULT_SIZE = MIN_SIZE
MAX_LIST_BYTES = 16 * 1024 * 1024
"""Decoding refuses to inflate more than this, so a tiny crafted list cannot exhaust memory."""
MAX_SIZE = MAX_LIST_BYTES * 8
ENTRY_TYPE = "BitstringStatusListEntry"
LIST_TYPE = "BitstringStatusList"
CREDENTIAL_TYPE = "BitstringStatusListCredential"
MULTIBASE_BASE64URL = "u"

_CANONICAL_INDEX = re.compile(r"0|[1-9][0-9]{0,19}")
_GZIP_WBITS = 16 + zlib.MAX_WBITS
_PROBES = 64
_system_random = secrets.SystemRandom()


class StatusListError(ValueError):
    """An encoded list, an index or a status entry is unusable; `reason` says which rule."""

    def __init__(self, reason: Reason, message: str) -> None:
        super().__init__(message)
        self.reason: Reason = reason


class StatusListFull(ValueError):
    """Every index of the list is taken; the caller should open a new list."""


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """A validated `BitstringStatusListEntry`: where to look and which bit."""

    list_url: str
    index: int
    purpose: Purpose


class StatusBitstring:
    """A fixed-size bitstring of credential statuses, one bit each, index 0 first (MSB)."""

    __slots__ = ("_bits",)

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        _check_size(size)
        self._bits = bytearray(size // 8)

    @classmethod
    def from_bytes(cls, data: bytes) -> StatusBitstring:
        """Wrap raw (uncompressed) bitstring bytes; the length rules of `__init__` apply."""
        bitstring = cls.__new__(cls)
        _check_size(len(data) * 8)
        bitstring._bits = bytearray(data)
        return bitstring

    @classmethod
    def from_indexes(cls, indexes: Iterable[int], size: int = DEFAULT_SIZE) -> StatusBitstring:
        """Build a list with exactly the given indexes set, e.g. from the revoked rows."""
        bitstring = cls(size)
        for index in indexes:
            bitstring.set(index)
        return bitstring

    @property
    def size(self) -> int:
        """Return the number of entries (bits)."""
        return len(self._bits) * 8

    def get(self, index: int) -> bool:
        """Return whether the bit at `index` is set."""
        self._check_index(index)
        return bool(self._bits[index >> 3] & (0x80 >> (index & 7)))

    def set(self, index: int, value: bool = True) -> None:
        """Set the bit at `index` (or clear it when `value` is false)."""
        self._check_index(index)
        if value:
            self._bits[index >> 3] |= 0x80 >> (index & 7)
        else:
            self._bits[index >> 3] &= ~(0x80 >> (index & 7)) & 0xFF

    def clear(self, index: int) -> None:
        """Clear the bit at `index`, e.g. when a suspension is lifted."""
        self.set(index, False)

    def indexes(self) -> Iterator[int]:
        """Yield the set indexes in ascending order."""
        for byte_index, byte in enumerate(self._bits):
            if byte:
                for bit in range(8):
                    if byte & (0x80 >> bit):
                        yield byte_index * 8 + bit

    def to_bytes(self) -> bytes:
        """Return the raw, uncompressed bitstring."""
        return bytes(self._bits)

    def encode(self) -> str:
        """Return the `encodedList` value: "u" + base64url-nopad(GZIP(bits)).

        The GZIP header carries mtime 0, so equal bits give equal strings (for one zlib build),
        which keeps republishing idempotent and lets callers skip re-signing an unchanged list.
        """
        compressed = gzip.compress(bytes(self._bits), compresslevel=9, mtime=0)
        return MULTIBASE_BASE64URL + b64url_encode(compressed)

    @classmethod
    def decode(cls, encoded: str, *, max_bytes: int = MAX_LIST_BYTES) -> StatusBitstring:
        """Parse an `encodedList`, refusing to inflate more than `max_bytes`."""
        if not isinstance(encoded, str) or not encoded.startswith(MULTIBASE_BASE64URL):
            raise StatusListError("prefix", 'encodedList must be multibase base64url ("u")')
        try:
            compressed = b64url_decode(encoded[1:])
        except ValueError as exc:
            raise StatusListError("base64", "encodedList is not unpadded base64url") from exc
        raw = _gunzip(compressed, max_bytes)
        if len(raw) * 8 < MIN_SIZE:
            raise StatusListError(
                "too_short", f"a status list has at least {MIN_SIZE} entries, got {len(raw) * 8}"
            )
        return cls.from_bytes(raw)

    def _check_index(self, index: int) -> None:
        if not 0 <= index < self.size:
            raise StatusListError("range", f"index {index} is outside 0..{self.size - 1}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, StatusBitstring):
            return NotImplemented
        return self._bits == other._bits

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return f"StatusBitstring(size={self.size}, set={sum(1 for _ in self.indexes())})"


def _check_size(size: int) -> None:
    if not MIN_SIZE <= size <= MAX_SIZE or size % 8:
        raise StatusListError(
            "too_short" if size < MIN_SIZE else "range",
            f"size must be a multiple of 8 between {MIN_SIZE} and {MAX_SIZE}, got {size}",
        )


def _gunzip(compressed: bytes, max_bytes: int) -> bytes:
    # One bounded inflate call: zlib stops writing at max_bytes + 1, whatever the input claims.
    inflater = zlib.decompressobj(wbits=_GZIP_WBITS)
    try:
        raw = inflater.decompress(compressed, max_bytes + 1)
    except zlib.error as exc:
        raise StatusListError("gzip", "encodedList is not valid GZIP") from exc
    if len(raw) > max_bytes:
        raise StatusListError("too_large", f"status list inflates beyond {max_bytes} bytes")
    # Truncated streams, a missing trailer, or a second member are all refused.
    if not inflater.eof or inflater.unused_data:
        raise StatusListError("gzip", "encodedList is not exactly one complete GZIP member")
    return raw


def allocate_index(
    used: Container[int],
    size: int = DEFAULT_SIZE,
    *,
    rng: random.Random | None = None,
    probes: int = _PROBES,
) -> int:
    """Propose a uniformly random index in range(size) that is not in `used`.

    Random rather than sequential indexes, as the spec advises, so an index reveals nothing about
    when or in which order a credential was issued. This only proposes a candidate: the database
    must enforce uniqueness of (list, index) with a constraint, and the caller retries on a
    conflict (pass an empty set to rely on the constraint alone). `probes` random draws are tried
    first; if all hit used indexes the list is nearly full, so the free indexes are enumerated
    and one is chosen from them, which is still uniform and raises `StatusListFull` when none
    is left.
    """
    if size < 1:
        raise ValueError("size must be positive")
    if rng is None:
        rng = _system_random
    for _ in range(probes):
        candidate = rng.randrange(size)
        if candidate not in used:
            return candidate
    free = [index for index in range(size) if index not in used]
    if not free:
        raise StatusListFull(f"all {size} indexes of the status list are in use")
    return rng.choice(free)


def _check_list_url(list_url: str) -> None:
    # The entry id is "<list_url>#<index>", so the URL itself must not carry a fragment.
    if (
        not list_url.isascii()
        or not list_url.isprintable()
        or " " in list_url
        or "#" in list_url
        or not urlsplit(list_url).scheme
    ):
        raise ValueError(
            f"status list URL must be an absolute URL without a fragment: {list_url!r}"
        )


def _check_purpose(purpose: str) -> Purpose:
    known = _PURPOSE_BY_NAME.get(purpose)
    if known is not None:
        return known
    raise ValueError(f"status purpose must be one of {PURPOSES}, got {purpose!r}")


def status_list_entry(
    list_url: str, index: int, purpose: Purpose, *, size: int = DEFAULT_SIZE
) -> dict[str, str]:
    """Return the `credentialStatus` (a `BitstringStatusListEntry`) for a credential."""
    _check_list_url(list_url)
    _check_purpose(purpose)
    if not 0 <= index < size:
        raise StatusListError("range", f"index {index} is outside 0..{size - 1}")
    return {
        "id": f"{list_url}#{index}",
        "type": ENTRY_TYPE,
        "statusPurpose": purpose,
        "statusListIndex": str(index),
        "statusListCredential": list_url,
    }


def status_list_credential_subject(list_url: str, purpose: Purpose, encoded: str) -> dict[str, str]:
    """Return the `credentialSubject` of a `BitstringStatusListCredential` (before signing)."""
    _check_list_url(list_url)
    _check_purpose(purpose)
    StatusBitstring.decode(encoded)  # never publish a list a verifier would reject
    return {
        "id": f"{list_url}#list",
        "type": LIST_TYPE,
        "statusPurpose": purpose,
        "encodedList": encoded,
    }


def parse_status_entry(entry: Mapping[str, object]) -> StatusEntry:
    """Validate a `BitstringStatusListEntry` from a presented credential."""
    if not isinstance(entry, Mapping) or entry.get("type") != ENTRY_TYPE:
        raise StatusListError("entry", f"credentialStatus is not a {ENTRY_TYPE}")
    purpose = entry.get("statusPurpose")
    list_url = entry.get("statusListCredential")
    raw_index = entry.get("statusListIndex")
    status_size = entry.get("statusSize", 1)
    if not isinstance(purpose, str) or purpose not in PURPOSES:
        raise StatusListError("entry", f"statusPurpose must be one of {PURPOSES}")
    if not isinstance(raw_index, str) or not _CANONICAL_INDEX.fullmatch(raw_index):
        raise StatusListError("entry", "statusListIndex must be a base-10 integer string")
    if type(status_size) is not int or status_size != 1:
        raise StatusListError("entry", "only statusSize 1 is supported")
    if not isinstance(list_url, str):
        raise StatusListError("entry", "statusListCredential must be a URL")
    try:
        _check_list_url(list_url)
    except ValueError as exc:
        raise StatusListError("entry", "statusListCredential must be a URL") from exc
    return StatusEntry(list_url=list_url, index=int(raw_index), purpose=_check_purpose(purpose))


def status_of(
    entry: Mapping[str, object], encoded_list: str, *, list_purpose: str | None = None
) -> bool:
    """Return whether the entry's bit is set in an already signature-verified `encodedList`.

    True means the entry's purpose applies: the credential is revoked (or suspended). Pass the
    list credential's `statusPurpose` as `list_purpose` to have a mismatch refused. Raises
    `StatusListError` for a malformed entry or list, a list shorter than the spec's minimum,
    or an index beyond the list (never read as "not revoked").
    """
    parsed = parse_status_entry(entry)
    if list_purpose is not None and list_purpose != parsed.purpose:
        raise StatusListError(
            "entry", f"entry is for {parsed.purpose!r} but the list is for {list_purpose!r}"
        )
    bitstring = StatusBitstring.decode(encoded_list)
    if parsed.index >= bitstring.size:
        raise StatusListError(
            "range", f"statusListIndex {parsed.index} is beyond the list's {bitstring.size} entries"
        )
    return bitstring.get(parsed.index)
