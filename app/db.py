"""Engine, sessions and the declarative base.

One `Database` per process holds the engine. Request handlers get a session whose transaction
commits when the handler returns (see `SessionDep`); services only `flush()`, so a change, its
audit record and the jobs it queues land together or not at all.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, cast
from weakref import WeakKeyDictionary

import asyncpg
from sqlalchemy import ClauseElement, MetaData, Table, event
from sqlalchemy.dialects.postgresql.asyncpg import PGDialect_asyncpg
from sqlalchemy.engine import Connection, Dialect, Engine, make_url
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.types import DateTime, String, TypeDecorator, TypeEngine

from app import db_parked, db_staged

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base of every model; constraint names follow NAMING_CONVENTION so migrations are stable."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def key_string(length: int) -> TypeEngine[str]:
    """A code, number or digest that is compared and sorted byte by byte: COLLATE "C" on
    PostgreSQL, whose databases default to a language's collation; SQLite's default is
    already byte order, so both sort such keys alike.

    A key gains nothing from a language's rules and pays for them in every index over it:
    PostgreSQL compares such text with strcoll and sorts it without abbreviated keys. With the
    licenses' keys under "C", an initial load of 23 million rows built its indexes in 154-155 s
    against 183 s, and kept its unique (issuer, record id) key for 10-15 % less PostgreSQL CPU
    a row (two alternated loads of each, migration 0029).
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class UtcDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on both dialects.

    SQLite keeps no offset, so values are stored as UTC and read back as UTC; a value then reads
    back equal on both databases (the audit chain's hashes depend on it).
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime; attach a timezone first")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _prepare_sqlite(engine: AsyncEngine) -> None:
    """Give SQLite real transactions: WAL, foreign keys, and BEGIN IMMEDIATE for writers.

    pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN is the one
    that runs. A writer that began DEFERRED would fail with SQLITE_BUSY_SNAPSHOT when another
    writer committed since its first read, so sessions that may write begin IMMEDIATE and queue
    on the busy timeout instead; read-only sessions stay DEFERRED and never block.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get("qe_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def create_engine(url: str, *, pool_size: int = 20) -> AsyncEngine:
    """An async engine for SQLite (embedded) or PostgreSQL (production)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, connect_args={"timeout": 30})
        _prepare_sqlite(engine)
        return engine
    # No overflow: a connection opened past the pool is closed again when it is returned, so a
    # burst above the pool's size paid a new PostgreSQL session (TLS attempt, authentication,
    # a backend fork) per request. Requests beyond the pool wait for a pooled connection.
    return create_async_engine(
        url, pool_size=pool_size, max_overflow=0, pool_pre_ping=False, pool_recycle=1800
    )


# What asyncpg raises on a connection the server dropped: the client's own errors (a closed
# or broken connection, a protocol left mid-operation by the server's goodbye), the connection
# errors, and the administrator's shutdown (a restart, pg_terminate_backend).
_ASYNCPG = PGDialect_asyncpg()  # type: ignore[no-untyped-call]
_CONNECTION_LOST = (
    OSError,
    asyncpg.InterfaceError,
    asyncpg.exceptions.InternalClientError,
    asyncpg.PostgresConnectionError,
    asyncpg.exceptions.OperatorInterventionError,
)


class DriverStatement:
    """A Core statement compiled once for asyncpg: its SQL text (`$1`, `$2`, …) and the names
    of its parameters in that order, for `fetch_driver_row`."""

    def __init__(self, statement: ClauseElement) -> None:
        compiled = cast(SQLCompiler, statement.compile(dialect=_ASYNCPG))
        self.sql = str(compiled)
        self.names = tuple(compiled.positiontup or ())


async def fetch_driver_row(
    session: AsyncSession, statement: DriverStatement, params: Mapping[str, Any]
) -> Any:
    """The first row of `statement` (an asyncpg Record, or None) on the PostgreSQL session's own
    connection, in its transaction if it has one, through the driver: none of SQLAlchemy's
    statement and result processing, for the look-ups every request makes. A lost connection
    is invalidated and raised as SQLAlchemy raises it (app.errors answers 503)."""
    return await _fetch_driver(session, statement, params, every_row=False)


async def fetch_driver_rows(
    session: AsyncSession, statement: DriverStatement, params: Mapping[str, Any]
) -> list[Any]:
    """Every row of `statement` (asyncpg Records), as `fetch_driver_row` reads its first."""
    rows: list[Any] = await _fetch_driver(session, statement, params, every_row=True)
    return rows


async def _fetch_driver(
    session: AsyncSession, statement: DriverStatement, params: Mapping[str, Any], *, every_row: bool
) -> Any:
    arguments = [params[name] for name in statement.names]
    statementwise = idle_statementwise_database(session)
    if statementwise is not None:
        # Any pooled connection will do, without the session checking one out and its
        # bookkeeping around it (the token's state is read on every bearer request).
        async with statementwise.driver_connection() as pooled:
            fetch = pooled.fetch if every_row else pooled.fetchrow
            return await fetch(statement.sql, *arguments)
    if db_staged.has_staged(session.sync_session) and db_staged.writable(session.sync_session):
        await session.run_sync(db_staged.write)
    connection = await session.connection()
    driver: Any = (await connection.get_raw_connection()).driver_connection
    try:
        if every_row:
            return await driver.fetch(statement.sql, *arguments)
        return await driver.fetchrow(statement.sql, *arguments)
    except _CONNECTION_LOST as lost:
        await connection.invalidate()
        raise DBAPIError(None, None, lost, connection_invalidated=True) from lost


