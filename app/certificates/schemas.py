"""Request and response shapes of the e-license domain."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from app.reference.license_types import LicenseTypeRef

HolderKind = Literal["person", "enterprise"]


class LicenseFieldRead(BaseModel):
    """A field that licenses of a type carry."""

    name: str = Field(description="ASCII snake_case field name")
    label: str = Field(description="Chinese label shown on the license")
    type: Literal["string", "date", "number"]


class LicenseTypeRead(LicenseTypeRef):
    """A kind of e-license, its issuer and the fields it carries."""

    type_code: str = Field(description="Letters used inside a GB/T 36904 license identifier")
    issuer: str = Field(description="Code of the issuing department", examples=["scjg"])
    holder_kind: HolderKind
    validity_years: int | None = Field(description="Years a license is valid; null: no expiry")
    fields: list[LicenseFieldRead]


# Licenses

ReadStatus = Literal["valid", "expired", "suspended", "revoked", "cancelled", "superseded"]
# The audit record keeps the reason as its purpose (255 characters).
Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=255)]
FieldValue = (
    Annotated[str, StringConstraints(max_length=2000)]
    | int
    | Annotated[float, Field(allow_inf_nan=False)]
)
_EARLIEST = date(1900, 1, 1)
_LATEST = date(2199, 12, 31)


def _plausible(value: date) -> date:
    # Far-off dates are typing errors, and a term added to one would overflow the calendar.
    if not _EARLIEST <= value <= _LATEST:
        raise ValueError(f"must be between {_EARLIEST} and {_LATEST}")
    return value


LicenseDate = Annotated[date, AfterValidator(_plausible)]


class HolderCreate(BaseModel):
    """Who holds the license: a person (ID number and name) or an enterprise (USCC and name)."""

    model_config = ConfigDict(extra="forbid")

    kind: HolderKind
    name: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)] = (
        Field(examples=["青岛海韵印务有限公司"])
    )
    id_number: str | None = Field(
        default=None, max_length=18, description="Resident ID number (persons)"
    )
    uscc: str | None = Field(
        default=None, max_length=18, description="Unified social credit code (enterprises)"
    )


class LicenseCreate(BaseModel):
    """A license to issue; the validity defaults to the type's validity rule."""

    model_config = ConfigDict(extra="forbid")

    type: str = Field(max_length=64, description="License type code", examples=["business-license"])
    holder: HolderCreate
    fields: dict[str, FieldValue] = Field(
        description="Values of the type's fields, by name; `holder_name` and `id_number` are"
        " taken from `holder` and may be left out",
        max_length=100,
    )
    valid_from: LicenseDate | None = Field(
        default=None, description="Default: today (Asia/Shanghai)"
    )
    valid_until: LicenseDate | None = Field(
        default=None, description="Default: from the type's validity_years; null: no expiry"
    )
    source_record_id: str | None = Field(
        default=None, min_length=1, max_length=128, description="The issuer's own record id"
    )


class HolderRead(BaseModel):
    """The holder as shown to anyone: a person's ID number is masked."""

    kind: HolderKind
    name: str
    id_number_masked: str | None = Field(examples=["370202********1234"])
    uscc: str | None


class LicenseRead(BaseModel):
    """One version of an e-license; `status` is "expired" once `valid_until` has passed."""

    license_no: str = Field(examples=["1.2.156.3005.2.YYZZ.11370200MB1234567X.00000001.001.7"])
    type: LicenseTypeRef
    issuer: str = Field(description="Code of the issuing department", examples=["scjg"])
    holder: HolderRead
    fields: dict[str, FieldValue] = Field(
        description="The type's fields but those repeating the holder (see `holder`)"
    )
    valid_from: date
    valid_until: date | None
    status: ReadStatus
    version: int
    supersedes: str | None = Field(description="license_no of the version this one replaced")
    issued_at: datetime
    updated_at: datetime


class LicenseTransition(BaseModel):
    """Why the status changes (kept in the audit record)."""

    model_config = ConfigDict(extra="forbid")

    reason: Reason = Field(examples=["经营场所与登记不符，依法暂扣"])


class LicenseRenewal(LicenseTransition):
    """A renewal: a new version valid from `valid_from` (default today) for the type's term."""

    valid_from: LicenseDate | None = None
    valid_until: LicenseDate | None = None


