"""`qingeban services popularity`: count the applications filed per service for search.

Search breaks ties by how often a service is applied for. Counting on every submission would
make the busiest services' rows a queue; counting from the applications now and then (cron,
nightly) costs one grouped scan and keeps submissions independent of one another.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any


def refresh() -> int:
    """Count and store; returns how many services have been applied for."""
    from app.config import get_settings
    from app.db import Database
    from app.services.applications import service as applications

    async def run() -> int:
        database = Database.from_url(get_settings().database_url)
        try:
            async with database.session(write=True) as session:
                return await applications.refresh_search_popularity(session)
        finally:
            await database.dispose()

    return asyncio.run(run())


def cmd_popularity(_: argparse.Namespace) -> int:
    """Print how many services search now knows the popularity of."""
    print(json.dumps({"services_applied_for": refresh()}))
    return 0


def register(service_commands: Any) -> None:
    """Add `services popularity` to the `services` commands."""
    popularity = service_commands.add_parser(
        "popularity", help="count the applications filed per service (search's tiebreak)"
    )
    popularity.set_defaults(func=cmd_popularity)
