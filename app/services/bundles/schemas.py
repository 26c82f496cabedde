"""Request and response shapes of bundles (一件事一次办)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Fill = Literal["verified", "options", "declared", "at_confirmation"]


class BundleOption(BaseModel):
    """A verified value the initiator may choose."""

    value: Any
    label: str
    source: str | None


class BundleField(BaseModel):
    """One field of the merged form, asked once across the steps, with its provenance.

    `fill` says how it is filled: `verified` (a value the platform knows, with its source and
    time; locked when `editable` is false), `options` (a choice among verified values),
    `declared` (typed: `note` says why no department holds it) or `at_confirmation` (the
    named party's own verified value, filled when they confirm: not asked)."""

    name: str
    label: str
    party: str | None = Field(description="The role the field is about, if any")
    value: Any = None
    source: str | None = None
    as_of: datetime | None = None
    editable: bool
    fill: Fill
    note: str | None = None
    options: list[BundleOption] | None = None
    steps: list[str] = Field(description="The steps whose forms the field fills")


class BundleParty(BaseModel):
    """A role the bundle names."""

    role: str
    name: str
    name_en: str
    initiator: bool


class BundleStepRef(BaseModel):
    """A step as the bundle declares it."""

    key: str
    service_code: str
    unit: str
    department: str
    depends_on: list[str]


class BundlePrefillRead(BaseModel):
    """The merged form of a bundle as the platform can fill it for the initiator."""

    bundle_code: str
    version: int
    parties: list[BundleParty]
    steps: list[BundleStepRef]
    fields: list[BundleField]
    uploads_needed: list[str] = Field(description="Materials to upload: none for these bundles")


class BundleApplicationCreate(BaseModel):
    """The merged form, each field once (prefilled fields may be sent back unchanged)."""

    model_config = ConfigDict(extra="forbid")

    form: dict[str, Any] = Field(max_length=64)


class PartyRead(BaseModel):
    """A party of a case as every party sees it (no ID number)."""

    role: str
    name: str
    confirmed: bool
    confirmed_at: datetime | None
    you: bool = Field(description="Whether the caller holds this role")


class StepRead(BaseModel):
    """One step of a case: its status, who carries it out, by when, and what came of it."""

    key: str
    service_code: str
    unit: str
    department: str
    status: str
    attempts: int
    deadline: date | None
    outcome: dict[str, Any] | None
    error: str | None
    updated_at: datetime


class BundleCaseRead(BaseModel):
    """A bundle case with every party and every step."""

    id: uuid.UUID
    number: str
    bundle_code: str
    bundle_version: int
    status: str
    confirm_by: datetime
    created_at: datetime
    parties: list[PartyRead]
    steps: list[StepRead]


class ClerkStepRead(StepRead):
    """A step in its department's queue, with its case's number."""

    id: uuid.UUID
    case_id: uuid.UUID
    case_number: str


class ClerkDecision(BaseModel):
    """A clerk's word on a step: `retry` (the department's system works again), `approve`
    (the clerk carried it out, or approves a registration) or `reject` (a registration only:
    nothing after it starts)."""

    model_config = ConfigDict(extra="forbid")

    action: Literal["retry", "approve", "reject"]
    reason: str = Field(min_length=1, max_length=500)
