"""Request and response shapes of the e-license domain (license types for now)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

HolderKind = Literal["person", "enterprise"]


class LicenseFieldRead(BaseModel):
    """A field that licenses of a type carry."""

    name: str = Field(description="ASCII snake_case field name")
    label: str = Field(description="Chinese label shown on the license")
    type: Literal["string", "date", "number"]


class LicenseTypeRef(BaseModel):
    """A license type, named."""

    code: str = Field(examples=["business-license"])
    name: str = Field(examples=["营业执照"])
    name_en: str = Field(examples=["Business License"])


class LicenseTypeRead(LicenseTypeRef):
    """A kind of e-license, its issuer and the fields it carries."""

    type_code: str = Field(description="Letters used inside a GB/T 36904 license identifier")
    issuer: str = Field(description="Code of the issuing department", examples=["scjg"])
    holder_kind: HolderKind
    validity_years: int | None = Field(description="Years a license is valid; null: no expiry")
    fields: list[LicenseFieldRead]
