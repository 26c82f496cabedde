"""Run and inspect Alembic migrations from code (the CLI, `serve`, `/readyz`, the tests)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

# Beside app/ in a checkout; an installed image points QE_MIGRATIONS_DIR at its copy.
MIGRATIONS_DIR = Path(
    os.environ.get("QE_MIGRATIONS_DIR") or Path(__file__).resolve().parent.parent / "migrations"
)


def alembic_config() -> Config:
    """An Alembic config that needs no alembic.ini."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str | None:
    """The newest revision in migrations/."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Bring the database to `revision`."""
    await _run(engine, lambda config: command.upgrade(config, revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Take the database back to `revision` ("base" empties it)."""
    await _run(engine, lambda config: command.downgrade(config, revision))


async def current_revision(engine: AsyncEngine) -> str | None:
    """The revision the database is at, or None when it was never migrated."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as connection:
        return await connection.run_sync(read)


async def reference_data_seeded(engine: AsyncEngine) -> bool:
    """Whether the catalog is in the database. The reference data is seeded in one transaction
    (app/seed.py), so a service row means the license types and rulesets are there too."""
    async with engine.connect() as connection:
        return (
            await connection.execute(text("SELECT 1 FROM services LIMIT 1"))
        ).first() is not None


async def _run(engine: AsyncEngine, action: Callable[[Config], object]) -> None:
    def go(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        action(config)

    async with engine.connect() as connection:
        await connection.run_sync(go)
        await connection.commit()
