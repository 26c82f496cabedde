"""Access tokens' states read together, for the introspections of a busy process.

Every bearer request and every introspection reads its token's state (issued with these
claims, not revoked, its client, grant, session and subject still good: one query). On
PostgreSQL a request whose session commits statement by statement and holds no connection yet
(introspection's) hands the read to its process's reader instead: the reader reads the states of
whatever tokens have gathered while its previous read was in flight, in one statement
(app.kit.batching), so a burst of requests makes one round trip per batch instead of one each.

A batch's statement starts after each of its requests asked, so it sees every revocation,
logout and change committed before any of them asked: what the request's own statement would
have seen. Any other session (a unit of work's, or one that has used its connection; every
session on SQLite) reads on its own connection, in its transaction, as before.
"""

from __future__ import annotations

import uuid
import weakref

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import repository
from app.auth.repository import AccessTokenState, TokenLookup
from app.db import Database, idle_statementwise_database
from app.kit.batching import Batcher

Reader = Batcher[TokenLookup, AccessTokenState | None]

_readers: weakref.WeakKeyDictionary[Database, Reader] = weakref.WeakKeyDictionary()


async def access_token_state(
    session: AsyncSession,
    *,
    jti: str,
    claims_digest: str,
    client_id: str,
    grant_id: uuid.UUID | None,
) -> AccessTokenState | None:
    """`repository.access_token_state`, read with other requests' where it can be."""
    database = idle_statementwise_database(session)
    if database is None:
        return await repository.access_token_state(
            session, jti=jti, claims_digest=claims_digest, client_id=client_id, grant_id=grant_id
        )
    return await _reader(database).submit(TokenLookup(jti, claims_digest, client_id, grant_id))


def _reader(database: Database) -> Reader:
    reader = _readers.get(database)
    if reader is None:
        # The reader refers to its database weakly: a strong reference from the value would
        # keep the key alive for good.
        held = weakref.ref(database)

        async def read(lookups: list[TokenLookup]) -> list[AccessTokenState | None]:
            database = held()
            # Alive: each caller's session holds it (in its `info`) while the caller waits.
            assert database is not None
            async with database.driver_connection() as driver:
                return await repository.access_token_states(driver, lookups)

        reader = _readers[database] = Batcher(read, lone_call_at_once=True)
    return reader
