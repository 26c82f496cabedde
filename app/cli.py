"""The `qingeban` command: serve, migrate, seed, worker, openapi, audit, identity, licenses,
demo."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from app import burden_commands, popularity_commands, rules_commands
from app.audit import commands as audit_commands
from app.auth import commands as auth_commands
from app.certificates import commands as certificate_commands
from app.codes import commands as code_commands
from app.config import Settings, get_settings
from app.ops.metrics import MULTIPROCESS_DIR
from app.proactive.campaigns import commands as campaign_commands

OPENAPI_PATH = Path(__file__).resolve().parent.parent / "openapi" / "openapi.json"


def _migrate(*, seed: bool = True) -> None:
    """Migrate, bootstrap keys and the first-party client, and (with `seed`) seed the reference
    data, under one lock when several processes start together (app/startup.py)."""
    from app.db import Database
    from app.startup import prepare

    async def run() -> None:
        settings = get_settings()
        database = Database.from_url(settings.database_url)
        try:
            await prepare(database, settings, seed=seed)
        finally:
            await database.dispose()

    asyncio.run(run())


def _seed(*, demo: bool = False) -> dict[str, object]:
    """The reference data and, with `demo`, the demo world's accounts (both idempotent)."""
    from app.db import Database
    from app.demo import seed_demo_offers, seed_demo_world
    from app.seed import seed_reference_data

    async def run() -> dict[str, object]:
        settings = get_settings()
        database = Database.from_url(settings.database_url)
        try:
            report = (await seed_reference_data(database)).as_dict()
            if demo:
                report["demo"] = await seed_demo_world(database, settings)
                report["renewal_offers"] = await seed_demo_offers(database, settings)
        finally:
            await database.dispose()
        return report

    return asyncio.run(run())


def _demo_settings(demo: bool) -> Settings:
    """The settings, with the demo world switched on when asked (production refuses it here)."""
    if demo:
        os.environ["QE_DEMO"] = "true"
    get_settings.cache_clear()
    return get_settings()


def cmd_migrate(_: argparse.Namespace) -> int:
    """Bring the database to the newest migration and seed the reference data (the init step
    of a deployment; any number may run at once)."""
    _migrate()
    print("database migrated", file=sys.stderr)
    return 0


