"""What the identity domain takes and gives: admin inputs, token responses, user info."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from app.auth.models import ClientKind, KeyState, StaffRole, SubjectType

GrantType = Literal["authorization_code", "refresh_token", "client_credentials"]
Uri = Annotated[str, Field(min_length=1, max_length=2000)]
ScopeName = Annotated[str, Field(min_length=1, max_length=64)]


class ClientCreate(BaseModel):
    """A client to register; unset lists get the defaults of its kind."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["住房公积金管理中心业务系统"])
    kind: ClientKind
    redirect_uris: list[Uri] = Field(default_factory=list, max_length=20)
    post_logout_redirect_uris: list[Uri] = Field(default_factory=list, max_length=20)
    backchannel_logout_uri: Uri | None = None
    grant_types: list[GrantType] | None = Field(default=None, max_length=3)
    scopes: list[ScopeName] | None = Field(default=None, max_length=50)
    subject_type: SubjectType | None = Field(
        default=None, description="Default: pairwise for partners, public otherwise"
    )
    department_code: str | None = Field(
        default=None,
        max_length=32,
        description="The department a department system belongs to; required for `licenses:issue`",
        examples=["scjg"],
    )


class ClientRead(BaseModel):
    """A registered client (its secret is never shown again)."""

    model_config = ConfigDict(from_attributes=True)

    client_id: str
    name: str
    kind: ClientKind
    confidential: bool
    subject_type: SubjectType
    redirect_uris: list[str]
    post_logout_redirect_uris: list[str]
    backchannel_logout_uri: str | None
    grant_types: list[str]
    scopes: list[str]
    department_code: str | None
    created_at: datetime


class ClientCreated(ClientRead):
    """A new client with its secret, shown this once (null for public clients)."""

    client_secret: str | None


class StaffCreate(BaseModel):
    """A staff member to create; without a password one is generated and shown once."""

    model_config = ConfigDict(extra="forbid")

    login: str = Field(
        pattern=r"^[a-z][a-z0-9._-]{2,63}$",
        description="Starts with a letter, so it is never taken for a phone number",
        examples=["gjj.zhang"],
    )
    name: str = Field(min_length=1, max_length=100, examples=["张伟"])
    role: StaffRole
    department_code: str = Field(max_length=32, examples=["gjj"])
    password: str | None = Field(default=None, min_length=1, max_length=128)


class StaffRead(BaseModel):
    """A staff member."""

    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    login: str
    name: str
    role: StaffRole
    department_code: str
    created_at: datetime


class StaffCreated(StaffRead):
    """A new staff member, with the generated password shown this once (null if one was set)."""

    initial_password: str | None


class SigningKeyRead(BaseModel):
    """A signing key's public facts."""

    model_config = ConfigDict(from_attributes=True)

    kid: str
    algorithm: str
    state: KeyState
    created_at: datetime
    activated_at: datetime | None
    retired_at: datetime | None
    publish_until: datetime | None = Field(description="A retired key is published until then")


class KeyRotationRead(BaseModel):
    """The outcome of a rotation in one family of keys."""

    algorithm: str = Field(description="The family: RS256 (ID tokens) or ES256 (access tokens)")
    active: str = Field(description="The kid that signs from now on (published since before)")
    next: str = Field(description="The new next key, published now")
    retired: str | None = Field(description="The previous signing key, still published")


class PersonAccountRead(BaseModel):
    """A person's account as its owner (or the platform) sees it; ID number masked."""

    id: uuid.UUID
    phone_masked: str
    name: str | None
    id_number_masked: str | None
    realname_level: Literal["L1", "L2", "L3"]
    realname_source: str
    realname_verified_at: datetime
    has_password: bool
    created_at: datetime


