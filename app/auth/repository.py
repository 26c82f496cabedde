"""The identity domain's queries; SMS codes and rate-limit counters have modules of their own
(sms_repository, ratelimit_repository).

Counters (failed logins) and single-use secrets (codes, refresh tokens) change with one
conditional UPDATE or upsert each, never read-then-write, so concurrent requests on any
number of API processes cannot share an attempt or spend a secret twice.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    bindparam,
    delete,
    exists,
    insert,
    or_,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.util import identity_key

from app.auth.models import (
    AccessToken,
    AuthorizationCode,
    AuthorizationRequest,
    DemoSmsMessage,
    FoundedEnterprise,
    Grant,
    KeyState,
    OAuthClient,
    PersonAccount,
    RateLimitCounter,
    RefreshToken,
    SigningKey,
    SmsChallenge,
    SsoSession,
    SsoSessionClient,
    StaffMember,
)
from app.db import DriverStatement, fetch_driver_row
from app.kit.clock import utcnow

# Serialises key bootstrap and rotation across processes on PostgreSQL ("QEKEYS").
_KEYS_LOCK = 0x5145_4B45_5953


def dialect_insert(session: AsyncSession) -> Any:
    """The INSERT construct with the session's dialect's ON CONFLICT (upserts)."""
    dialect = session.get_bind().dialect.name
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def add(session: AsyncSession, row: object) -> None:
    """Insert a row in the caller's transaction."""
    session.add(row)
    await session.flush()


# Built once: a statement made per call costs more to build than to send.
_RECORD_ACCESS_TOKEN = insert(cast(Table, AccessToken.__table__))


async def record_access_token(
    session: AsyncSession, *, jti: str, claims_digest: str, expires_at: datetime
) -> None:
    """Record an issued access token: one INSERT, past the ORM's unit of work (it is on the
    token endpoint's path, and nothing reads the row back in the same request)."""
    values = {"jti": jti, "claims_digest": claims_digest, "expires_at": expires_at}
    await session.execute(_RECORD_ACCESS_TOKEN, values)


# PostgreSQL only: a batch's records as three arrays in one statement, so the batch is one
# round trip and lands whole or not at all (app.auth.token_ledger).
_RECORD_ACCESS_TOKENS = (
    "INSERT INTO access_tokens (jti, claims_digest, expires_at) "
    "SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::timestamptz[])"
)


async def record_access_tokens(driver: Any, rows: Sequence[dict[str, Any]]) -> None:
    """Record several issued access tokens in one statement on an asyncpg connection
    (`Database.driver_connection`); each row has the keyword arguments of
    `record_access_token`."""
    await driver.execute(
        _RECORD_ACCESS_TOKENS,
        [row["jti"] for row in rows],
        [row["claims_digest"] for row in rows],
        [row["expires_at"] for row in rows],
    )


# Accounts and staff


async def account(session: AsyncSession, account_id: uuid.UUID) -> PersonAccount | None:
    """A person account by id."""
    return await session.get(PersonAccount, account_id)


@dataclass(frozen=True, slots=True)
class RealnameRecord:
    """What an account holds of its owner's verified identity (VerifiedPerson, encrypted)."""

    id: uuid.UUID
    name: str | None
    id_number_cipher: str | None
    id_number_index: str | None
    realname_level: int
    realname_verified_at: datetime
    phone_cipher: str


async def realname_record(session: AsyncSession, account_id: uuid.UUID) -> RealnameRecord | None:
    """An account's verified identity. On PostgreSQL through the driver, unless the session
    holds the account already (its changes may not be flushed yet): every 秒批 submission reads
    it, and with the other reads through the driver a submission's reads need no transaction."""
    held = session.sync_session.identity_map.get(identity_key(PersonAccount, account_id))
    if held is None and session.get_bind().dialect.name == "postgresql":
        row = await fetch_driver_row(session, _DRIVER_REALNAME, {"id": account_id})
        if row is None:
            return None
        verified_at = row["realname_verified_at"].astimezone(UTC)
        return RealnameRecord(
            account_id, row["name"], row["id_number_cipher"], row["id_number_index"],
            row["realname_level"], verified_at, row["phone_cipher"],
        )  # fmt: skip
    found = held if isinstance(held, PersonAccount) else await account(session, account_id)
    if found is None:
        return None
    return RealnameRecord(
        found.id, found.name, found.id_number_cipher, found.id_number_index,
        found.realname_level, found.realname_verified_at, found.phone_cipher,
    )  # fmt: skip


_DRIVER_REALNAME = DriverStatement(
    select(
        PersonAccount.name,
        PersonAccount.id_number_cipher,
        PersonAccount.id_number_index,
        PersonAccount.realname_level,
        PersonAccount.realname_verified_at,
        PersonAccount.phone_cipher,
    ).where(PersonAccount.id == bindparam("id"))
)


async def account_by_phone_index(session: AsyncSession, index: str) -> PersonAccount | None:
    """The account of a phone number's blind index."""
    statement = select(PersonAccount).where(PersonAccount.phone_index == index)
    return (await session.execute(statement)).scalar_one_or_none()


