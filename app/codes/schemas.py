"""What the city code's routes take and answer."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

# A compact ES256 JWS of a few claims is about 450 characters; anything far longer is not one.
MAX_CODE_CHARS = 2048
TYP = "city-code+jwt"


class CityCodeRead(BaseModel):
    """A fresh city code for the person's screen."""

    code: str = Field(
        description=f"The code: a compact JWS (header `alg` ES256, `typ` {TYP}, `kid`) whose "
        "claims are `iss`, `sub` (an opaque reference only the platform can resolve), `jti`, "
        "`iat` and `exp`; verify it offline with the keys of `jwks_uri`"
    )
    expires_at: datetime
    expires_in: int = Field(description="Seconds until the code expires")
    jwks_uri: str = Field(description="Where the keys that verify the code are published")
    qr_image: str = Field(
        description="The path of the QR image of a fresh code: PNG, or SVG with `?format=svg` "
        "(each image is a new code)"
    )


class CodeVerification(BaseModel):
    """A scanned code and why it is being verified."""

    model_config = ConfigDict(extra="forbid")

    code: str = Field(min_length=1, max_length=MAX_CODE_CHARS)
    purpose: str = Field(
        min_length=1,
        max_length=64,
        examples=["counter"],
        description="One of the purposes of GET /api/v1/codes/purposes",
    )


class CodeAttribute(BaseModel):
    """One attribute the purpose allows, with where it came from and when."""

    name: str = Field(examples=["medical_insurance"])
    value: str | bool | None = Field(
        description="null when the department could not be reached (see `source`)"
    )
    source: str = Field(examples=["ybj/medical-enrolment"])
    as_of: datetime | None


class OnBehalfTicket(BaseModel):
    """What a counter clerk uses to open the person's prefilled form (once, until expires_at)."""

    ticket: str
    expires_at: datetime


class CodeVerificationRead(BaseModel):
    """A verified code: the attributes the purpose allows, nothing more."""

    valid: Literal[True] = True
    purpose: str
    verified_at: datetime
    attributes: list[CodeAttribute]
    on_behalf: OnBehalfTicket | None = Field(
        default=None, description="Only for a clerk verifying for a purpose that allows it"
    )


class OnBehalfPrefill(BaseModel):
    """A clerk's ticket and the service whose form to open."""

    model_config = ConfigDict(extra="forbid")

    ticket: str = Field(min_length=1, max_length=128)
    service_code: str = Field(min_length=1, max_length=100)


class CodePurposeRead(BaseModel):
    """A purpose a code may be verified for."""

    code: str
    title_zh: str
    title_en: str
    verifiers: list[Literal["staff", "client"]]
    attributes: list[str]
    on_behalf: bool
