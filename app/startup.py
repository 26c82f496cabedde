"""What a process does to a database before it serves from it: migrate, make the signing keys
and the first-party client, seed the reference data (catalog, license types, rulesets).

Any number of processes may start together on one PostgreSQL (replicas behind a load
balancer, `qingeban migrate` as an init step, workers): one of them prepares the database
while the others wait on an advisory lock, then find it prepared and do nothing. Every step is
idempotent, so a process that starts later, or after a crash halfway, finishes what is missing.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from app import migrate
from app.config import Settings
from app.db import Database

logger = logging.getLogger(__name__)

# A session-level advisory lock held on its own connection across the three steps: Alembic
# migrates on another connection, and the seed takes its own transaction-level lock inside.
_PREPARE_LOCK = 0x5145_5052_4550  # "QEPREP"


@asynccontextmanager
async def _exclusive(database: Database) -> AsyncIterator[None]:
    """One preparer at a time: an advisory lock on PostgreSQL, a lock file beside SQLite's."""
    if database.is_postgresql:
        async with _advisory_lock(database):
            yield
        return
    path = make_url(str(database.engine.url)).database
    if not path or path == ":memory:":
        yield
        return
    lock = await asyncio.to_thread(Path(f"{path}.prepare-lock").open, "a")
    try:
        await asyncio.to_thread(fcntl.flock, lock, fcntl.LOCK_EX)
        yield
    finally:
        lock.close()  # closing releases the lock


@asynccontextmanager
async def _advisory_lock(database: Database) -> AsyncIterator[None]:
    async with database.engine.connect() as connection:
        await connection.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PREPARE_LOCK})
        await connection.commit()
        try:
            yield
        finally:
            await connection.execute(
                text("SELECT pg_advisory_unlock(:key)"), {"key": _PREPARE_LOCK}
            )
            await connection.commit()


async def prepare(database: Database, settings: Settings, *, seed: bool = True) -> bool:
    """Migrate, bootstrap identity and credentials, and (with `seed`) load the reference data.
    Whether this process changed the database."""
    from app.auth import service as auth
    from app.certificates import service as certificates
    from app.seed import seed_reference_data

    async with _exclusive(database):
        before = await migrate.current_revision(database.engine)
        await migrate.upgrade(database.engine)
        migrated = before != migrate.head_revision()
        await auth.bootstrap(database, settings)
        await certificates.bootstrap(database, settings)
        seeded = (await seed_reference_data(database)).changed if seed else False
    if migrated or seeded:
        logger.info(
            "database prepared",
            extra={"from_revision": before, "revision": migrate.head_revision(), "seeded": seeded},
        )
    return migrated or seeded
