"""Dependencies shared by every domain's endpoints: the database session, the settings, and the
caller (the principal of the bearer access token) with the platform-admin guard."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import guards
from app.auth.models import StaffRole
from app.auth.principals import Principal, Staff
from app.auth.ratelimit_batched import BatchedLimiter
from app.auth.scopes import ADMIN
from app.config import Settings
from app.db import Database
from app.errors import AppError

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_SQLITE_SESSION = "qe_sqlite_session"  # the request's one session on SQLite (request state)


# Dependencies are `async def` even when they do not await: FastAPI runs plain `def`
# dependencies in a worker thread, which costs a thread hand-off on every request.
async def get_database(request: Request) -> Database:
    """The process's Database, opened by the lifespan."""
    return _database(request)


def _database(request: Request) -> Database:
    database: Database = request.app.state.database
    return database


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with (tests create apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


@asynccontextmanager
async def _unit_of_work(database: Database, *, write: bool) -> AsyncIterator[AsyncSession]:
    async with database.session(write=write) as session:
        try:
            yield session
        except AppError as exc:
            # A failure that is itself a fact to keep (a failed login counts towards a lockout)
            # commits what was written before it was raised.
            if exc.keeps_changes:
                await session.commit()
            raise


@asynccontextmanager
async def request_unit_of_work(request: Request, *, write: bool) -> AsyncIterator[AsyncSession]:
    """The request's unit of work. On SQLite a GET that writes (a prefill logs its department
    reads, a clerk's case view is audited) cannot upgrade its read snapshot once another
    request has committed since — SQLite answers "database is locked" at once rather than wait
    — so there every request's one session begins as a writer, the request's dependencies all
    share it (a second writer in one request would wait on the first), and requests queue on
    the busy timeout one at a time: the embedded database serves one person or a developer.
    PostgreSQL reads stay concurrent."""
    database = _database(request)
    if database.is_postgresql:
        async with _unit_of_work(database, write=write) as session:
            yield session
        return
    state = request.scope.setdefault("state", {})
    shared: AsyncSession | None = state.get(_SQLITE_SESSION)
    if shared is not None:
        yield shared  # the dependency that opened it commits it
        return
    async with _unit_of_work(database, write=True) as session:
        state[_SQLITE_SESSION] = session
        try:
            yield session
        finally:
            state.pop(_SQLITE_SESSION, None)


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the endpoint returns, before the response.

    When the endpoint raises, its writes are rolled back, except for errors that are facts to
    keep (`AppError.keeps_changes`).
    """
    write = request.method not in _SAFE_METHODS
    async with request_unit_of_work(request, write=write) as session:
        yield session


async def get_write_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A writing session whatever the method: for the few GETs that change state because a
    protocol makes them GETs (OAuth's authorize and logout)."""
    async with request_unit_of_work(request, write=True) as session:
        yield session


@asynccontextmanager
async def autocommit_unit_of_work(request: Request) -> AsyncIterator[AsyncSession]:
    """On PostgreSQL a session whose statements commit one by one (see
    Database.autocommit_session); on SQLite the request's unit of work, as `get_session`."""
    database = _database(request)
    if not database.is_postgresql:
        async with request_unit_of_work(request, write=True) as session:
            yield session
        return
    async with database.autocommit_session() as session:
        yield session


async def get_autocommit_session(request: Request) -> AsyncIterator[AsyncSession]:
    """`autocommit_unit_of_work` as a dependency."""
    async with autocommit_unit_of_work(request) as session:
        yield session


def batched_limiter_of(request: Request) -> BatchedLimiter:
    """The process's batched rate limiter (app.auth.ratelimit_batched), opened by the
    lifespan."""
    limiter: BatchedLimiter = request.app.state.batched_limiter
    return limiter


def database_of_request(request: Request) -> Database:
    """`get_database` outside dependency injection (for the busiest routes)."""
    return _database(request)


def settings_of(request: Request) -> Settings:
    """`get_settings_dep` outside dependency injection (for the busiest routes)."""
    settings: Settings = request.app.state.settings
    return settings


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the response is sent, so a 2xx means the change is durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]
WriteSessionDep = Annotated[AsyncSession, Depends(get_write_session, scope="function")]
AutocommitSessionDep = Annotated[AsyncSession, Depends(get_autocommit_session, scope="function")]


async def get_received_at(request: Request) -> float:
    """When the request arrived (time.monotonic(), stamped by RequestContextMiddleware);
    `async def` like every dependency here (a plain `def` costs a thread hand-off, see
    get_database): every 秒批 submission takes it."""
    received_at = request.scope.get("state", {}).get("received_at")
    return float(received_at) if received_at is not None else time.monotonic()


ReceivedAtDep = Annotated[float, Depends(get_received_at)]


async def get_principal(request: Request, session: SessionDep, settings: SettingsDep) -> Principal:
    """The caller: the principal of the request's bearer access token (401 without a valid one).

    A token is verified once per request: one the idempotency middleware verified is not
    verified again (app.auth.guards.verified_earlier).
    """
    header = request.headers.get("authorization")
    earlier = guards.verified_earlier(request.scope.get("state", {}), header)
    if earlier is not None:
        return earlier
    return await guards.authenticate_bearer(session, settings, header)


PrincipalDep = Annotated[Principal, Depends(get_principal)]


async def get_optional_principal(request: Request) -> Principal | None:
    """The caller on a public route: None without an Authorization header, else as above (a
    header with a bad token is still 401, never silently anonymous). Public routes are the
    busiest, so the token's session is opened only when there is a token."""
    header = request.headers.get("authorization")
    if header is None:
        return None
    earlier = guards.verified_earlier(request.scope.get("state", {}), header)
    if earlier is not None:
        return earlier
    # The settings are read off the request, not injected: public routes are the busiest,
    # and each dependency FastAPI resolves costs them a few percent of their CPU.
    async with _unit_of_work(_database(request), write=False) as session:
        return await guards.authenticate_bearer(session, settings_of(request), header)


OptionalPrincipalDep = Annotated[Principal | None, Depends(get_optional_principal)]


class RequireAdmin:
    """Guard of every route of the admin API (/api/v1/admin): a staff member in one of these
    roles whose token carries the `admin` scope.

    The role says who may administer; the scope says that this token was issued for it. Only
    first-party clients may hold `admin`, and the platform's app grants it only when the
    sign-in asks for it, so a staff member's everyday token, or one a department system
    obtained by single sign-on, cannot change what the platform decides.
    """

    def __init__(self, *roles: StaffRole) -> None:
        self.roles = roles

    async def __call__(self, principal: PrincipalDep) -> Staff:
        admin = guards.require_staff(principal, *self.roles)
        guards.require_scopes(principal, ADMIN)
        return admin


require_platform_admin = RequireAdmin(StaffRole.PLATFORM_ADMIN)
PlatformAdmin = Depends(require_platform_admin)
PlatformAdminDep = Annotated[Staff, PlatformAdmin]


async def require_audit_reader(principal: PrincipalDep) -> Staff:
    """Guard of the auditors' routes (/api/v1/audit): platform admins and auditors.

    What they read there (the audit chain's signed checkpoints and their key) holds no
    personal data, so a staff token of either role is enough, as for the statistics.
    """
    return guards.require_staff(principal, StaffRole.PLATFORM_ADMIN, StaffRole.AUDITOR)


AuditReader = Depends(require_audit_reader)
# Rulesets: a department admin for their own department's services, a platform admin for any.
DepartmentAdminDep = Annotated[
    Staff, Depends(RequireAdmin(StaffRole.DEPARTMENT_ADMIN, StaffRole.PLATFORM_ADMIN))
]
