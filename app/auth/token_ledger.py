"""Access-token records written together (group commit), for the client-credentials path.

A department system asks for tokens all day; each token's record (app.auth.access accepts no
token that is not recorded) used to be a statement and a commit of its own. On PostgreSQL the
token endpoint hands the record to its process's ledger instead: the ledger inserts whatever
records have gathered while the previous insert was in flight, in one statement that commits
by itself (through the driver, the batch's columns as arrays), and answers each waiting
request only once its record has committed, so a token is never handed out before it is
recorded, and a failed insert fails every request of its batch (none of those tokens is
handed out). A request cancelled while it waits (the client went
away) may still have its record inserted: a record of a token nobody holds, which expires.

SQLite has no ledger: the request's unit of work holds the database's one write lock, which a
second connection would wait for.
"""

from __future__ import annotations

import weakref
from datetime import datetime
from typing import Any

from app.auth import repository
from app.db import Database
from app.kit.batching import Batcher

_ledgers: weakref.WeakKeyDictionary[Database, TokenLedger] = weakref.WeakKeyDictionary()


class TokenLedger:
    """One process's writer of access-token records to one PostgreSQL database."""

    def __init__(self, database: Database) -> None:
        self._database = database
        self._batches: Batcher[dict[str, Any], None] = Batcher(self._insert)

    async def record(self, *, jti: str, claims_digest: str, expires_at: datetime) -> None:
        """Return once the record has committed (raise what its batch's insert raised)."""
        await self._batches.submit(
            {"jti": jti, "claims_digest": claims_digest, "expires_at": expires_at}
        )

    async def _insert(self, rows: list[dict[str, Any]]) -> list[None]:
        async with self._database.driver_connection() as driver:
            await repository.record_access_tokens(driver, rows)
        return [None] * len(rows)


def ledger_for(database: Database) -> TokenLedger | None:
    """The process's ledger for `database`; None on SQLite (see the module's docstring)."""
    if not database.is_postgresql:
        return None
    ledger = _ledgers.get(database)
    if ledger is None:
        ledger = _ledgers[database] = TokenLedger(database)
    return ledger
