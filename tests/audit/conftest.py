"""Audit test helpers: build a chain, tamper with it the way a rogue administrator would,
verify it, and run the audit commands as an operator would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from settings_support import make_settings
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncConnection

from app.audit import service
from app.audit.schemas import AuditContext, AuditEntry, ChainReport
from app.cli import main
from app.config import Settings, get_settings
from app.db import Database

MakeChain = Callable[[int], Awaitable[None]]
Tamper = Callable[[Callable[[AsyncConnection], Awaitable[None]]], Awaitable[None]]
Verify = Callable[..., Awaitable[ChainReport]]
Cli = Callable[..., Awaitable[tuple[int, Any]]]

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
def settings(database_url: str, tmp_path: Path) -> Settings:
    """The suite's settings, with a checkpoint store in the test's own directory."""
    return make_settings(database_url, audit_checkpoint_path=tmp_path / "audit-checkpoints.jsonl")


@pytest.fixture
def verify(database: Database, settings: Settings) -> Verify:
    """Verify the chain as the API and the CLI do (`full=True` walks all of it)."""

    async def run(*, full: bool = False, batch_size: int = 5000) -> ChainReport:
        return await service.verify_chain(database, settings, full=full, batch_size=batch_size)

    return run


@pytest.fixture
def cli(
    settings: Settings, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> Iterator[Cli]:
    """Run `qingeban ARGS…` on the test's database and checkpoint store, as an operator
    would: the exit code and the JSON it printed (None when it printed nothing)."""
    monkeypatch.setenv("QE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("QE_AUDIT_CHECKPOINT_PATH", str(settings.audit_checkpoint_path))
    monkeypatch.setenv("QE_SECRET_KEY", settings.secret_key.get_secret_value())
    monkeypatch.setenv("QE_ENV", "test")
    get_settings.cache_clear()

    async def run(*argv: str) -> tuple[int, Any]:
        capsys.readouterr()
        # The command runs its own event loop (asyncio.run), so it gets a thread of its own.
        code = await asyncio.to_thread(main, list(argv))
        out = capsys.readouterr().out
        return code, json.loads(out) if out.strip() else None

    yield run
    get_settings.cache_clear()


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