async def account_by_id_number_index(session: AsyncSession, index: str) -> PersonAccount | None:
    """The account of an ID number's blind index."""
    statement = select(PersonAccount).where(PersonAccount.id_number_index == index)
    return (await session.execute(statement)).scalar_one_or_none()


async def id_number_indexes_with_accounts(
    session: AsyncSession, indexes: Sequence[str]
) -> set[str]:
    """Which of these ID number blind indexes belong to an account."""
    if not indexes:
        return set()
    statement = select(PersonAccount.id_number_index).where(
        PersonAccount.id_number_index.in_(indexes)
    )
    return {index for index in (await session.scalars(statement)).all() if index is not None}


async def founded_enterprise(
    session: AsyncSession, uscc: str, founder_account_id: uuid.UUID
) -> FoundedEnterprise | None:
    """An enterprise the person founded on the platform."""
    statement = select(FoundedEnterprise).where(
        FoundedEnterprise.uscc == uscc, FoundedEnterprise.founder_account_id == founder_account_id
    )
    return (await session.execute(statement)).scalar_one_or_none()


async def staff_member(session: AsyncSession, staff_id: uuid.UUID) -> StaffMember | None:
    """A staff member by id."""
    return await session.get(StaffMember, staff_id)


async def staff_by_login(session: AsyncSession, login: str) -> StaffMember | None:
    """A staff member by login name."""
    statement = select(StaffMember).where(StaffMember.login == login)
    return (await session.execute(statement)).scalar_one_or_none()


async def list_staff(
    session: AsyncSession, *, department: str | None, after: str | None, limit: int
) -> Sequence[StaffMember]:
    """Staff ordered by login, after a login, optionally of one department."""
    statement = select(StaffMember).order_by(StaffMember.login).limit(limit)
    if department is not None:
        statement = statement.where(StaffMember.department_code == department)
    if after is not None:
        statement = statement.where(StaffMember.login > after)
    return (await session.execute(statement)).scalars().all()


# Clients


async def client(session: AsyncSession, client_id: str) -> OAuthClient | None:
    """A client by id."""
    return await session.get(OAuthClient, client_id)


async def list_clients(
    session: AsyncSession, *, after: str | None, limit: int
) -> Sequence[OAuthClient]:
    """Clients ordered by id, after an id."""
    statement = select(OAuthClient).order_by(OAuthClient.client_id).limit(limit)
    if after is not None:
        statement = statement.where(OAuthClient.client_id > after)
    return (await session.execute(statement)).scalars().all()


# Signing keys


async def lock_signing_keys(session: AsyncSession) -> None:
    """Hold the key lock until the transaction ends (SQLite writers are serial anyway)."""
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _KEYS_LOCK})


async def current_signing_keys(session: AsyncSession) -> Sequence[SigningKey]:
    """The next and active keys, and retired keys still published."""
    statement = select(SigningKey).where(
        or_(SigningKey.state != KeyState.RETIRED.value, SigningKey.publish_until > utcnow())
    )
    return (await session.execute(statement.order_by(SigningKey.created_at))).scalars().all()


async def all_signing_keys(session: AsyncSession) -> Sequence[SigningKey]:
    """Every key, newest first."""
    statement = select(SigningKey).order_by(SigningKey.created_at.desc(), SigningKey.kid)
    return (await session.execute(statement)).scalars().all()


# SSO sessions


async def sso_session(session: AsyncSession, sid: str) -> SsoSession | None:
    """A session by id."""
    return await session.get(SsoSession, sid)


async def session_by_cookie(session: AsyncSession, cookie_hash: str) -> SsoSession | None:
    """The session of a cookie digest."""
    statement = select(SsoSession).where(SsoSession.cookie_hash == cookie_hash)
    return (await session.execute(statement)).scalar_one_or_none()


async def add_session_client(
    session: AsyncSession, sid: str, client_id: str, now: datetime
) -> None:
    """Record a client's part in a session (once)."""
    statement = (
        dialect_insert(session)(SsoSessionClient)
        .values(session_id=sid, client_id=client_id, joined_at=now)
        .on_conflict_do_nothing(index_elements=["session_id", "client_id"])
    )
    await session.execute(statement)


async def session_clients(session: AsyncSession, sid: str) -> Sequence[OAuthClient]:
    """The clients that took part in a session."""
    statement = (
        select(OAuthClient)
        .join(SsoSessionClient, SsoSessionClient.client_id == OAuthClient.client_id)
        .where(SsoSessionClient.session_id == sid)
        .order_by(OAuthClient.client_id)
    )
    return (await session.execute(statement)).scalars().all()


# Authorization requests and codes


async def authorization_request(
    session: AsyncSession, request_id: str
) -> AuthorizationRequest | None:
    """A held authorization request."""
    return await session.get(AuthorizationRequest, request_id)


