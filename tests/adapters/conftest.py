"""Fixtures of the adapters' tests."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from exchange_support import Sim, simulated

from app.config import Settings


@pytest.fixture
async def sim(settings: Settings) -> AsyncIterator[Sim]:
    """The exchange over a fresh in-process simulator (see exchange_support)."""
    async with simulated(settings) as exchange:
        yield exchange
