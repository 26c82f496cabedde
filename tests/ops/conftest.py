"""Fixtures of the operations tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from pool_support import small_database

from app.db import Database


@pytest.fixture
async def small(database_url: str) -> AsyncIterator[Database]:
    """A PostgreSQL database whose pool has two connections (skipped on SQLite)."""
    async with small_database(database_url) as db:
        yield db
