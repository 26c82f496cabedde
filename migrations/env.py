"""Alembic environment: async engines, one URL from settings, SQLite in batch mode."""

from __future__ import annotations

import asyncio

from alembic import context
from sqlalchemy.engine import Connection

import app.models  # noqa: F401  (registers every table on Base.metadata)
from app.config import get_settings
from app.db import Base, create_engine

target_metadata = Base.metadata


def _configure(connection: Connection) -> None:
    sqlite = connection.dialect.name == "sqlite"
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=sqlite,
        compare_type=True,
    )
    if not sqlite:
        with context.begin_transaction():
            context.run_migrations()
        return
    # SQLite changes a table by rebuilding it (batch mode) and dropping the old one, which
    # fails while other tables' rows refer to it and foreign keys are enforced; enforcement
    # can be switched only outside a transaction. So: off before the migrations begin, every
    # key checked before they commit, on again after, on the connection the app goes on using.
    _sqlite_pragma(connection, "PRAGMA foreign_keys=OFF")
    try:
        with context.begin_transaction():
            context.run_migrations()
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").first()
            if broken is not None:
                raise RuntimeError(f"the migrations broke a foreign key of {broken[0]}")
        connection.commit()
    except BaseException:
        connection.invalidate()  # maybe still in its transaction: never reused without the keys
        raise
    _sqlite_pragma(connection, "PRAGMA foreign_keys=ON")


def _sqlite_pragma(connection: Connection, pragma: str) -> None:
    # On the driver's connection: through SQLAlchemy the statement would begin a transaction.
    cursor = connection.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
    try:
        cursor.execute(pragma)
    finally:
        cursor.close()


async def _run_online(url: str) -> None:
    engine = create_engine(url)
    async with engine.connect() as connection:
        await connection.run_sync(_configure)
        await connection.commit()
    await engine.dispose()


def run() -> None:
    """Use the caller's connection when given one (app.migrate), else open the configured URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _configure(connection)
        return
    url = context.config.attributes.get("url") or get_settings().database_url
    asyncio.run(_run_online(url))


if context.is_offline_mode():
    raise SystemExit("offline migrations are not supported; run `qingeban migrate`")
run()
