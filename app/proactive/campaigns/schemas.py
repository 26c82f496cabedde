"""Request and response bodies of the campaigns API."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CampaignStatus = Literal["running", "paused", "completed"]
Outcome = Literal["silent", "invited", "referred"]
CaseState = Literal["qualified", "invited", "referred", "due", "suspended", "restored"]


class PositionRange(BaseModel):
    """Roster positions [start, end) of the pension system."""

    model_config = ConfigDict(extra="forbid")

    start: int = Field(ge=0)
    end: int = Field(gt=0)


class CampaignCreate(BaseModel):
    """Start a campaign over every pension recipient."""

    model_config = ConfigDict(extra="forbid")

    kind: str = Field(
        default="pension-qualification", max_length=64, examples=["pension-qualification"]
    )
    warning_days: int | None = Field(
        default=None, ge=1, le=365,
        description="How long the invited have to verify their face before clerks decide on "
        "suspension; the kind's default (90 days) when absent",
    )  # fmt: skip
    pilot: list[PositionRange] | None = Field(
        default=None, min_length=1, max_length=20,
        description="A pilot over these parts of the pension system's roster (default: all of "
        "it), e.g. to rehearse a new rule on a few thousand people first",
    )  # fmt: skip
    block_size: int | None = Field(
        default=None, ge=100, le=20_000,
        description="Roster positions per batch (default: the kind's, 5,000)",
    )  # fmt: skip


class Progress(BaseModel):
    """Where a campaign stands: its batches, the people classified and their cases now."""

    batches_total: int
    batches_done: int
    # Pension recipients classified so far (the roster is paged, so the total is known at the end).
    done: int
    silent: int
    invited: int
    referred: int
    silent_share: float | None = Field(description="silent / done, None before anyone is done")
    # Cases waiting for a person (invited) or a clerk (referred, due): nothing stopped yet.
    pending: int
    qualified: int
    suspended: int
    restored: int


class CampaignRead(BaseModel):
    """A campaign and its progress."""

    id: uuid.UUID
    kind: str
    title: str
    status: CampaignStatus
    created_at: datetime
    as_of: date
    activity_window_days: int
    warning_until: datetime
    warning_closed: bool
    roster_positions: int
    datasets: list[str]
    progress: Progress


class CaseRead(BaseModel):
    """One person's case, as a clerk sees it (the ID number masked)."""

    id: uuid.UUID
    subject_masked: str
    outcome: Outcome
    state: CaseState
    last_activity: date | None
    evidence: dict[str, date] | None = Field(
        description="The negative signals found: feed → the date the department recorded"
    )
    qualified_until: date | None
    payment_status: str | None = Field(
        description="What the pension system last confirmed: paying or suspended (None: never "
        "instructed)"
    )
    updated_at: datetime


class CasePage(BaseModel):
    """A page of a campaign's cases."""

    items: list[CaseRead]
    next_cursor: str | None


class SuspensionRequest(BaseModel):
    """Cases a clerk confirms for suspension, checked one by one."""

    model_config = ConfigDict(extra="forbid")

    case_ids: list[uuid.UUID] = Field(min_length=1, max_length=500)
    reason: str = Field(min_length=1, max_length=200, examples=["死亡信号已核实"])


class SuspensionResult(BaseModel):
    """What a bulk confirmation did: the cases suspended (an instruction queued for each)."""

    suspended: list[uuid.UUID]
    count: int


class RestoreRequest(BaseModel):
    """A clerk's finding that the person is alive and entitled."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=200, examples=["本人到窗口核验"])
