"""What callers hand to the data-access log, and what a citizen is shown of it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from app.kit.clock import utcnow

# "anonymous": a public verifier of a license share, who need not sign in.
ActorType = Literal["person", "staff", "client", "system", "anonymous"]
SubjectKind = Literal["person", "enterprise", "address"]
AccessOutcome = Literal["found", "not_found", "unavailable", "refused"]


class SubjectRef(BaseModel):
    """Whose data was read, as blind index and masked form only (see `access_log.subject_ref`)."""

    model_config = ConfigDict(frozen=True)

    kind: SubjectKind
    index: str = Field(pattern=r"^[0-9a-f]{64}$")
    masked: str = Field(min_length=1, max_length=64)

    @field_validator("masked")
    @classmethod
    def _must_be_masked(cls, value: str) -> str:
        # A last line of defence: an unmasked identifier must never reach the log.
        if "*" not in value:
            raise ValueError("subject must be given in masked form")
        return value


class DataAccessEntry(BaseModel):
    """One read to record: who read what about whom, why, for which case, and the outcome."""

    model_config = ConfigDict(frozen=True)

    calling_system: str = Field(min_length=1, max_length=64, examples=["qingeban"])
    actor_type: ActorType
    actor_id: str = Field(min_length=1, max_length=128)
    subject: SubjectRef
    department: str = Field(min_length=1, max_length=32, examples=["gjj"])
    dataset: str = Field(min_length=1, max_length=64, examples=["account"])
    purpose: str = Field(min_length=1, max_length=255, examples=["application:gjj.withdraw.rent"])
    case_id: str | None = Field(default=None, max_length=64)
    outcome: AccessOutcome
    reason: str | None = Field(default=None, max_length=255, examples=["circuit_open"])
    request_id: str | None = Field(default=None, max_length=128)
    occurred_at: datetime = Field(default_factory=utcnow)
    # Every dataset one record covers, when it covers several ("ybj/medical-settlements", …).
    datasets: tuple[str, ...] | None = None


class DataAccessRead(BaseModel):
    """One read of the citizen's data, as the citizen sees it.

    `actor_id` is shown for staff, client and system actors (a clerk's staff number, a partner's
    client id, a job's name): they read on the government's behalf and are accountable to the
    citizen. It is withheld (None) when the actor is a person, because another citizen's account
    id is their own personal data (e.g. the buyer of the citizen's flat).
    """

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    calling_system: str
    actor_type: ActorType
    actor_id: str | None
    department: str
    dataset: str
    purpose: str
    case_id: str | None
    outcome: AccessOutcome
    datasets: list[str] | None = Field(
        default=None,
        description="Every dataset this one record covers, when it covers several: a "
        "campaign reads many departments' feeds about a person and logs them once",
    )

    @field_validator("datasets", mode="before")
    @classmethod
    def _split(cls, value: object) -> object:
        return value.split(",") if isinstance(value, str) else value