async def complete_authorization_request(
    session: AsyncSession, request_id: str, now: datetime
) -> bool:
    """Mark a held request answered; False when it already was (a form posted twice)."""
    statement = (
        update(AuthorizationRequest)
        .where(AuthorizationRequest.id == request_id, AuthorizationRequest.completed_at.is_(None))
        .values(completed_at=now)
        .returning(AuthorizationRequest.id)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def authorization_code(session: AsyncSession, code_hash: str) -> AuthorizationCode | None:
    """A code by digest."""
    return await session.get(AuthorizationCode, code_hash)


async def spend_authorization_code(session: AsyncSession, code_hash: str, now: datetime) -> bool:
    """Mark a code used; False when it already was."""
    statement = (
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == code_hash, AuthorizationCode.used_at.is_(None))
        .values(used_at=now)
        .returning(AuthorizationCode.code_hash)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def set_code_grant(session: AsyncSession, code_hash: str, grant_id: uuid.UUID) -> None:
    """Remember what a code was exchanged for."""
    statement = (
        update(AuthorizationCode)
        .where(AuthorizationCode.code_hash == code_hash)
        .values(grant_id=grant_id)
    )
    await session.execute(statement)


# Grants and tokens


async def grant(session: AsyncSession, grant_id: uuid.UUID) -> Grant | None:
    """A grant by id."""
    return await session.get(Grant, grant_id)


async def revoke_grant(
    session: AsyncSession, grant_id: uuid.UUID, now: datetime, *, reason: str
) -> None:
    """Revoke a grant: its refresh tokens and access tokens stop working."""
    statement = (
        update(Grant)
        .where(Grant.id == grant_id, Grant.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    await session.execute(statement)


async def revoke_session_grants(
    session: AsyncSession, sid: str, now: datetime, *, reason: str
) -> None:
    """Revoke every grant made in a session."""
    statement = (
        update(Grant)
        .where(Grant.session_id == sid, Grant.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
    )
    await session.execute(statement)


async def refresh_token(session: AsyncSession, token_hash: str) -> RefreshToken | None:
    """A refresh token by digest."""
    return await session.get(RefreshToken, token_hash)


async def spend_refresh_token(session: AsyncSession, token_hash: str, now: datetime) -> bool:
    """Mark a refresh token used; False when it already was."""
    statement = (
        update(RefreshToken)
        .where(RefreshToken.token_hash == token_hash, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .returning(RefreshToken.token_hash)
    )
    return (await session.execute(statement)).scalar_one_or_none() is not None


async def revoke_access_token(
    session: AsyncSession, jti: str, claims_digest: str, now: datetime
) -> None:
    """Revoke an issued access token (it stays recorded until it would have expired)."""
    statement = (
        update(AccessToken)
        .where(
            AccessToken.jti == jti,
            AccessToken.claims_digest == claims_digest,
            AccessToken.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    await session.execute(statement)


# Housekeeping


async def purge_expired(
    session: AsyncSession, now: datetime, *, grace: timedelta
) -> dict[str, int]:
    """Delete what can no longer be used: expired requests, codes, tokens, grants, sessions,
    SMS codes, access-token records and counters (kept `grace` longer, for reuse detection and
    support)."""
    cutoff = now - grace
    deleted: dict[str, int] = {}

    async def purge(name: str, statement: Any) -> None:
        result = await session.execute(statement.execution_options(synchronize_session=False))
        deleted[name] = int(getattr(result, "rowcount", 0) or 0)

    await purge(
        "authorization_requests",
        delete(AuthorizationRequest).where(AuthorizationRequest.expires_at < cutoff),
    )
    expired_grants = select(Grant.id).where(Grant.expires_at < cutoff)
    await purge(
        "authorization_codes",
        delete(AuthorizationCode).where(
            or_(
                AuthorizationCode.expires_at < cutoff,
                AuthorizationCode.grant_id.in_(expired_grants),
            )
        ),
    )
    await purge(
        "refresh_tokens",
        delete(RefreshToken).where(
            or_(RefreshToken.expires_at < cutoff, RefreshToken.grant_id.in_(expired_grants))
        ),
    )
    await purge("oauth_grants", delete(Grant).where(Grant.expires_at < cutoff))
    # A session goes once it is over and nothing granted in it (or coded for it) remains.
    finished = select(SsoSession.id).where(
        SsoSession.expires_at < cutoff,
        ~exists().where(Grant.session_id == SsoSession.id),
        ~exists().where(AuthorizationCode.session_id == SsoSession.id),
    )
    await purge(
        "sso_session_clients",
        delete(SsoSessionClient).where(SsoSessionClient.session_id.in_(finished)),
    )
    await purge("sso_sessions", delete(SsoSession).where(SsoSession.id.in_(finished)))
    await purge("sms_challenges", delete(SmsChallenge).where(SmsChallenge.expires_at < cutoff))
    await purge("access_tokens", delete(AccessToken).where(AccessToken.expires_at < now))
    await purge(
        "rate_limit_counters", delete(RateLimitCounter).where(RateLimitCounter.expires_at < now)
    )
    await purge("demo_sms_messages", delete(DemoSmsMessage).where(DemoSmsMessage.sent_at < cutoff))
    return deleted
