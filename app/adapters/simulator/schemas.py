"""Request and response bodies of the simulated departments' HTTP contract."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

MAX_BATCH = 1000


class Subject(BaseModel):
    """Whose record: exactly one of id_number, uscc or address (extra fields are per-dataset)."""

    model_config = ConfigDict(extra="allow")

    id_number: str | None = None
    uscc: str | None = None
    address: str | None = None


class LookupRequest(BaseModel):
    """One subject plus dataset-specific fields (e.g. `name`, `selfie_token`)."""

    model_config = ConfigDict(extra="allow")

    subject: Subject


class BatchRequest(BaseModel):
    """Up to 1,000 subjects; dataset-specific fields may sit on each subject or at top level."""

    model_config = ConfigDict(extra="allow")

    subjects: list[Subject] = Field(min_length=1, max_length=MAX_BATCH)


class DatasetInfo(BaseModel):
    """One dataset of a department."""

    code: str
    name: str
    subject: Literal["person", "enterprise", "address"]


class DatasetList(BaseModel):
    """The datasets of a department."""

    department: str
    datasets: list[DatasetInfo]


class LookupResponse(BaseModel):
    """A department's answer about one subject; found false means "no record"."""

    department: str
    dataset: str
    source: str
    as_of: datetime = Field(description="When the department's record last changed")
    found: bool
    record: dict[str, Any] | None


class BatchItem(BaseModel):
    """One subject's answer within a batch."""

    subject: dict[str, str]
    found: bool
    record: dict[str, Any] | None
    as_of: datetime = Field(description="When the department's record last changed")


class BatchResponse(BaseModel):
    """Answers in request order."""

    department: str
    dataset: str
    source: str
    as_of: datetime = Field(description="The newest of the answers' record times")
    results: list[BatchItem]


class TransferRequest(BaseModel):
    """Transfer of a utility account to a new holder."""

    new_holder_id_number: str = Field(min_length=18, max_length=18)
    effective_date: date


class TransferReceipt(BaseModel):
    """The utility's receipt; the same (account, new holder) always returns the same receipt."""

    transfer_id: str
    utility: str
    account_no: str
    address: str
    previous_holder_id_number_masked: str
    new_holder_id_number_masked: str
    effective_date: date
    status: Literal["completed"]
    recorded_at: datetime


class DisbursementRequest(BaseModel):
    """A housing-fund withdrawal to pay out: the approved case, the account, the amount, and the
    card bound to the account (the centre pays nowhere else)."""

    application_number: str = Field(min_length=1, max_length=32)
    service: str = Field(max_length=100)
    hpf_account: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0)
    bank_name: str = Field(min_length=1, max_length=200)
    bank_account: str = Field(min_length=1, max_length=64)
    approved_on: date


class DisbursementReceipt(BaseModel):
    """The fund centre's receipt; the same case always returns the same receipt."""

    disbursement_id: str
    application_number: str
    service: str
    amount: int
    bank_account_masked: str
    status: Literal["accepted"]
    recorded_at: datetime


class InstructionRequest(BaseModel):
    """An approved case a department carries out: open an account, move a household, …"""

    application_number: str = Field(min_length=1, max_length=32)
    service: str = Field(max_length=100)
    action: str = Field(min_length=1, max_length=64)
    subject: dict[str, str]
    terms: dict[str, Any] = Field(default_factory=dict)


class InstructionReceipt(BaseModel):
    """The department's receipt; the same case and action always return the same receipt."""

    instruction_id: str
    application_number: str
    action: str
    status: Literal["accepted"]
    recorded_at: datetime


class InspectionFinding(BaseModel):
    """What a health inspection found of an enterprise's premises (admin, for rehearsals)."""

    conditions_unchanged: bool


class FaultsView(BaseModel):
    """The faults currently injected, per department."""

    faults: dict[str, dict[str, Any]]