def cmd_seed(args: argparse.Namespace) -> int:
    """Seed the reference data (catalog, license types), and the demo accounts with --demo."""
    settings = _demo_settings(args.demo)
    _migrate(seed=False)  # the seed below reports what it did
    report = _seed(demo=settings.demo)
    print(json.dumps(report, ensure_ascii=False, default=str))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Migrate and seed the reference data, seed the demo world when asked, and serve the API
    with an in-process worker."""
    import uvicorn

    from app.ops.logging import configure_logging

    # Fails here, before anything starts, on unsafe production settings.
    settings = _demo_settings(args.demo)
    configure_logging(settings.log_level)  # start-up's own lines (migrations, seeding) too
    if args.workers > 1 and settings.is_sqlite:
        print("--workers needs PostgreSQL: the embedded SQLite file is served by one process")
        return 2
    _migrate()
    if settings.demo:
        _seed(demo=True)
    # The header limit where the server reads them: with h11 nothing past it is buffered. The
    # httptools parser has no such bound; the app's own check (app/ops/edge.py) answers 431
    # either way, and the load balancer in front bounds what is read off the wire.
    # On SIGTERM (a rolling deploy) uvicorn stops accepting and lets the requests in flight
    # finish, for at most 30 s; the in-process worker then finishes or releases its jobs.
    server = {"host": args.host, "port": args.port, "log_config": None, "proxy_headers": False,
              "h11_max_incomplete_event_size": settings.max_header_bytes,
              "timeout_graceful_shutdown": 30}  # fmt: skip
    if args.workers > 1:
        # Each worker process builds its own app (and freezes it) from the environment, and
        # counts its metrics in files one scrape of any of them adds up.
        os.environ.setdefault(MULTIPROCESS_DIR, tempfile.mkdtemp(prefix="qingeban-metrics-"))
        from app.ops import workers

        workers.serve(uvicorn.Config(
            "app.main:app_from_environment", factory=True, workers=args.workers, **server
        ))  # fmt: skip
        return 0
    from app.main import app_from_environment

    app = app_from_environment()
    uvicorn.run(app, **server)
    return 0


def cmd_worker(args: argparse.Namespace) -> int:
    """Run a job worker until interrupted (any number of them may run on PostgreSQL); it logs
    as the API does, and with --metrics-port serves its own /metrics."""
    from prometheus_client import start_http_server

    from app import tasks  # noqa: F401  (registers every job handler)
    from app.jobs.worker import run_worker
    from app.ops.logging import configure_logging
    from app.ops.metrics import REGISTRY

    settings = get_settings()
    configure_logging(settings.log_level)
    if args.metrics_port:
        start_http_server(args.metrics_port, addr=args.metrics_host, registry=REGISTRY)
    asyncio.run(run_worker(settings))  # it logs its start and stop, with its id
    return 0


def cmd_jobs_run_due(_: argparse.Namespace) -> int:
    """Queue the periodic jobs whose period began, then run every job due now (for operators
    and tests; the workers do both on their own); prints how many of each."""
    from app import tasks  # noqa: F401  (registers every job handler)
    from app.db import Database
    from app.jobs import schedules
    from app.jobs.worker import Worker
    from app.kit.clock import utcnow

    async def run() -> dict[str, int]:
        settings = get_settings()
        database = Database.from_url(settings.database_url)
        try:
            async with database.session() as session:
                queued = await schedules.queue_due(session, utcnow())
            worker, ran = Worker(database, settings, worker_id="run-due"), 0
            while done := await worker.run_once():
                ran += done
            return {"schedules": queued, "jobs_run": ran}
        finally:
            await database.dispose()

    print(json.dumps(asyncio.run(run())))
    return 0


def cmd_openapi(args: argparse.Namespace) -> int:
    """Write the OpenAPI document the code serves."""
    from app.main import create_app

    document = create_app(get_settings()).openapi()
    target = Path(args.output)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(document, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {target}", file=sys.stderr)
    return 0


def cmd_simulator(args: argparse.Namespace) -> int:
    """Serve the simulated department systems as their own HTTP server."""
    from app.adapters.simulator.endpoints import run_simulator

    run_simulator(args.host, args.port)
    return 0


def cmd_demo_personas(_: argparse.Namespace) -> int:
    """Print the demo personas as JSON: who to log in as, and what each one demonstrates."""
    from app.adapters.simulator.personas import personas_json
    from app.adapters.simulator.population import Population
    from app.kit.clock import SHANGHAI, utcnow

    # Facts such as "the permit expires in 30 days" are relative to today in Qingdao.
    population = Population(as_of=utcnow().astimezone(SHANGHAI).date())
    print(json.dumps(personas_json(population), ensure_ascii=False, indent=2))
    return 0


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand."""
    parser = argparse.ArgumentParser(prog="qingeban", description="Qing e-ban backend")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--demo", action="store_true", help="seed and serve the demo world")
    serve.add_argument(
        "--workers", type=int, default=1,
        help="API processes sharing the port (PostgreSQL; SQLite serves from one)",
    )  # fmt: skip
    serve.set_defaults(func=cmd_serve)

    commands.add_parser("migrate", help="apply migrations, seed the reference data").set_defaults(
        func=cmd_migrate
    )
    seed = commands.add_parser("seed", help="seed reference data")
    seed.add_argument(
        "--demo", action="store_true", help="also seed the demo world (persona and staff accounts)"
    )
    seed.set_defaults(func=cmd_seed)
    worker = commands.add_parser("worker", help="run a job worker")
    worker.add_argument("--metrics-port", type=int, help="serve this worker's /metrics here")
    worker.add_argument("--metrics-host", default="127.0.0.1", help="the metrics port's address")
    worker.set_defaults(func=cmd_worker)

    jobs = commands.add_parser("jobs", help="background jobs")
    job_commands = jobs.add_subparsers(dest="jobs_command", required=True)
    job_commands.add_parser(
        "run-due", help="queue the periodic jobs that are due, run every due job, and exit"
    ).set_defaults(func=cmd_jobs_run_due)

    openapi = commands.add_parser("openapi", help="write openapi/openapi.json")
    openapi.add_argument("--output", default=str(OPENAPI_PATH))
    openapi.set_defaults(func=cmd_openapi)

    simulator = commands.add_parser("simulator", help="serve the simulated departments")
    simulator.add_argument("--host", default="127.0.0.1")
    simulator.add_argument("--port", type=int, default=8100)
    simulator.set_defaults(func=cmd_simulator)

    demo = commands.add_parser("demo", help="the demo world")
    demo_commands = demo.add_subparsers(dest="demo_command", required=True)
    demo_commands.add_parser("personas", help="print the demo personas as JSON").set_defaults(
        func=cmd_demo_personas
    )
    audit_commands.register(commands)
    auth_commands.register(commands, demo_commands)
    certificate_commands.register(commands)
    code_commands.register(commands)
    campaign_commands.register(commands)
    rules_commands.register(commands)
    popularity_commands.register(burden_commands.register(commands))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `qingeban` console script."""
    args = build_parser().parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
