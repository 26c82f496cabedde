"""`qingeban codes purge`: forget the uses of city codes that can no longer be presented."""

from __future__ import annotations

import argparse
import asyncio
import json
from typing import Any

from app.config import get_settings


def cmd_codes_purge(_: argparse.Namespace) -> int:
    """Delete the rows of expired codes whose on-behalf ticket is over too (run it hourly, e.g.
    beside `identity purge`): their signature refuses those codes without the row; prints
    how many went."""
    from app.codes import service
    from app.db import Database

    async def run() -> int:
        database = Database.from_url(get_settings().database_url, pool_size=1)
        try:
            async with database.session() as session:
                return await service.purge_expired(session)
        finally:
            await database.dispose()

    print(json.dumps({"city_code_uses": asyncio.run(run())}))
    return 0


def register(commands: Any) -> None:
    """Add the city code's subcommands to the `qingeban` parser."""
    codes = commands.add_parser("codes", help="the city code (一码通城)")
    code_commands = codes.add_subparsers(dest="codes_command", required=True)
    purge = code_commands.add_parser("purge", help="forget the uses of expired codes")
    purge.set_defaults(func=cmd_codes_purge)
