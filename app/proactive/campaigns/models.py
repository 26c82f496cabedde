"""Tables of the campaigns domain: a campaign, its batches (the units of work the workers share,
each checkpointed when done) and one case per person and campaign."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime
from app.kit.ids import new_id
from app.sealing import SealedJSON, SealedText


class Campaign(Base):
    """One run of a campaign kind over the pension system's roster. It is completed when every
    batch is done (read from the batches, so no worker has to be the last one to say so)."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(64))
    # running, paused or completed (every batch done).
    status: Mapped[str] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(128))
    # The departments' reference day: activity since `as_of - activity_window_days` counts.
    as_of: Mapped[date] = mapped_column(Date)
    activity_window_days: Mapped[int] = mapped_column(Integer)
    qualification_days: Mapped[int] = mapped_column(Integer)
    # The invited have until then to verify their face; then clerks decide on suspension.
    warning_until: Mapped[datetime] = mapped_column(UtcDateTime)
    positions: Mapped[int] = mapped_column(Integer)
    block_size: Mapped[int] = mapped_column(Integer)
    batches_total: Mapped[int] = mapped_column(Integer)
    # Bumped by every resume: the batch jobs of a resume are new jobs (their dedupe keys differ).
    generation: Mapped[int] = mapped_column(Integer, default=0)
    # When the warning period's end was processed (the remaining cases handed to clerks).
    warning_closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CampaignBatch(Base):
    """Roster positions [start, end) of a campaign; `done` once its cases committed."""

    __tablename__ = "campaign_batches"

    campaign_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("campaigns.id", ondelete="CASCADE"), primary_key=True
    )
    number: Mapped[int] = mapped_column(Integer, primary_key=True)
    start: Mapped[int] = mapped_column(Integer)
    end: Mapped[int] = mapped_column(Integer)
    # queued, deferred (found paused; re-queued by resume) or done.
    state: Mapped[str] = mapped_column(String(16))
    persons: Mapped[int] = mapped_column(Integer, default=0)
    silent: Mapped[int] = mapped_column(Integer, default=0)
    invited: Mapped[int] = mapped_column(Integer, default=0)
    referred: Mapped[int] = mapped_column(Integer, default=0)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    __table_args__ = (Index("ix_campaign_batches_state", "campaign_id", "state"),)


class CampaignCase(Base):
    """One person in one campaign: how the data classified them and where their case stands.

    Unique per campaign and person (the ID number's blind index): a batch that runs twice, or
    two workers on the same batch, cannot make a second case, nor a second payment decision.
    """

    __tablename__ = "campaign_cases"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("campaigns.id", ondelete="CASCADE"))
    batch_number: Mapped[int] = mapped_column(Integer)
    subject_index: Mapped[str] = mapped_column(String(64))
    subject_masked: Mapped[str] = mapped_column(String(32))
    id_number: Mapped[str] = mapped_column(
        "id_number_cipher", SealedText("campaign_cases.id_number")
    )
    # What the data said: silent (qualified by activity), invited (no signal), referred
    # (a negative signal: death, cremation, household cancelled, imprisonment).
    outcome: Mapped[str] = mapped_column(String(16))
    # qualified, invited, referred, due (warning period over), suspended, restored.
    state: Mapped[str] = mapped_column(String(16))
    last_activity: Mapped[date | None] = mapped_column(Date)
    # The negative signals found (feed → date) for the clerk, sealed: they are personal data.
    evidence: Mapped[dict[str, Any] | None] = mapped_column(SealedJSON("campaign_cases.evidence"))
    qualified_until: Mapped[date | None] = mapped_column(Date)
    reminders_sent: Mapped[int] = mapped_column(Integer, default=0)
    # How many payment instructions the case has sent (each is its own durable job).
    instructions: Mapped[int] = mapped_column(Integer, default=0)
    # What the pension system last confirmed (paying, suspended); None: never instructed.
    payment_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    __table_args__ = (
        UniqueConstraint("campaign_id", "subject_index", name="uq_campaign_cases_person"),
        Index("ix_campaign_cases_state", "campaign_id", "state"),
        Index("ix_campaign_cases_subject", "subject_index"),
    )