@asynccontextmanager
async def pooled_driver_connection(engine: AsyncEngine) -> AsyncIterator[Any]:
    """A pooled PostgreSQL connection of `engine` as asyncpg's own, outside any transaction
    (each statement commits by itself): `Database.driver_connection`. It may be one parked
    since its last use (app.db_parked), and is parked again when the caller is done with it."""
    pooled = await db_parked.take(engine)
    finished = False
    try:
        yield pooled.driver_connection
        finished = True
    except _CONNECTION_LOST as lost:
        # As SQLAlchemy does for its own statements: a connection lost (a database restart)
        # leaves the pool, and the caller is told to retry (app.errors: 503). (Outside a
        # greenlet SQLAlchemy terminates the connection at once, without waiting.) Each
        # stale connection fails once, where SQLAlchemy's own would drop them all at once.
        pooled.invalidate()
        raise DBAPIError(None, None, lost, connection_invalidated=True) from lost
    except asyncpg.IntegrityConstraintViolationError as violated:
        # As SQLAlchemy raises it, for callers that tell a conflict from a failure.
        raise IntegrityError(None, None, violated) from violated
    except asyncio.CancelledError:
        # Cancelled mid-statement: what the connection is in the middle of is unknown.
        pooled.invalidate()
        raise
    finally:
        if finished:
            db_parked.give_back(engine, pooled)
        else:
            # Back to the pool at once: the driver connection began no transaction, so its
            # return (a rollback of nothing) does not wait on the database.
            pooled.close()


async def fetch_driver_row_apart(
    session: AsyncSession, statement: DriverStatement, params: Mapping[str, Any]
) -> Any:
    """`fetch_driver_row` on a pooled connection of its own rather than the session's, outside
    any transaction: the statement commits at once, whatever the session's transaction holds
    (a counter that every request moves must not stay locked until the request commits)."""
    bind = session.bind
    assert isinstance(bind, AsyncEngine)  # sessions are bound to the Database's engine
    async with pooled_driver_connection(bind) as driver:
        return await driver.fetchrow(statement.sql, *[params[name] for name in statement.names])


def _holds_anything(session: AsyncSession) -> bool:
    """Whether closing `session` would release something: a transaction (with its connection)
    or objects to detach."""
    return bool(session.in_transaction() or session.identity_map or session.new or session.deleted)


def is_statementwise(session: AsyncSession) -> bool:
    """Whether the session commits statement by statement (Database.autocommit_session): it
    writes only what is flushed, where a unit of work writes what it staged when it commits."""
    return _STATEMENTWISE_OF in session.info


def stage(session: AsyncSession, row: Any) -> None:
    """Insert `row`, a new mapped object, with the transaction's other writes. In a unit of
    work on PostgreSQL it is staged (app.db_staged: written with every other staged row in one
    statement, before the session's next statement or at its commit, not tracked by the ORM:
    for rows the transaction does not change again); otherwise, and in a savepoint, it is added
    to the session as usual."""
    if _stages(session):
        db_staged.stage(session.sync_session, row.__table__, row)
    else:
        session.add(row)


def stage_values(session: AsyncSession, table: Table, rows: Sequence[dict[str, Any]]) -> bool:
    """Stage rows of `table` given as column values, as `stage` does; False where rows are not
    staged (the caller inserts them)."""
    if not _stages(session):
        return False
    for values in rows:
        db_staged.stage(session.sync_session, table, values)
    return True


def _stages(session: AsyncSession) -> bool:
    return (
        session.get_bind().dialect.name == "postgresql"
        and _STATEMENTWISE_OF not in session.info
        and not session.in_nested_transaction()
    )


def idle_statementwise_database(session: AsyncSession) -> Database | None:
    """The Database of a statement-wise session that has not used a connection yet: such a
    session sees nothing another connection would not, so its look-ups may go through any
    pooled connection (fetch_driver_row), or join other requests' (app.auth.token_states)."""
    statementwise: Database | None = session.info.get(_STATEMENTWISE_OF)
    if statementwise is None or session.in_transaction():
        return None
    return statementwise


