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
    ColumnElement,
    FromClause,
    Select,
    String,
    Table,
    Uuid,
    and_,
    bindparam,
    delete,
    exists,
    false,
    func,
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


@dataclass(frozen=True, slots=True)
class AccessTokenState:
    """What the database says about an access token, its client, grant, session and subject."""

    # Issued with exactly the claims presented, and not revoked.
    live: bool
    client_disabled_at: datetime | None
    grant_revoked_at: datetime | None
    grant_expires_at: datetime | None
    session_id: str | None
    session_ended_at: datetime | None
    subject_kind: str | None
    account_id: uuid.UUID | None
    staff_id: uuid.UUID | None
    staff_disabled_at: datetime | None
    role: str | None
    department_code: str | None
    client_department_code: str | None
    client_kind: str


def _access_token_state_statement(
    jti: ColumnElement[Any],
    claims_digest: ColumnElement[Any],
    client_id: ColumnElement[Any],
    grant_id: ColumnElement[Any] | None,
    *,
    lookups: FromClause | None = None,
) -> Select[*tuple[Any, ...]]:
    """The state of the token `jti` (with `claims_digest`) of `client_id` under `grant_id`:
    bound parameters for one token; for several, the columns of `lookups`, one row of it per
    token (a token whose client is unknown has no row)."""
    on_grant = false() if grant_id is None else Grant.id == grant_id
    clients: FromClause = cast(Table, OAuthClient.__table__)
    if lookups is not None:
        clients = lookups.join(clients, OAuthClient.client_id == client_id)
    statement: Select[*tuple[Any, ...]] = select(
        exists()
        .where(
            AccessToken.jti == jti,
            AccessToken.claims_digest == claims_digest,
            AccessToken.revoked_at.is_(None),
        )
        .label("live"),
        OAuthClient.disabled_at.label("client_disabled_at"),
        Grant.revoked_at.label("grant_revoked_at"),
        Grant.expires_at.label("grant_expires_at"),
        SsoSession.id.label("session_id"),
        SsoSession.ended_at.label("session_ended_at"),
        SsoSession.subject_kind,
        SsoSession.account_id,
        SsoSession.staff_id,
        StaffMember.disabled_at.label("staff_disabled_at"),
        StaffMember.role,
        StaffMember.department_code,
        OAuthClient.department_code.label("client_department_code"),
        OAuthClient.kind.label("client_kind"),
    ).select_from(
        clients.outerjoin(Grant, and_(on_grant, Grant.client_id == OAuthClient.client_id))
        .outerjoin(SsoSession, SsoSession.id == Grant.session_id)
        .outerjoin(StaffMember, StaffMember.id == SsoSession.staff_id)
    )
    if lookups is None:
        statement = statement.where(OAuthClient.client_id == client_id)
    return statement


def _single_token_state_statement(*, with_grant: bool) -> Select[*tuple[Any, ...]]:
    return _access_token_state_statement(
        bindparam("jti"),
        bindparam("claims_digest"),
        bindparam("client_id"),
        bindparam("grant_id") if with_grant else None,
    )


def _token_states_statement() -> Select[*tuple[Any, ...]]:
    lookups = (
        func.unnest(
            bindparam("jtis", type_=postgresql.ARRAY(String)),
            bindparam("claims_digests", type_=postgresql.ARRAY(String)),
            bindparam("client_ids", type_=postgresql.ARRAY(String)),
            bindparam("grant_ids", type_=postgresql.ARRAY(Uuid)),
        )
        .table_valued("jti", "claims_digest", "client_id", "grant_id", with_ordinality="ordinal")
        .render_derived()
    )
    statement = _access_token_state_statement(
        lookups.c.jti,
        lookups.c.claims_digest,
        lookups.c.client_id,
        lookups.c.grant_id,
        lookups=lookups,
    )
    return statement.add_columns(lookups.c.ordinal)


