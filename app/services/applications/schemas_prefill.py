"""The prefilled form (DESIGN §5): `{service_code, fields: [{name, label, value, source, as_of,
editable}], materials: [{code, name, satisfied_by}]}`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field


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


class LicenseSatisfaction(BaseModel):
    """The registry license that stands in for a material: nothing to upload."""

    license_no: str


class PrefilledMaterial(BaseModel):
    """A material of the service and the license from the registry that satisfies it, if any."""

    code: str = Field(examples=["kindergarten-licence"])
    name: str
    satisfied_by: LicenseSatisfaction | None = Field(
        description="None: the applicant uploads it (or, when optional, may leave it out)"
    )


class PrefillRead(BaseModel):
    """A service's form as the platform can fill it for the signed-in applicant."""

    service_code: str = Field(examples=["gjj.withdraw.rent"])
    fields: list[PrefilledField]
    materials: list[PrefilledMaterial]
