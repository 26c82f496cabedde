"""Tables of the identity domain.

Secrets are never stored as given: client secrets, authorization codes, refresh tokens, SSO
cookies and SMS codes are kept as keyed digests (app.auth.opaque), passwords as argon2id hashes,
signing keys encrypted. Phone and ID numbers are encrypted, with a blind index for look-ups and a
masked form for display.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import IntEnum, StrEnum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from app.db import Base, UtcDateTime
from app.kit.ids import new_id


class RealnameLevel(IntEnum):
    """How well a person's identity is proven: phone, ID matched by public security, face."""

    L1 = 1
    L2 = 2
    L3 = 3


class StaffRole(StrEnum):
    """What a staff member may do; every role but platform_admin is bound to its department."""

    CLERK = "clerk"
    DEPARTMENT_ADMIN = "department_admin"
    PLATFORM_ADMIN = "platform_admin"
    AUDITOR = "auditor"


class ClientKind(StrEnum):
    """Department systems (confidential), the first-party app (public, PKCE), partners."""

    DEPARTMENT = "department"
    FIRST_PARTY = "first_party"
    PARTNER = "partner"


class SubjectType(StrEnum):
    """Whether a client sees the account id, or an identifier only it can use (pairwise)."""

    PUBLIC = "public"
    PAIRWISE = "pairwise"


class KeyState(StrEnum):
    """A signing key is published as `next` before it signs, and after it signed as `retired`."""

    NEXT = "next"
    ACTIVE = "active"
    RETIRED = "retired"


class SubjectKind(StrEnum):
    """Who signed in: a person (citizen) or a staff member."""

    PERSON = "person"
    STAFF = "staff"