# Built once: every authenticated request of every endpoint runs one of them, and building a
# statement (and its cache key) per request was a measurable part of a request's CPU.
_TOKEN_STATE_WITH_GRANT = _single_token_state_statement(with_grant=True)
_TOKEN_STATE_WITHOUT_GRANT = _single_token_state_statement(with_grant=False)
# The same for asyncpg on PostgreSQL, read past SQLAlchemy's execution (a tenth of the CPU of
# an introspection).
_DRIVER_TOKEN_STATE_WITH_GRANT = DriverStatement(_TOKEN_STATE_WITH_GRANT)
_DRIVER_TOKEN_STATE_WITHOUT_GRANT = DriverStatement(_TOKEN_STATE_WITHOUT_GRANT)
# Several tokens' states in one statement, each token a row of the arrays (PostgreSQL).
_DRIVER_TOKEN_STATES = DriverStatement(_token_states_statement())


@dataclass(frozen=True, slots=True)
class TokenLookup:
    """Which access token's state to read (the arguments of `access_token_state`)."""

    jti: str
    claims_digest: str
    client_id: str
    grant_id: uuid.UUID | None


async def access_token_state(
    session: AsyncSession,
    *,
    jti: str,
    claims_digest: str,
    client_id: str,
    grant_id: uuid.UUID | None,
) -> AccessTokenState | None:
    """Whether an access token was issued and is not revoked, and the state of its client,
    grant, session and subject, in one query; None for an unknown client."""
    params: dict[str, object] = {"jti": jti, "claims_digest": claims_digest, "client_id": client_id}
    if grant_id is not None:
        params["grant_id"] = grant_id
    if session.get_bind().dialect.name == "postgresql":
        driver = _DRIVER_TOKEN_STATE_WITHOUT_GRANT
        if grant_id is not None:
            driver = _DRIVER_TOKEN_STATE_WITH_GRANT
        record = await fetch_driver_row(session, driver, params)
        return None if record is None else _state_of_row(dict(record.items()))
    statement = _TOKEN_STATE_WITHOUT_GRANT if grant_id is None else _TOKEN_STATE_WITH_GRANT
    found = (await session.execute(statement, params)).mappings().one_or_none()
    if found is None:
        return None
    row = dict(found)
    return AccessTokenState(**{**row, "live": bool(row["live"])})


async def access_token_states(
    driver: Any, lookups: Sequence[TokenLookup]
) -> list[AccessTokenState | None]:
    """`access_token_state` of each of several tokens, in one statement on an asyncpg
    connection (`Database.driver_connection`), in their order (PostgreSQL)."""
    if len(lookups) == 1:
        # A lone token (a quiet process): its own statement, cheaper than arrays of one.
        (lookup,) = lookups
        statement = _DRIVER_TOKEN_STATE_WITHOUT_GRANT
        if lookup.grant_id is not None:
            statement = _DRIVER_TOKEN_STATE_WITH_GRANT
        params: dict[str, Any] = {
            "jti": lookup.jti,
            "claims_digest": lookup.claims_digest,
            "client_id": lookup.client_id,
            "grant_id": lookup.grant_id,
        }
        record = await driver.fetchrow(statement.sql, *[params[name] for name in statement.names])
        return [None if record is None else _state_of_row(dict(record.items()))]
    statement = _DRIVER_TOKEN_STATES
    params = {
        "jtis": [lookup.jti for lookup in lookups],
        "claims_digests": [lookup.claims_digest for lookup in lookups],
        "client_ids": [lookup.client_id for lookup in lookups],
        "grant_ids": [lookup.grant_id for lookup in lookups],
    }
    records = await driver.fetch(statement.sql, *[params[name] for name in statement.names])
    states: list[AccessTokenState | None] = [None] * len(lookups)
    for record in records:
        row = dict(record.items())
        ordinal = row.pop("ordinal")
        states[ordinal - 1] = _state_of_row(row)
    return states


def _state_of_row(row: dict[str, Any]) -> AccessTokenState:
    """An asyncpg record's state (as a dict, changed in place)."""
    # asyncpg's own UUID type, as SQLAlchemy's Uuid would have given them.
    for name in ("account_id", "staff_id"):
        if row[name] is not None:
            row[name] = uuid.UUID(bytes=row[name].bytes)
    return AccessTokenState(**{**row, "live": bool(row["live"])})


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
