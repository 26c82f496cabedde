"""`qingeban services burden [--json]`: the burden report (app/burden.py) on a throwaway world.

The report submits an application per service, so it never runs on the configured database:
it migrates a fresh SQLite file in a temporary folder, seeds the reference data and the demo
world there, walks the services, and deletes the folder.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
import tempfile
from pathlib import Path
from typing import Any


def report() -> dict[str, Any]:
    """The burden report of a fresh demo world (see the module's docstring)."""
    # The report's own requests are not news: only warnings reach the terminal.
    for name in ("qingeban", "httpx"):
        logging.getLogger(name).setLevel(logging.WARNING)
    from app import burden, migrate
    from app.auth import service as auth
    from app.certificates import service as certificates
    from app.config import Settings
    from app.db import Database
    from app.demo import seed_demo_world
    from app.seed import seed_reference_data

    async def run(folder: Path) -> dict[str, Any]:
        url = f"sqlite+aiosqlite:///{folder / 'burden.db'}"
        settings = Settings(database_url=url, demo=True, inprocess_worker=False, _env_file=None)
        database = Database.from_url(url)
        try:
            await migrate.upgrade(database.engine)
            await seed_reference_data(database)
            await auth.bootstrap(database, settings)
            await certificates.bootstrap(database, settings)
            await seed_demo_world(database, settings)
            return await burden.run(database, settings)
        finally:
            await database.dispose()

    with tempfile.TemporaryDirectory(prefix="qingeban-burden-") as folder:
        return asyncio.run(run(Path(folder)))


def cmd_burden(args: argparse.Namespace) -> int:
    """Print what each 秒批 service still asks of its persona."""
    found = report()
    if args.json:
        print(json.dumps(found, ensure_ascii=False))
        return 0
    print(f"{'service':36} {'persona':14} fields verified options choices typed uploads outcome")
    for item in found["services"]:
        print(
            f"{item['service']:36} {item['persona']:14} {item['fields']:6} {item['verified']:8} "
            f"{item['options']:7} {item['choices']:7} {len(item['typed']):5} "
            f"{len(item['uploads']):7} {item['outcome']}"
        )
        for typed in item["typed"]:
            print(f"    typed  {typed['field']}: {typed['why'] or '(no reason given)'}")
        for upload in item["uploads"]:
            print(f"    upload {upload['material']}: {upload['why'] or '(no reason given)'}")
    print(json.dumps(found["totals"], ensure_ascii=False), file=sys.stderr)
    return 0


def register(commands: Any) -> Any:
    """Add `services burden` to the command line; returns the `services` subcommands."""
    services = commands.add_parser("services", help="the service catalog")
    service_commands = services.add_subparsers(dest="services_command", required=True)
    burden = service_commands.add_parser(
        "burden", help="what each 秒批 service still asks of its persona"
    )
    burden.add_argument("--json", action="store_true", help="one JSON object")
    burden.set_defaults(func=cmd_burden)
    return service_commands