class LicenseCredential(BaseModel):
    """A license as a W3C Verifiable Credential 2.0 secured with JOSE (VC-JOSE-COSE)."""

    credential: str = Field(
        description="The compact JWS (header `alg` ES256, `typ` vc+jwt, `kid`) whose payload is "
        "the credential; verify it with the keys of /api/v1/licenses/jwks"
    )
    kid: str = Field(description="The key that signed it")
    format: Literal["vc+jwt"] = "vc+jwt"
    media_type: Literal["application/vc+jwt"] = "application/vc+jwt"


class CredentialJwks(BaseModel):
    """The public keys (JWK Set, RFC 7517) that sign license and status-list credentials."""

    keys: list[dict[str, str]]


# Shares (用证授权) and verification

Purpose = Annotated[str, StringConstraints(strip_whitespace=True, min_length=2, max_length=200)]


class ShareCreate(BaseModel):
    """A holder's consent to show a license: why, which fields, until when."""

    model_config = ConfigDict(extra="forbid")

    purpose: Purpose = Field(description="用证事由: what the license is shown for (ID, phone and "
                             "account numbers in it are kept masked)",
                             examples=["向房东出示营业执照以签订商铺租赁合同"])  # fmt: skip
    fields: list[Annotated[str, StringConstraints(max_length=64)]] = Field(
        default_factory=list,
        max_length=50,
        description="Names of the license type's fields to show (may be empty: the verifier "
        "then learns only that the license is valid, its type, issuer and holder's name); an ID "
        "number is always shown masked",
        examples=[["name", "legal_representative", "business_scope"]],
    )
    expires_at: datetime = Field(
        description="When the share stops working (at most QE_LICENSE_SHARE_MAX_DAYS ahead)"
    )


class ShareRead(BaseModel):
    """A share, with the token and QR payload a verifier scans."""

    id: str
    license_no: str
    purpose: str
    fields: list[str]
    expires_at: datetime
    revoked_at: datetime | None
    created_at: datetime
    active: bool = Field(description="Neither revoked nor expired")
    token: str = Field(description="The short signed share token")
    qr_payload: str = Field(
        description="What the QR code encodes: the verification URL with the token; a scanner "
        "opens it (GET) or posts the token to /api/v1/licenses/verify"
    )
    qr_image: str = Field(
        description="The path of the QR image of `qr_payload` for the holder's screen: PNG, or "
        "SVG with `?format=svg` (the holder's bearer token is needed)"
    )


MAX_CREDENTIAL_CHARS = 20_000


class VerificationRequest(BaseModel):
    """What a verifier presents: a credential, a share token, or a number with the holder's
    name (exactly one of the three)."""

    model_config = ConfigDict(extra="forbid")

    credential: str | None = Field(
        default=None, max_length=MAX_CREDENTIAL_CHARS, description="A license credential (vc+jwt)"
    )
    share_token: str | None = Field(default=None, max_length=200)
    license_no: str | None = Field(default=None, max_length=80)
    holder_name: str | None = Field(default=None, max_length=200)

    @model_validator(mode="after")
    def _one_way(self) -> VerificationRequest:
        ways = [
            self.credential is not None,
            self.share_token is not None,
            self.license_no is not None or self.holder_name is not None,
        ]
        if sum(ways) != 1 or (ways[2] and (self.license_no is None or self.holder_name is None)):
            raise ValueError(
                "give exactly one of: credential; share_token; license_no with holder_name"
            )
        return self


VerificationReasonCode = Literal[
    "unknown",
    "not_yet_valid",
    "expired",
    "suspended",
    "revoked",
    "cancelled",
    "superseded",
    "share_expired",
    "share_revoked",
]


class VerificationReason(BaseModel):
    """Why a license did not verify as valid."""

    code: VerificationReasonCode
    message_zh: str
    message_en: str


class IssuerRef(BaseModel):
    """The issuing department, named."""

    code: str
    name: str


class VerifiedLicense(BaseModel):
    """What a verifier is shown of a license: never more than the holder agreed to."""

    license_no: str
    type: LicenseTypeRef
    issuer: IssuerRef
    holder: HolderRead
    valid_from: date
    valid_until: date | None
    status: ReadStatus
    version: int
    fields: dict[str, FieldValue] = Field(
        description="Only the fields the holder chose to show (none for a number look-up)"
    )


class VerifiedShare(BaseModel):
    """The share a verification went through."""

    purpose: str
    expires_at: datetime


class LicenseVerification(BaseModel):
    """The answer to a verification. Unknown, malformed, forged or mismatched input all read
    `invalid` with the one reason `unknown`, and show no license."""

    result: Literal["valid", "invalid"]
    reasons: list[VerificationReason]
    method: Literal["credential", "share", "number"]
    license: VerifiedLicense | None
    share: VerifiedShare | None = None
    checked_at: datetime
