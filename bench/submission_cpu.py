"""Benchmark: the CPU one 秒批 submission costs the app, measured in one process.

bench/request_cpu.py's method for `POST /api/v1/applications`, since a server's figures on this
two-core machine move by more than most changes to the submission path: the app runs in this
process, one submission after another, and the process's CPU clock counts the app's work and
nothing else (not the simulator, not PostgreSQL).

`--prepare` (once; about 0.3 s a citizen): a template PostgreSQL database, seeded with
`--demo`, in which `--citizens` residents eligible for 住房公积金租房提取 are registered through
the API as bench/approval.py registers them. Each measurement then clones the template (a
withdrawal is granted once, so every run needs unused citizens), starts the department
simulator (answering at once), builds the app from the environment, logs the citizens in
(password, then face verification: the service asks for L3) and submits `gjj.withdraw.rent`
for a new citizen each time: the first five one by one, timed (a worker's first submission,
its caches cold), then `--blocks` blocks of `--per-block`. Every answer must be a 201 with the
case approved. Prints one JSON object: the first submissions' wall and CPU milliseconds, and
each block's CPU milliseconds per submission with their median. Compare checkouts with
`--root`, alternating, several times.

    .venv/bin/python bench/submission_cpu.py --prepare [--citizens 700]
    .venv/bin/python bench/submission_cpu.py [--root CHECKOUT] [--blocks 5] [--per-block 100]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--prepare", action="store_true", help="make the template database")
parser.add_argument("--citizens", type=int, default=700, help="registered by --prepare")
parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the checkout whose app is measured (default: this one)")  # fmt: skip
parser.add_argument("--blocks", type=int, default=5)
parser.add_argument("--per-block", type=int, default=100)
ARGS = parser.parse_args()
sys.path[:0] = [str(ARGS.root / "bench"), str(ARGS.root)]

import approval  # noqa: E402
import httpx  # noqa: E402
import uvloop  # noqa: E402
from _support import admin, free_port, running  # noqa: E402

SERVER = "postgresql+asyncpg://postgres@127.0.0.1:5432/"
TEMPLATE, CLONE = "qe_bench_submission_template", "qe_bench_submission"
FIRSTS = 5
Message = dict[str, Any]


def environment(url: str, simulator_port: int) -> dict[str, str]:
    simulator = f"http://127.0.0.1:{simulator_port}"
    return approval.environment(
        url,
        QE_DEPARTMENT_URLS=json.dumps(dict.fromkeys(approval.DEPARTMENTS, simulator)),
        QE_APPROVAL_DEADLINE_SECONDS=str(approval.DEADLINE_SECONDS),
        QE_SMS_CODES_PER_ADDRESS_PER_HOUR="100000",
        QE_LOGIN_ATTEMPTS_PER_ADDRESS="100000",
    )


def prepare() -> None:
    """The template: seeded, with the citizens registered."""
    maintenance = SERVER + "postgres"
    drop = f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)'
    asyncio.run(admin(maintenance, drop, f'CREATE DATABASE "{TEMPLATE}"'))
    url = SERVER + TEMPLATE
    approval.cli(url, "seed", "--demo")
    simulator_port, port = free_port(), free_port()
    serve = [sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", "2"]
    with (
        approval.simulator(simulator_port),
        running(serve, cwd=ARGS.root, env=environment(url, simulator_port), port=port),
        httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http,
    ):
        registered = approval.register(url, http, approval.candidates(ARGS.citizens))
    print(json.dumps({"benchmark": "submission_cpu", "template": TEMPLATE,
                      "citizens_registered": len(registered)}))  # fmt: skip


async def _submit(app: Any, scope: dict[str, Any], body: bytes) -> tuple[int, bytes]:
    answered: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        answered.append(message)

    await app(dict(scope), receive, send)
    return int(answered[0]["status"]), b"".join(m.get("body", b"") for m in answered[1:])


def _request(state: Any, token: str, person: Any) -> tuple[dict[str, Any], bytes]:
    form = approval.rent_form(person)
    body = json.dumps({"service_code": approval.SERVICE, "form": form, "materials": []}).encode()
    scope = {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/v1/applications", "raw_path": b"/api/v1/applications",
        "query_string": b"", "root_path": "",
        "headers": [(b"host", b"127.0.0.1"), (b"content-length", str(len(body)).encode()),
                    (b"authorization", f"Bearer {token}".encode()),
                    (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
        "state": dict(state or {}),
    }  # fmt: skip
    return scope, body


async def _log_in(app: Any, people: list[Any], needed: int) -> list[tuple[Any, str]]:
    """(person, L3 token) of the first `needed` people who are registered."""
    signed_in = []
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        for person in people:
            login = {"method": "password", "login": person.phone, "password": approval.PASSWORD}
            answer = await http.post("/api/v1/auth/login", json=login)
            if answer.status_code != 200:
                continue  # not registered: the day's candidates differ from the template's
            token = answer.json()["access_token"]
            face = await http.post("/api/v1/auth/face-verification",
                                   json={"selfie_token": approval.SELFIE},
                                   headers={"Authorization": f"Bearer {token}"})  # fmt: skip
            if face.status_code == 200:
                signed_in.append((person, token))
                if len(signed_in) == needed:
                    return signed_in
    raise SystemExit(f"only {len(signed_in)} registered citizens of {needed}: --prepare more")


async def measure(app: Any, people: list[Any]) -> dict[str, Any]:
    needed = FIRSTS + ARGS.blocks * ARGS.per_block
    async with app.router.lifespan_context(app) as state:
        citizens = await _log_in(app, people, needed)
        requests = iter([_request(state, token, person) for person, token in citizens])
        firsts = []
        for scope, body in [next(requests) for _ in range(FIRSTS)]:
            wall, cpu = time.perf_counter(), time.process_time()
            _expect_approved(await _submit(app, scope, body))
            firsts.append([round((time.perf_counter() - wall) * 1000, 1),
                           round((time.process_time() - cpu) * 1000, 1)])  # fmt: skip
        per_submission = []
        for _ in range(ARGS.blocks):
            block = [next(requests) for _ in range(ARGS.per_block)]
            started = time.process_time()
            answers = [await _submit(app, scope, body) for scope, body in block]
            per_submission.append((time.process_time() - started) / len(block) * 1000)
            for answer in answers:
                _expect_approved(answer)
    return {
        "first_submissions_wall_cpu_ms": firsts,
        "cpu_ms_per_submission": [round(ms, 2) for ms in per_submission],
        "cpu_ms_per_submission_median": round(statistics.median(per_submission), 2),
    }


def _expect_approved(answer: tuple[int, bytes]) -> None:
    status, body = answer
    if status != 201 or b'"status":"approved"' not in body:
        raise SystemExit(f"a submission answered {status}: {body[:300]!r}")


def main() -> None:
    if ARGS.prepare:
        prepare()
        return
    maintenance = SERVER + "postgres"
    drop = f'DROP DATABASE IF EXISTS "{CLONE}" WITH (FORCE)'
    asyncio.run(admin(maintenance, drop, f'CREATE DATABASE "{CLONE}" TEMPLATE "{TEMPLATE}"'))
    try:
        people = approval.candidates(ARGS.citizens)
        simulator_port = free_port()
        with approval.simulator(simulator_port):
            os.environ.update(environment(SERVER + CLONE, simulator_port))
            from app.main import app_from_environment

            figures = uvloop.run(measure(app_from_environment(), people))
    finally:
        asyncio.run(admin(maintenance, drop))
    print(json.dumps({"benchmark": "submission_cpu", "root": str(ARGS.root.resolve()),
                      "per_block": ARGS.per_block, **figures}, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