class TokenResponse(BaseModel):
    """The token endpoint's answer (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type, not a secret
    expires_in: int
    refresh_token: str | None = None
    id_token: str | None = None
    scope: str


class SmsCodeSent(BaseModel):
    """An SMS code is on its way (whether or not the phone has an account)."""

    expires_in: int = Field(description="Seconds the code stays valid")
    resend_after: int = Field(description="Seconds before another code may be requested")


class DemoSmsRead(BaseModel):
    """A text the demo SMS gateway delivered."""

    phone_masked: str
    body: str
    sent_at: datetime


class UserInfo(BaseModel):
    """Claims about the signed-in user, by granted scope (OpenID Connect Core §5.3)."""

    model_config = ConfigDict(extra="forbid")

    sub: str
    name: str | None = None
    phone_number: str | None = None
    phone_number_verified: bool | None = None
    id_number_masked: str | None = None
    realname_level: Literal["L1", "L2", "L3"] | None = None
    realname_verified_at: int | None = Field(default=None, description="Seconds since the epoch")
    staff_role: StaffRole | None = None
    department: str | None = None


class Introspection(BaseModel):
    """RFC 7662 introspection response; only `active` when the token is not."""

    active: bool
    scope: str | None = None
    client_id: str | None = None
    sub: str | None = None
    token_type: str | None = None
    exp: int | None = None
    iat: int | None = None
    nbf: int | None = None
    iss: str | None = None
    aud: str | None = None
    jti: str | None = None
    sid: str | None = None
    # RFC 8693: who acts when the subject is an enterprise.
    act: dict[str, str] | None = None


# The token endpoint's form (app.auth.forms reads it; no docstring, which would become the
# schema's description). The title is the name FastAPI gave the form when it read it field by
# field, kept for generated clients.
class TokenRequest(BaseModel):
    model_config = ConfigDict(title="Body_oidc-token")

    grant_type: str | None = None
    code: str | None = None
    redirect_uri: str | None = None
    code_verifier: str | None = None
    refresh_token: str | None = None
    scope: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


# The introspection endpoint's form, as the token endpoint's.
class IntrospectionRequest(BaseModel):
    model_config = ConfigDict(title="Body_oidc-introspect")

    token: str | None = None
    token_type_hint: str | None = None
    client_id: str | None = None
    client_secret: str | None = None


class OAuthErrorBody(BaseModel):
    """An RFC 6749 error."""

    error: str = Field(examples=["invalid_grant"])
    error_description: str | None = None


class Jwks(BaseModel):
    """The public signing keys (RFC 7517)."""

    keys: list[dict[str, str]]


# The first-party API (mobile app, mini-program): /api/v1/auth/* and /api/v1/me


class OtpRequest(BaseModel):
    """Send a 6-digit SMS code to a phone (to log in or to register)."""

    phone: str = Field(max_length=20, examples=["13800138000"])


class PasswordLogin(BaseModel):
    """Log in with a phone number (or a staff login name) and a password."""

    method: Literal["password"]
    login: str = Field(max_length=64)
    password: str = Field(max_length=128)
    scope: str | None = Field(default=None, max_length=200)


class SmsLogin(BaseModel):
    """Log in with a phone number and the SMS code sent to it."""

    method: Literal["sms_otp"]
    phone: str = Field(max_length=20)
    otp: str = Field(max_length=12)
    scope: str | None = Field(default=None, max_length=200)


LoginRequest = Annotated[PasswordLogin | SmsLogin, Field(discriminator="method")]


class Registration(BaseModel):
    """Real-name registration: the phone's SMS code, a password, and name + ID number."""

    phone: str = Field(max_length=20)
    otp: str = Field(max_length=12)
    password: str | None = Field(default=None, max_length=128)
    name: str = Field(min_length=2, max_length=50)
    id_number: str = Field(max_length=18)


class FaceVerificationRequest(BaseModel):
    """A selfie captured by the app's liveness SDK, as the token the face service issued."""

    selfie_token: str = Field(min_length=1, max_length=200)


class ActAsRequest(BaseModel):
    """The enterprise to act for, by Unified Social Credit Code."""

    uscc: str = Field(min_length=18, max_length=18)


class ActingTokenResponse(BaseModel):
    """An access token for acting for an enterprise (`sub` the USCC, `act` the person)."""

    access_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - a token type, not a secret
    expires_in: int
    scope: str
    enterprise_uscc: str
    enterprise_name: str
    role: Literal["legal_representative", "authorised_agent"]
    source: str
    as_of: datetime


class VerifiedAttribute(BaseModel):
    """One fact about the person, with where it was verified and when."""

    name: Literal["phone", "name", "id_number"]
    value: str
    source: str
    as_of: datetime


class MeRead(BaseModel):
    """What the platform holds about the signed-in person, unmasked: it is their own."""

    sub: str
    account_id: uuid.UUID
    name: str | None
    phone: str
    id_number: str | None
    realname_level: Literal["L1", "L2", "L3"]
    realname_source: str
    realname_verified_at: datetime
    attributes: list[VerifiedAttribute]


@dataclass(frozen=True, slots=True)
class VerifiedPerson:
    """A real-name verified account's owner, for the platform's use on their behalf only."""

    account_id: uuid.UUID
    name: str
    id_number: str = field(repr=False)
    id_number_index: str
    realname_level: int
    verified_at: datetime
    # The account's phone as its SMS login proved it: the one a form's locked phone must carry.
    phone: str = field(repr=False)
