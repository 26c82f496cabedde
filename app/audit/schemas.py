"""What callers hand to the audit log, and what it reports back."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

ActorType = Literal["person", "staff", "client", "system"]

BreakReason = Literal[
    "hash_mismatch", "sequence_gap", "prev_hash_mismatch", "head_mismatch", "head_missing"
]

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


class ChainReport(BaseModel):
    """The outcome of re-computing the chain: intact, or where it first breaks and how."""

    ok: bool
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
            "chain head row is gone"
        ),
    )
    head_seq: int | None = Field(
        default=None, description="The head's position; publish it with head_hash to anchor"
    )
    head_hash: str | None = None


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
