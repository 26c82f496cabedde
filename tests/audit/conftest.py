"""Audit test helpers: build a chain, and tamper with it the way a rogue administrator would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import service
from app.audit.schemas import AuditContext, AuditEntry
from app.db import Database

MakeChain = Callable[[int], Awaitable[None]]
Tamper = Callable[[Callable[[AsyncConnection], Awaitable[None]]], Awaitable[None]]

CONTEXT = AuditContext(request_id="req-1", client_address="10.1.2.3")


def entry(n: int, **overrides: Any) -> AuditEntry:
    """A plausible licence-revocation entry, numbered so that every record differs."""
    fields: dict[str, Any] = {
        "actor_type": "staff",
        "actor_id": f"clerk-{n}",
        "action": "license.revoked",
        "subject_type": "license",
        "subject_id": f"L-{n:04d}",
        "purpose": "revocation by the issuing department",
        "before": {"status": "valid", "holder": "张三"},
        "after": {"status": "revoked", "holder": "张三"},
    }
    fields.update(overrides)
    return CONTEXT.entry(**fields)


@pytest.fixture
def make_chain(database: Database) -> MakeChain:
    """Append n records, each in its own committed transaction."""

    async def make(n: int) -> None:
        for i in range(1, n + 1):
            async with database.session() as session:
                await service.record(session, entry(i))

    return make


async def _drop_guards(connection: AsyncConnection) -> None:
    # Tampering needs the triggers that forbid it out of the way, as a table owner could do.
    if connection.dialect.name == "postgresql":
        await connection.execute(text("ALTER TABLE audit_records DISABLE TRIGGER USER"))
        await connection.execute(text("ALTER TABLE audit_chain_head DISABLE TRIGGER USER"))
    else:
        for name in (
            "audit_records_no_update",
            "audit_records_no_delete",
            "audit_records_advance_head",
            "audit_chain_head_kept",
        ):
            await connection.execute(text(f"DROP TRIGGER IF EXISTS {name}"))


@pytest.fixture
def tamper(database: Database) -> Tamper:
    """Run raw changes on the audit tables behind the application's back."""

    async def run(change: Callable[[AsyncConnection], Awaitable[None]]) -> None:
        async with database.engine.begin() as connection:
            await _drop_guards(connection)
            await change(connection)

    return run
