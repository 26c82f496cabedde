"""What callers hand to the audit log, and what it reports back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_serializer

from app.audit.canonical import format_timestamp

ActorType = Literal["person", "staff", "client", "system"]

BreakReason = Literal[
    "hash_mismatch",
    "sequence_gap",
    "prev_hash_mismatch",
    "head_mismatch",
    "head_missing",
    "checkpoint_mismatch",
    "checkpoint_refused",
    "unsealed_record_altered",
]
CheckpointRefusal = Literal["malformed", "unknown_key", "bad_signature"]
VerificationMode = Literal["full", "from_checkpoint"]

_ACTION = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"


class AuditEntry(BaseModel):
    """One state change to record: who, what, on which subject, why, and the change itself.

    `before`/`after` are only digested, never stored; still, pass masked values or blind indexes
    rather than raw ID numbers, since a digest of a low-entropy value can be guessed.
    """

    model_config = ConfigDict(frozen=True)

    actor_type: ActorType
    actor_id: str = Field(min_length=1, max_length=128)
    action: str = Field(max_length=100, pattern=_ACTION, examples=["license.revoked"])
    subject_type: str = Field(min_length=1, max_length=64)
    subject_id: str = Field(min_length=1, max_length=128)
    purpose: str | None = Field(default=None, max_length=255)
    request_id: str | None = Field(default=None, max_length=128)
    client_address: str | None = Field(default=None, max_length=64)
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class AuditContext:
    """Where a change came from: the request id and client address (None outside a request)."""

    request_id: str | None = None
    client_address: str | None = None

    def entry(
        self,
        *,
        actor_type: ActorType,
        actor_id: str,
        action: str,
        subject_type: str,
        subject_id: str,
        purpose: str | None = None,
        before: Mapping[str, Any] | None = None,
        after: Mapping[str, Any] | None = None,
    ) -> AuditEntry:
        """An AuditEntry carrying this context's request id and client address."""
        return AuditEntry(
            actor_type=actor_type,
            actor_id=actor_id,
            action=action,
            subject_type=subject_type,
            subject_id=subject_id,
            purpose=purpose,
            request_id=self.request_id,
            client_address=self.client_address,
            before=before,
            after=after,
        )


class Checkpoint(BaseModel):
    """A signed anchor of the chain: the head's position and hash at a moment, as stored.

    `signature` is an ES256 JWS with detached content (RFC 7515 Appendix F) over the canonical
    JSON (`app.audit.canonical`) of `{"created_at", "hash", "seq"}`, under the key `kid` that
    `GET /api/v1/audit/jwks` publishes.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    seq: int = Field(ge=1, description="The head's position when the checkpoint was signed")
    hash: str = Field(pattern=r"^[0-9a-f]{64}$", description="The hash of record `seq`")
    created_at: AwareDatetime = Field(
        description="When it was signed: RFC 3339 UTC with six fraction digits, as signed"
    )
    kid: str = Field(
        min_length=1, max_length=64, description="RFC 7638 thumbprint of the signing key"
    )
    signature: str = Field(min_length=1, max_length=512)

    @field_serializer("created_at")
    def _as_signed(self, created_at: datetime) -> str:
        # Exactly the spelling that was signed (six fraction digits), so that whoever rebuilds
        # the payload from an answer rebuilds the signed bytes.
        return format_timestamp(created_at)


class CheckpointRead(Checkpoint):
    """A checkpoint with its place in the store."""

    line: int = Field(ge=1, description="Its line in the checkpoint store (1 = the first)")


class RefusedCheckpoint(BaseModel):
    """A line of the checkpoint store that is not trusted: it anchors nothing."""

    line: int
    reason: CheckpointRefusal


class CheckpointKeys(BaseModel):
    """The JWK Set of the keys that sign checkpoints (to pin, and to verify them by)."""

    keys: list[dict[str, str]]


class ChainReport(BaseModel):
    """The outcome of re-computing the chain: intact, or where it first breaks and how."""

    ok: bool
    mode: VerificationMode = Field(
        description=(
            "`from_checkpoint`: the records after the newest trusted checkpoint; `full`: the "
            "whole chain, and every trusted checkpoint compared with it"
        )
    )
    from_seq: int = Field(description="Records after this position were checked (0: all)")
    records_checked: int = Field(description="Records examined, the broken one included")
    first_broken_seq: int | None = Field(
        default=None, description="Position of the first record that does not link up"
    )
    reason: BreakReason | None = Field(
        default=None,
        description=(
            "`hash_mismatch`: a record was edited; `sequence_gap`: records were deleted; "
            "`prev_hash_mismatch`: records were reordered or inserted; `head_mismatch`: the "
            "newest records were deleted or added behind the head's back; `head_missing`: the "
            "chain head row is gone; `checkpoint_mismatch`: the chain no longer holds the "
            "(position, hash) a signed checkpoint anchored, so it was rewritten or cut short; "
            "`checkpoint_refused`: the chain is intact but a line of the checkpoint store is "
            "malformed or its signature does not verify (`refused_checkpoints`); "
            "`unsealed_record_altered`: the chain is intact but a record not yet sealed into "
            "it no longer matches the digest it was appended with (`altered_unsealed_id`)"
        ),
    )
    head_seq: int | None = Field(default=None, description="The head's position")
    head_hash: str | None = None
    checkpoint: CheckpointRead | None = Field(
        default=None, description="The newest trusted checkpoint (None: no checkpoint yet)"
    )
    checkpoints_checked: int = Field(
        default=0, description="Trusted checkpoints compared with the chain"
    )
    refused_checkpoints: list[RefusedCheckpoint] = Field(
        default_factory=list, description="Store lines refused as anchors (the first 20)"
    )
    unsealed_records: int = Field(
        default=0,
        description=(
            "Records appended but not yet sealed into the chain (the sealer links them within "
            "seconds); each was checked against the digest it was appended with"
        ),
    )
    oldest_unsealed_at: datetime | None = Field(
        default=None, description="When the oldest unsealed record was appended"
    )
    altered_unsealed_id: uuid.UUID | None = Field(
        default=None, description="The first unsealed record that no longer matches its digest"
    )


@dataclass(frozen=True, slots=True)
class CheckpointOutcome:
    """What `qingeban audit checkpoint` did: the verification it ran, and what it appended."""

    report: ChainReport
    checkpoint: Checkpoint | None
    written: bool


class AuditRecordRead(BaseModel):
    """A stored audit record (the before/after values are not kept, only their digest)."""

    model_config = ConfigDict(from_attributes=True)

    seq: int
    id: uuid.UUID
    occurred_at: datetime
    actor_type: str
    actor_id: str
    action: str
    subject_type: str
    subject_id: str
    purpose: str | None
    request_id: str | None
    client_address: str | None
    changes_digest: str
    prev_hash: str
    hash: str
