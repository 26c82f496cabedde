"""The canonical encoding that the audit chain hashes, specified so anyone can re-verify it.

An external auditor needs nothing but a database export and this description:

* canonical JSON: object keys sorted, no whitespace (`,` and `:` separators), strings as UTF-8
  without `\\u` escapes except the ones JSON requires (`"`, `\\\\` and control characters), integers
  as decimal digits, `null` for a missing value. For the record bodies below — ASCII keys, strings,
  integers and null only — this is exactly RFC 8785 (JCS), so any JCS library reproduces it.
* timestamps: RFC 3339 in UTC with exactly six fraction digits, e.g. `2026-11-23T20:31:02.123456Z`.
* a record body is the object of the record's columns `action, actor_id, actor_type,
  changes_digest, client_address, id, occurred_at, purpose, request_id, seq, subject_id,
  subject_type` (`id` as a lowercase hyphenated UUID, `seq` as an integer).
* `hash = hex(SHA-256(prev_hash || canonical_json(body)))`, where `prev_hash` is the previous
  record's `hash` as 64 lowercase ASCII hex characters; the first record's `prev_hash` is
  `GENESIS_HASH` (64 zeros). (On PostgreSQL the database finishes this very computation — see
  `SeqTemplate` — and verification recomputes it here, so the two are checked against each
  other on every verify.)
* `changes_digest = hex(SHA-256(canonical_json({"after": after, "before": before})))`. The values
  themselves are not stored (they may hold personal data); whoever holds them can prove the
  digest. Extra types in before/after encode as: UUID → string, date → ISO 8601, Decimal →
  string, Enum → its value, set → sorted list. Prefer strings and integers over floats, whose
  spelling differs between languages.
* an unsealed record (appended, not yet linked by the sealer) has no seq, prev_hash or hash but
  `body_digest = hex(SHA-256(canonical_json(body)))` with `seq` null in the body. Sealing clears
  it; from then on the record's `hash` covers the same content.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

GENESIS_HASH = "0" * 64

RECORD_FIELDS = (
    "action",
    "actor_id",
    "actor_type",
    "changes_digest",
    "client_address",
    "id",
    "occurred_at",
    "purpose",
    "request_id",
    "seq",
    "subject_id",
    "subject_type",
)


def format_timestamp(moment: datetime) -> str:
    """RFC 3339 UTC with microseconds; a naive datetime is refused rather than guessed."""
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("naive datetime in audited data; attach a timezone first")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return format_timestamp(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, set | frozenset):
        return sorted(value)
    raise TypeError(f"cannot encode {type(value).__name__} in an audit record")


def canonical_json(value: Any) -> bytes:
    """The canonical UTF-8 JSON encoding of a value (see the module docstring)."""
    text = json.dumps(
        value,
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        allow_nan=False,
        default=_default,
    )
    return text.encode("utf-8")


def changes_digest(before: Mapping[str, Any] | None, after: Mapping[str, Any] | None) -> str:
    """The hex SHA-256 of the canonical before/after pair."""
    payload = {
        "after": dict(after) if after is not None else None,
        "before": dict(before) if before is not None else None,
    }
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def record_body(
    *,
    seq: int,
    id: uuid.UUID,
    occurred_at: datetime,
    actor_type: str,
    actor_id: str,
    action: str,
    subject_type: str,
    subject_id: str,
    purpose: str | None,
    request_id: str | None,
    client_address: str | None,
    changes_digest: str,
) -> dict[str, Any]:
    """The hashed body of a record, from its column values."""
    return {
        "action": action,
        "actor_id": actor_id,
        "actor_type": actor_type,
        "changes_digest": changes_digest,
        "client_address": client_address,
        "id": str(id),
        "occurred_at": format_timestamp(occurred_at),
        "purpose": purpose,
        "request_id": request_id,
        "seq": seq,
        "subject_id": subject_id,
        "subject_type": subject_type,
    }


def chain_hash(prev_hash: str, body: Mapping[str, Any]) -> str:
    """hex(SHA-256(prev_hash || canonical_json(body)))."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(canonical_json(body))
    return digest.hexdigest()


@dataclass(frozen=True, slots=True)
class SeqTemplate:
    """A record body's canonical JSON split around its seq: `prefix + str(seq) + suffix`.

    A record's seq and prev_hash are only known once the chain head is locked. Splitting the
    encoding there lets PostgreSQL lock the head, finish the hash and insert the record in one
    statement (one round trip), with exactly the bytes `chain_hash` would hash.
    """

    prefix: str
    suffix: str

    def chain_hash(self, prev_hash: str, seq: int) -> str:
        """hex(SHA-256(prev_hash || canonical_json(body))) for the body at position `seq`."""
        text = prev_hash + self.prefix + str(seq) + self.suffix
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def body_digest(self) -> str:
        """hex(SHA-256(canonical_json(body))) with seq null: an unsealed record's digest."""
        return hashlib.sha256((self.prefix + "null" + self.suffix).encode("utf-8")).hexdigest()


def seq_template(**fields: Any) -> SeqTemplate:
    """The SeqTemplate of a record body given every field but seq (as for `record_body`)."""
    body = record_body(seq=0, **fields)
    # Keys are sorted, so seq splits the object into the keys before it and those after it.
    lower = canonical_json({k: v for k, v in body.items() if k < "seq"}).decode("utf-8")
    upper = canonical_json({k: v for k, v in body.items() if k > "seq"}).decode("utf-8")
    return SeqTemplate(prefix=lower[:-1] + ',"seq":', suffix="," + upper[1:])
