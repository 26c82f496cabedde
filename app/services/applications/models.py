"""Applications (办件): the case, its timeline, and the daily counter of readable numbers.

The form, the decision and the timeline's notes are sealed (app/sealing.py): forms hold ID,
phone and bank account numbers, a decision's explanation the values found about the applicant,
and a note whatever a clerk or applicant typed.
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
from sqlalchemy.orm import Mapped, mapped_column, validates

from app.db import Base, UtcDateTime
from app.kit.ids import new_id
from app.sealing import SealedJSON, SealedText

STATUSES = (
    "submitted",
    "approved",
    "pending_review",
    "in_review",
    "rejected",
    "supplement_requested",
    "resubmitted",
    "withdrawn",
    "commitment_breached",
)


class Application(Base):
    """One application for a service by a person, or by a person acting for an enterprise.

    The applicant is the account that submitted it; `applicant_uscc` is set when they acted for
    an enterprise, which then owns the case with them. `decision` keeps the explanation of the
    automatic evaluation (ruleset version, every criterion with value, requirement and source)
    and, once a clerk decides, that decision too.
    """

    __tablename__ = "applications"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        # The clerks' queue: a department's open cases by deadline.
        Index(
            "ix_applications_department_status_deadline", "department_code", "status", "deadline"
        ),
        # "My applications", newest first.
        Index("ix_applications_applicant_id", "applicant_account_id", "id"),
        # One open case per applicant and service, however submissions race: `open_key` is the
        # applicant while the case is open and NULL once decided (NULLs never collide).
        UniqueConstraint("service_code", "open_key", name="uq_applications_open_case"),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    # Read out over the phone: the day and a daily sequence, e.g. 20261124000042.
    number: Mapped[str] = mapped_column(String(20), unique=True)
    service_code: Mapped[str] = mapped_column(ForeignKey("services.code"))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"))
    mode: Mapped[str] = mapped_column(String(16))
    applicant_account_id: Mapped[uuid.UUID] = mapped_column()
    applicant_uscc: Mapped[str | None] = mapped_column(String(18), index=True)
    open_key: Mapped[str | None] = mapped_column(String(64))
    form: Mapped[dict[str, Any]] = mapped_column("form_cipher", SealedJSON("applications.form"))
    materials: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    status: Mapped[str] = mapped_column(String(24))
    # The statutory deadline, in working days (Asia/Shanghai): from submission, or for a case
    # 秒批 referred to a clerk, from the referral.
    deadline: Mapped[date] = mapped_column(Date)
    decision: Mapped[dict[str, Any] | None] = mapped_column(
        "decision_cipher", SealedJSON("applications.decision")
    )
    # The decision's outcomes in clear, kept by `_outcomes`, for the statistics to count: the
    # rules' approve or refer, a clerk's approved or rejected.
    rules_outcome: Mapped[str | None] = mapped_column(String(16))
    review_outcome: Mapped[str | None] = mapped_column(String(16))
    # The license an approval issued (its GB/T 36904 number), if the service produces one.
    license_no: Mapped[str | None] = mapped_column(String(80))
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    submitted_at: Mapped[datetime] = mapped_column(UtcDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)

    @validates("decision")
    def _outcomes(self, _key: str, decision: dict[str, Any] | None) -> dict[str, Any] | None:
        # Whoever sets the decision sets the outcomes with it: they cannot drift apart.
        self.rules_outcome = ((decision or {}).get("rules") or {}).get("outcome")
        self.review_outcome = ((decision or {}).get("review") or {}).get("outcome")
        return decision


class ApplicationEvent(Base):
    """One step of a case's timeline: a status change, who made it, and why."""

    __tablename__ = "application_events"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime)
    status_from: Mapped[str | None] = mapped_column(String(24))
    status_to: Mapped[str] = mapped_column(String(24))
    # citizen | clerk | system
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    # Shown to the applicant: the reason of a rejection, the items a supplement needs, …
    note: Mapped[str | None] = mapped_column("note_cipher", SealedText("application_events.note"))


class EntitlementGrant(Base):
    """An entitlement granted once (DESIGN §2, principle 9): the n-th grant of `entitlement` to
    `holder`, by an approved case, with the amount paid.

    Whoever approves reads how many grants the holder has (the platform's `entitlement.*`
    facts) and inserts the next sequence number; two approvals racing on the same facts insert
    the same number and the database keeps one.
    """

    __tablename__ = "entitlement_grants"
    __table_args__ = (
        UniqueConstraint(
            "entitlement", "holder", "sequence", name="uq_entitlement_grants_sequence"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    entitlement: Mapped[str] = mapped_column(String(100))
    # The holder's blind index (a person) or credit code (an enterprise): never the ID number.
    holder: Mapped[str] = mapped_column(String(128))
    sequence: Mapped[int] = mapped_column(Integer)
    application_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("applications.id"), unique=True)
    amount: Mapped[int | None] = mapped_column(Integer)
    granted_on: Mapped[date] = mapped_column(Date)
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime)


class ApplicationCounter(Base):
    """The last sequence number given out on a day (Asia/Shanghai)."""

    __tablename__ = "application_counters"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    last: Mapped[int] = mapped_column(Integer)