class PersonAccount(Base):
    """A citizen's account, with its real-name level."""

    __tablename__ = "person_accounts"
    __table_args__ = (CheckConstraint("realname_level BETWEEN 1 AND 3", name="realname_level"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone_cipher: Mapped[str] = mapped_column(String(255))
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    phone_masked: Mapped[str] = mapped_column(String(16))
    name: Mapped[str | None] = mapped_column(String(100))
    id_number_cipher: Mapped[str | None] = mapped_column(String(255))
    # The same blind index as the data-access log's subject index (one person, one index).
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    id_number_masked: Mapped[str | None] = mapped_column(String(32))
    realname_level: Mapped[int] = mapped_column(Integer)
    realname_source: Mapped[str] = mapped_column(String(100))
    realname_verified_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # None: the account signs in with SMS codes only.
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class FoundedEnterprise(Base):
    """An enterprise established on the platform, and the person who founded it as its legal
    representative.

    Market regulation's register is the authority on who may act for an enterprise, but an
    enterprise the platform has just registered (企业设立登记 approved here, its e-business
    license issued here) is not in the register the exchange reads until market regulation
    takes it in; until then this row lets its founder act for it.
    """

    __tablename__ = "founded_enterprises"

    uscc: Mapped[str] = mapped_column(String(18), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    founder_account_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("person_accounts.id"), index=True
    )
    # Where the founding is recorded: the approved case (`application:<number>`).
    source: Mapped[str] = mapped_column(String(100))
    founded_at: Mapped[datetime] = mapped_column(UtcDateTime)


class StaffMember(Base):
    """A clerk, department admin, platform admin or auditor, bound to a department."""

    __tablename__ = "staff_members"
    __table_args__ = (
        CheckConstraint(
            "role IN ('clerk', 'department_admin', 'platform_admin', 'auditor')", name="role"
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    role: Mapped[str] = mapped_column(String(32))
    department_code: Mapped[str] = mapped_column(ForeignKey("departments.code"), index=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)


class OAuthClient(Base):
    """A relying party: a department system, the first-party app, or a partner."""

    __tablename__ = "oauth_clients"
    __table_args__ = (
        CheckConstraint("kind IN ('department', 'first_party', 'partner')", name="kind"),
        CheckConstraint("subject_type IN ('public', 'pairwise')", name="subject_type"),
    )

    client_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    # None: a public client (PKCE, no secret).
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    subject_type: Mapped[str] = mapped_column(String(16))
    # Pairwise subjects are computed per sector, so that two sectors cannot correlate a person.
    sector_identifier: Mapped[str] = mapped_column(String(255))
    redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    post_logout_redirect_uris: Mapped[list[str]] = mapped_column(JSON)
    backchannel_logout_uri: Mapped[str | None] = mapped_column(String(2000))
    grant_types: Mapped[list[str]] = mapped_column(JSON)
    scopes: Mapped[list[str]] = mapped_column(JSON)
    # The department a department system belongs to: what it may issue licenses for.
    department_code: Mapped[str | None] = mapped_column(ForeignKey("departments.code"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    disabled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SigningKey(Base):
    """A key that signs tokens (RS256 or ES256); the private half is encrypted with a key from
    QE_SECRET_KEY."""

    __tablename__ = "signing_keys"
    __table_args__ = (
        CheckConstraint("state IN ('next', 'active', 'retired')", name="state"),
        # At most one key of each algorithm signs at a time, even when two processes bootstrap
        # at once.
        Index(
            "uq_signing_keys_one_active",
            "algorithm",
            "state",
            unique=True,
            sqlite_where=text("state = 'active'"),
            postgresql_where=text("state = 'active'"),
        ),
    )

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    state: Mapped[str] = mapped_column(String(16))
    public_jwk: Mapped[dict[str, Any]] = mapped_column(JSON)
    private_key_cipher: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    activated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # A retired key stays in the JWKS (and verifies) until the last token it signed expired.
    publish_until: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SsoSession(Base):
    """A sign-in: the browser's SSO session (with a cookie) or a first-party app login."""

    __tablename__ = "sso_sessions"
    __table_args__ = (
        CheckConstraint(
            "(subject_kind = 'person' AND account_id IS NOT NULL AND staff_id IS NULL)"
            " OR (subject_kind = 'staff' AND staff_id IS NOT NULL AND account_id IS NULL)",
            name="subject",
        ),
    )

    # The `sid` claim of ID and logout tokens.
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Digest of the browser cookie; None for sessions without a browser (app logins).
    cookie_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    subject_kind: Mapped[str] = mapped_column(String(16))
    account_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("person_accounts.id"), index=True
    )
    staff_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("staff_members.id"), index=True)
    auth_time: Mapped[datetime] = mapped_column(UtcDateTime)
    amr: Mapped[list[str]] = mapped_column(JSON)
    acr: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SsoSessionClient(Base):
    """A client that received tokens in a session: it gets a back-channel logout token."""

    __tablename__ = "sso_session_clients"

    session_id: Mapped[str] = mapped_column(ForeignKey("sso_sessions.id"), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), primary_key=True)
    joined_at: Mapped[datetime] = mapped_column(UtcDateTime)


class AuthorizationRequest(Base):
    """An authorization request waiting for its login form (servers keep no memory of it)."""

    __tablename__ = "authorization_requests"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    # Digest of the CSRF token, which the login form and a browser cookie both carry.
    csrf_hash: Mapped[str] = mapped_column(String(64))
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"))
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(1000))
    state: Mapped[str | None] = mapped_column(String(1000))
    nonce: Mapped[str | None] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    locale: Mapped[str] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Grant(Base):
    """What a client was granted in a session; its refresh tokens form one rotation family."""

    __tablename__ = "oauth_grants"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"), index=True)
    session_id: Mapped[str] = mapped_column(ForeignKey("sso_sessions.id"), index=True)
    scope: Mapped[str] = mapped_column(String(1000))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # code_reuse | refresh_reuse | revoked | logout
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class AuthorizationCode(Base):
    """A single-use, short-lived authorization code, bound to its client, redirect and PKCE."""

    __tablename__ = "authorization_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    client_id: Mapped[str] = mapped_column(ForeignKey("oauth_clients.client_id"))
    session_id: Mapped[str] = mapped_column(ForeignKey("sso_sessions.id"), index=True)
    redirect_uri: Mapped[str] = mapped_column(String(2000))
    scope: Mapped[str] = mapped_column(String(1000))
    nonce: Mapped[str | None] = mapped_column(String(500))
    code_challenge: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # What the code was exchanged for: revoked when the code is presented again.
    grant_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("oauth_grants.id"))


class RefreshToken(Base):
    """A refresh token; once used it is spent, and presenting it again revokes its grant."""

    __tablename__ = "refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    grant_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("oauth_grants.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AccessToken(Base):
    """An access token as issued, kept until it expires: a token is accepted only if it is
    recorded here with exactly its claims, so that the signing key alone cannot make one, and
    until its client revokes it (RFC 7009)."""

    __tablename__ = "access_tokens"

    jti: Mapped[str] = mapped_column(String(64), primary_key=True)
    # SHA-256 of the canonical claims (app.auth.tokens.claims_digest).
    claims_digest: Mapped[str] = mapped_column(String(64))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SmsChallenge(Base):
    """An SMS login code sent to a phone: 6 digits, 5 minutes, 5 attempts, stored as a digest."""

    __tablename__ = "sms_challenges"
    __table_args__ = (Index("ix_sms_challenges_phone_created", "phone_index", "created_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone_index: Mapped[str] = mapped_column(String(64))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RateLimitCounter(Base):
    """A fixed-window hit counter (the rate limiter's backend when there is no Redis)."""

    __tablename__ = "rate_limit_counters"

    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    hits: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class DemoSmsMessage(Base):
    """A text the demo SMS gateway "sent"; readable only in demo mode (`qingeban demo sms`)."""

    __tablename__ = "demo_sms_messages"
    __table_args__ = (Index("ix_demo_sms_messages_phone_sent", "phone_index", "sent_at"),)

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True, default=new_id)
    phone_index: Mapped[str] = mapped_column(String(64))
    phone_masked: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(UtcDateTime)
