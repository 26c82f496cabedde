"""Bundle cases: one application of several parties and steps, each step with its own status.

The merged form is sealed (app/sealing.py): it holds names, ID numbers and phones. A party is
found by its account once it confirmed, and before that by the blind index of the ID number
the form names it by. What the database enforces: one party per role and case, a party
confirms once (`confirmed_at` is set by a guarded update), one step per key and case, and a
step completes once (`bundle_case_step_completions` has the step as its primary key, inserted in
the transaction that carries the step's outcome: a second run cannot commit).
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime
from app.kit.ids import new_id
from app.sealing import SealedJSON

CASE_STATUSES = ("awaiting_confirmation", "expired", "running", "completed", "stopped", "attention")
STEP_STATUSES = ("waiting", "queued", "retrying", "done", "with_clerk", "rejected", "not_started")


class BundleCase(Base):
    """One filing of a bundle by its initiator, with the parties it names."""

    __tablename__ = "bundle_cases"
    __table_args__ = (CheckConstraint(f"status IN {CASE_STATUSES!r}", name="status"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    bundle_code: Mapped[str] = mapped_column(String(100))
    bundle_version: Mapped[int] = mapped_column(Integer)
    initiator_account_id: Mapped[uuid.UUID] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(24))
    form: Mapped[dict[str, Any]] = mapped_column("form_cipher", SealedJSON("bundle_cases.form"))
    confirm_by: Mapped[datetime] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class CaseParty(Base):
    """A role of a case and who holds it: the account once it confirmed."""

    __tablename__ = "bundle_case_parties"
    __table_args__ = (
        UniqueConstraint("case_id", "role", name="uq_bundle_case_parties_case_role"),
        Index("ix_bundle_case_parties_account_id", "account_id"),
        Index("ix_bundle_case_parties_id_index", "id_index"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bundle_cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(40))
    # The blind index of the ID number the party is named by (app.auth's index).
    id_index: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[uuid.UUID | None] = mapped_column()
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class CaseStep(Base):
    """One step of a case: its service, who carries it out, its status and outcome.

    `outcome` and `error` hold no personal data (numbers of receipts and licenses, masked
    holders, the department's error code); they are shown to every party."""

    __tablename__ = "bundle_case_steps"
    __table_args__ = (
        CheckConstraint(f"status IN {STEP_STATUSES!r}", name="status"),
        UniqueConstraint("case_id", "key", name="uq_bundle_case_steps_case_key"),
        # A department's clerks: their steps by status.
        Index("ix_bundle_case_steps_department_status", "department_code", "status"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    case_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bundle_cases.id"), index=True)
    key: Mapped[str] = mapped_column(String(40))
    position: Mapped[int] = mapped_column(Integer)
    service_code: Mapped[str] = mapped_column(String(100))
    department_code: Mapped[str] = mapped_column(String(32))
    unit: Mapped[str] = mapped_column(String(400))
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    deadline: Mapped[date | None] = mapped_column(Date)
    outcome: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(String(500))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StepCompletion(Base):
    """The one completion of a step (the primary key makes a second impossible)."""

    __tablename__ = "bundle_case_step_completions"

    step_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("bundle_case_steps.id"), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(16))
    completed_at: Mapped[datetime] = mapped_column(UtcDateTime)