def database_of(session: AsyncSession) -> str:
    """Which database a session works on (its URL without password): the key of per-process
    caches, so that processes and tests with several databases never mix their entries."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    # Kept by engine, not by URL: a URL hashes by rendering itself, each part quoted, which
    # is the very work this saves (it is asked twice on every token request).
    named = _database_names.get(engine)
    if named is None:
        named = _database_names[engine] = engine.url.render_as_string(hide_password=True)
    return named


_database_names: WeakKeyDictionary[Engine, str] = WeakKeyDictionary()


# How many untouched autocommit sessions a Database keeps for reuse: one per request in flight
# on the routes that use them is plenty.
_IDLE_AUTOCOMMIT_SESSIONS = 64

AuditSealing = Literal["inline", "deferred"]
# The session.info key that tells the audit log how this database's sessions append.
AUDIT_SEALING_KEY = "qe_audit_sealing"
# The Database of a statement-wise (autocommit) session, in its `info`: see fetch_driver_row.
_STATEMENTWISE_OF = "qe_statementwise_of"


class Database:
    """The process's engine and its two session factories (read and write).

    `audit_sealing` is how sessions of this database append audit records: "inline" links each
    to the chain head in the appending transaction (under the head's lock); "deferred" inserts
    it unsealed for the sealer to link (app/audit/sealer.py). The API and worker processes take
    it from the settings; everything else (CLI commands, tests) appends inline.
    """

    def __init__(self, engine: AsyncEngine, *, audit_sealing: AuditSealing = "inline") -> None:
        self.engine = engine
        self.dialect = engine.dialect.name
        # As `database_of` names it: the key of per-process caches.
        self.key = engine.url.render_as_string(hide_password=True)
        self.audit_sealing = audit_sealing
        info = {AUDIT_SEALING_KEY: audit_sealing}
        self._readers = async_sessionmaker(engine, expire_on_commit=False, info=info)
        self._writers = async_sessionmaker(
            engine.execution_options(qe_write=True), expire_on_commit=False, info=info
        )
        self._autocommit_info = {**info, _STATEMENTWISE_OF: self}
        self._autocommit = async_sessionmaker(
            engine.execution_options(isolation_level="AUTOCOMMIT"),
            expire_on_commit=False,
            info=self._autocommit_info,
        )
        self._idle_autocommit: list[AsyncSession] = []

    @classmethod
    def from_url(
        cls, url: str, *, pool_size: int = 20, audit_sealing: AuditSealing = "inline"
    ) -> Database:
        """Open a database by URL."""
        return cls(create_engine(url, pool_size=pool_size), audit_sealing=audit_sealing)

    @property
    def is_postgresql(self) -> bool:
        """Whether PostgreSQL-only features (SKIP LOCKED, COPY, advisory locks) are available."""
        return self.dialect == "postgresql"

    @asynccontextmanager
    async def session(self, *, write: bool = True) -> AsyncIterator[AsyncSession]:
        """A unit of work: commits when the block ends normally, rolls back when it raises."""
        factory = self._writers if write else self._readers
        async with factory() as session:
            try:
                yield session
                await session.commit()
            except BaseException:
                await session.rollback()
                raise

    @asynccontextmanager
    async def autocommit_session(self) -> AsyncIterator[AsyncSession]:
        """A PostgreSQL session in which every statement is its own transaction: no BEGIN and
        COMMIT round trips, for requests that read, and append rows none of which must land
        together with another. (SQLite's writers need BEGIN IMMEDIATE: use `session` there.)"""
        if not self.is_postgresql:
            raise RuntimeError("autocommit sessions are for PostgreSQL; use session() on SQLite")
        # Most of these sessions only lend their database to driver look-ups (the token's
        # state, fetch_driver_row) and never begin a transaction, load an object or note
        # anything in their `info`: such a session is as good as new when the block ends, and
        # the next block takes it rather than build one (about 5 % of a token request's CPU).
        session = self._idle_autocommit.pop() if self._idle_autocommit else self._autocommit()
        untouched = False
        try:
            yield session
            untouched = not _holds_anything(session) and session.info == self._autocommit_info
        finally:
            if untouched:
                if len(self._idle_autocommit) < _IDLE_AUTOCOMMIT_SESSIONS:
                    self._idle_autocommit.append(session)
            elif _holds_anything(session):
                # Closing one that holds nothing would release nothing, yet spawn a task and a
                # greenlet. As `async with` would: the close runs to its end even if this task
                # is cancelled meanwhile (a connection half returned would be lost to the pool).
                await session.__aexit__(None, None, None)

    @asynccontextmanager
    async def statementwise_session(self) -> AsyncIterator[AsyncSession]:
        """`autocommit_session` on PostgreSQL; on SQLite, whose writers need BEGIN IMMEDIATE, a
        unit of work (`session`) instead."""
        if self.is_postgresql:
            async with self.autocommit_session() as session:
                yield session
        else:
            async with self.session() as session:
                yield session

    @asynccontextmanager
    async def driver_connection(self) -> AsyncIterator[Any]:
        """A pooled PostgreSQL connection as the driver's own (asyncpg) connection, outside any
        transaction, for the hottest read-only look-ups: a prepared statement, and none of the
        ORM's or SQLAlchemy's statement and result processing (a fifth of the CPU)."""
        if not self.is_postgresql:
            raise RuntimeError("driver connections are asyncpg's; use session() on SQLite")
        async with pooled_driver_connection(self.engine) as driver:
            yield driver

    async def dispose(self) -> None:
        """Close every pooled connection."""
        db_parked.return_all(self.engine)
        await self.engine.dispose()
