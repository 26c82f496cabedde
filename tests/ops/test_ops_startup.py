"""Start-up that scales out: processes preparing one database at the same instant migrate and
seed it once, and a replica is ready only once the reference data is there."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
from settings_support import make_settings
from sqlalchemy import text

from app import migrate
from app.config import Settings
from app.db import Database
from app.main import create_app
from app.startup import prepare


async def _count(database: Database, table: str) -> int:
    async with database.engine.connect() as connection:
        return int((await connection.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one())


async def test_three_processes_starting_together_prepare_the_database_once(
    database: Database, settings: Settings
) -> None:
    await migrate.downgrade(database.engine, "base")
    assert await migrate.current_revision(database.engine) is None
    # Three processes' engines: each prepares as `qingeban serve` or `migrate` would.
    replicas = [Database.from_url(settings.database_url) for _ in range(3)]
    try:
        changed = await asyncio.gather(*(prepare(replica, settings) for replica in replicas))
    finally:
        for replica in replicas:
            await replica.dispose()
    assert sorted(changed) == [False, False, True], "one migrated and seeded, two found it done"
    assert await migrate.current_revision(database.engine) == migrate.head_revision()
    assert await _count(database, "services") > 6000
    assert await _count(database, "license_types") > 10
    # Prepared again later (a replica restarting): nothing to do, nothing duplicated.
    assert await prepare(database, settings) is False


async def test_a_migrated_database_without_reference_data_is_not_ready(tmp_path: Path) -> None:
    settings = make_settings(f"sqlite+aiosqlite:///{tmp_path / 'unseeded.db'}")
    database = Database.from_url(settings.database_url)
    try:
        await migrate.upgrade(database.engine)
        app = create_app(settings, database=database)
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with app.router.lifespan_context(app):
            async with httpx.AsyncClient(transport=transport, base_url="http://t") as http:
                unseeded = await http.get("/readyz", headers={"Accept-Language": "en"})
                await prepare(database, settings)
                seeded = await http.get("/readyz")
    finally:
        await database.dispose()
    assert unseeded.status_code == 503
    assert unseeded.json()["code"] == "ops.not_ready"
    assert "not seeded" in unseeded.json()["detail"]
    assert seeded.status_code == 200
