"""Request and response shapes of applications (DESIGN §5: `{service_code, form, materials}`
in, `{id, number, status, decision, timeline, deadline}` out)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

ApplicationStatus = Literal[
    "commitment_breached",
    "submitted",
    "approved",
    "pending_review",
    "in_review",
    "rejected",
    "supplement_requested",
    "resubmitted",
    "withdrawn",
]


class MaterialGiven(BaseModel):
    """A material of the service: a license from the applicant's wallet by number, or a file
    uploaded with `POST /api/v1/uploads` by id, or neither (the registry is searched for the
    applicant's license of the material's type). Materials not listed are searched for too."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(max_length=64, examples=["bank-card"])
    license_no: str | None = Field(default=None, max_length=80)
    upload_id: uuid.UUID | None = Field(default=None, description="An upload of the applicant")

    @model_validator(mode="after")
    def _one_source(self) -> MaterialGiven:
        if self.license_no is not None and self.upload_id is not None:
            raise ValueError("give license_no or upload_id, not both")
        return self


class ApplicationCreate(BaseModel):
    """An application: the service, the form as the applicant confirmed it, the materials."""

    model_config = ConfigDict(extra="forbid")

    service_code: str = Field(max_length=100, examples=["gjj.withdraw.rent"])
    form: dict[str, Any] = Field(description="Values of the service's form (its JSON Schema)")
    materials: list[MaterialGiven] = Field(default_factory=list, max_length=50)


class CriterionRead(BaseModel):
    """One criterion of a decision: what was required, what was found, and where from."""

    id: str
    title: str
    title_en: str
    result: Literal["passed", "failed", "unknown"]
    found: Any = None
    required: str
    source: str | None = None
    as_of: datetime | None = None
    reason: str | None = Field(default=None, description="Why a value is unknown")


class AmountRead(BaseModel):
    """What an approval pays and how it was computed from verified data."""

    value: int | None = Field(description="CNY; None when it could not be computed")
    formula: str = Field(examples=["min(hpf.balance, monthly_rent_limit × …)"])
    read: dict[str, Any] = Field(description="Every value the formula read")
    source: list[str]
    as_of: datetime | None = None


class CommitmentRead(BaseModel):
    """A commitment (告知承诺) an approval stands on, and how it is checked later."""

    criterion: str
    legal_reference: str
    declared: dict[str, Any]
    verify: Any
    within_days: int


class DecisionRead(BaseModel):
    """How the case was decided: by the rules (`outcome` approve or refer) and, after review,
    by a clerk (`outcome` approved or rejected, with `reason`)."""

    outcome: Literal["approve", "refer", "approved", "rejected"]
    ruleset_version: int | None = None
    decided_at: datetime
    decided_by: Literal["rules", "clerk"]
    criteria: list[CriterionRead] = Field(default_factory=list)
    reason: str | None = None
    amount: AmountRead | None = Field(
        default=None, description="A payment's amount, as the rules computed it"
    )
    paid_amount: int | None = Field(
        default=None, description="The amount granted (CNY), once a payment is approved"
    )
    commitments: list[CommitmentRead] = Field(default_factory=list)


class TimelineEntry(BaseModel):
    """One step of the case."""

    at: datetime
    status: ApplicationStatus
    actor: Literal["applicant", "clerk", "system"]
    note: str | None = None


class ServiceRef(BaseModel):
    code: str
    name: str
    department: str


class DeadlineNote(BaseModel):
    """Why a deadline may move: it was counted over a year without an official holiday
    calendar (the statutory holidays were counted by date)."""

    zh: str
    en: str


class ApplicationRead(BaseModel):
    """An application as its applicant (or the deciding department) sees it."""

    id: uuid.UUID
    number: str = Field(
        description="The number to quote, e.g. on the phone", examples=["20261124000042"]
    )
    service: ServiceRef
    status: ApplicationStatus
    applicant_uscc: str | None = Field(description="Set when made for an enterprise")
    form: dict[str, Any]
    materials: list[dict[str, Any]]
    decision: DecisionRead | None
    license_no: str | None = Field(description="The license the approval issued, if any")
    timeline: list[TimelineEntry]
    deadline: date = Field(description="Statutory deadline (working days, Asia/Shanghai)")
    deadline_note: DeadlineNote | None = Field(
        default=None, description="Set when the deadline was counted on a provisional calendar"
    )
    submitted_at: datetime
    decided_at: datetime | None


class ApplicationSummary(BaseModel):
    """A line of the applicant's list."""

    id: uuid.UUID
    number: str
    service: ServiceRef
    status: ApplicationStatus
    deadline: date
    submitted_at: datetime


class WithdrawRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str | None = Field(default=None, max_length=255)


# The clerks' side


class ReviewCaseSummary(BaseModel):
    """A line of the clerks' queue."""

    id: uuid.UUID
    number: str
    service: ServiceRef
    status: ApplicationStatus
    deadline: date
    submitted_at: datetime
    claimed_by: str | None
    claim_expires_at: datetime | None
    referred_for: list[str] = Field(description="Ids of the criteria the rules did not pass")


class ReviewCaseRead(ApplicationRead):
    """A case as its department's clerks see it: the whole application and who holds it."""

    claimed_by: str | None
    claim_expires_at: datetime | None


class ReviewDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str | None = Field(default=None, max_length=255)
    amount: int | None = Field(
        default=None,
        gt=0,
        le=10_000_000,
        description="For a withdrawal: the amount to pay (CNY), when the rules computed none",
    )


class Rejection(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=2, max_length=255, description="Shown to the applicant")


class SupplementRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[str] = Field(min_length=1, max_length=20, description="What is missing")


class Supplement(BaseModel):
    """The applicant's answer to a supplement request: form fields to change."""

    model_config = ConfigDict(extra="forbid")

    form: dict[str, Any] = Field(default_factory=dict)
    materials: list[MaterialGiven] = Field(default_factory=list, max_length=50)
