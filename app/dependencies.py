"""Dependencies shared by every domain's endpoints: the database session and the settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.ext.asyncio import AsyncSession

from app.config import Settings
from app.db import Database
from app.errors import AdminUnavailable

_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


# Dependencies are `async def` even when they do not await: FastAPI runs plain `def`
# dependencies in a worker thread, which costs a thread hand-off on every request.
async def get_database(request: Request) -> Database:
    """The process's Database, opened by the lifespan."""
    database: Database = request.app.state.database
    return database


async def get_settings_dep(request: Request) -> Settings:
    """The settings the app was created with (tests create apps with their own)."""
    settings: Settings = request.app.state.settings
    return settings


async def get_session(request: Request) -> AsyncIterator[AsyncSession]:
    """A session whose transaction commits when the endpoint returns, before the response."""
    database: Database = request.app.state.database
    async with database.session(write=request.method not in _SAFE_METHODS) as session:
        yield session


DatabaseDep = Annotated[Database, Depends(get_database)]
SettingsDep = Annotated[Settings, Depends(get_settings_dep)]
# scope="function": commit before the response is sent, so a 2xx means the change is durable.
SessionDep = Annotated[AsyncSession, Depends(get_session, scope="function")]


async def require_platform_admin(settings: SettingsDep) -> None:
    """Guard of every /admin route.

    Staff identities and roles arrive with the unified-identity issue; until then the admin
    API is open in development and test only, and a production deployment refuses it.
    """
    if settings.env == "production":
        raise AdminUnavailable(
            "统一身份认证上线前，生产环境不开放管理接口",
            "the admin API is closed in production until staff sign-in is available",
        )


PlatformAdmin = Depends(require_platform_admin)
