"""The state of a presented access token, read for every bearer request and introspection.

One query says whether a token was issued with exactly the claims presented and is not revoked,
and the state of its client, grant, session and subject (`access_token_state`).

On PostgreSQL, a request whose session commits statement by statement and holds no connection
yet (introspection's) hands the read to its process's reader instead (`read`): the reader reads
the states of whatever tokens have gathered while its previous read was in flight, in one
statement (app.kit.batching), so a burst of requests makes one round trip per batch instead of
one each; a lone request reads its own at once.

A batch's statement starts after each of its requests asked, so it sees every revocation,
logout and change committed before any of them asked: what the request's own statement would
have seen. Any other session (a unit of work's, or one that has used its connection; every
session on SQLite) reads on its own connection, in its transaction, as before.
"""

from __future__ import annotations

import uuid
import weakref
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
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
    exists,
    false,
    func,
    select,
)
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth.models import AccessToken, Grant, OAuthClient, SsoSession, StaffMember
from app.db import Database, DriverStatement, fetch_driver_row, idle_statementwise_database
from app.kit.batching import Batcher


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


Reader = Batcher[TokenLookup, AccessTokenState | None]

_readers: weakref.WeakKeyDictionary[Database, Reader] = weakref.WeakKeyDictionary()


async def read(session: AsyncSession, lookup: TokenLookup) -> AccessTokenState | None:
    """`access_token_state`, read with other requests' where it can be."""
    database = idle_statementwise_database(session)
    if database is None:
        return await access_token_state(
            session,
            jti=lookup.jti,
            claims_digest=lookup.claims_digest,
            client_id=lookup.client_id,
            grant_id=lookup.grant_id,
        )
    return await _reader(database).submit(lookup)


def _reader(database: Database) -> Reader:
    reader = _readers.get(database)
    if reader is None:
        # The reader refers to its database weakly: a strong reference from the value would
        # keep the key alive for good.
        held = weakref.ref(database)

        async def read_batch(lookups: list[TokenLookup]) -> list[AccessTokenState | None]:
            database = held()
            # Alive: each caller's session holds it (in its `info`) while the caller waits.
            assert database is not None
            async with database.driver_connection() as driver:
                return await access_token_states(driver, lookups)

        reader = _readers[database] = Batcher(read_batch, lone_call_at_once=True)
    return reader
