"""The prefilled form (DESIGN §5): `{service_code, fields: [{name, label, value, source, as_of,
editable, options}], materials: [{code, name, satisfied_by}]}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field


class PrefillOption(BaseModel):
    """A verified value the applicant may choose (which loan, which property, which lease)."""

    value: Any
    label: str
    source: str = Field(description="Where the option came from: a dataset, or `platform`")
    fills: dict[str, Any] | None = Field(
        default=None,
        description="The values other fields take when this option is chosen (the chosen"
        " loan's amount, the chosen employee's name)",
    )


Fill = Literal["verified", "options", "choice", "declared", "unknown"]


class PrefilledField(BaseModel):
    """One field of the service's form: the value the platform knows, where from and when."""

    name: str = Field(examples=["applicant_name"])
    label: str = Field(description="The field's title in the form", examples=["申请人姓名"])
    value: Any = Field(default=None, description="None: the applicant fills it in")
    source: str | None = Field(
        default=None,
        description="Where the value came from: gaj/identity-verification, gjj/fund-account …",
    )
    as_of: datetime | None = Field(default=None, description="When the source vouched for it")
    editable: bool = Field(
        description="False for government-verified values: the server refuses a changed one"
    )
    fill: Fill = Field(
        default="unknown",
        description="verified: filled from a verified source; options: choose among `options`;"
        " choice: the applicant's own choice among the form's values; declared: typed, no"
        " department holds it (`note` says why); unknown: the platform could not fill it now",
    )
    options: list[PrefillOption] | None = None
    note: str | None = Field(default=None, description="Why the applicant chooses or types it")


class MaterialSatisfaction(BaseModel):
    """What stands in for a material, so that nothing is uploaded: a license in the registry
    (`ref` its number), a department's dataset (`ref` "zjj/lease-filings", as of when), or the
    verified identity (`ref` where it was verified, as of when)."""

    kind: Literal["license", "dataset", "identity"]
    ref: str | None = None
    as_of: datetime | None = None


class PrefilledMaterial(BaseModel):
    """A material of the service and what satisfies it, if anything."""

    code: str = Field(examples=["kindergarten-licence"])
    name: str
    required: bool = True
    satisfied_by: MaterialSatisfaction | None = Field(
        description="None: the applicant uploads it (or, when optional, may leave it out)"
    )
    note: str | None = Field(default=None, description="Why it is uploaded: nobody holds it")


class PrefillRead(BaseModel):
    """A service's form as the platform can fill it for the signed-in applicant."""

    service_code: str = Field(examples=["gjj.withdraw.rent"])
    fields: list[PrefilledField]
    materials: list[PrefilledMaterial]
