"""Benchmark: what refused logins cost everybody else (issue 13, item 5).

Sets up the world as `bench/tokens.py` does (a throwaway PostgreSQL database by default, `qingeban
seed`, a platform admin, `qingeban serve` as one process, a persona registered through the API).
Then two phases on one server, measured in the same run:

* `quiet`: `--concurrency` loops of `GET /api/v1/me` with the persona's token;
* `flooded`: the same loops while `--attackers` more loops post wrong passwords for the admin's
  login to `POST /api/v1/auth/login` as fast as they are answered.

After `QE_LOCKOUT_FAILURES` wrong guesses the admin's login is locked, and a locked or
rate-limited login is refused before the password is hashed. The attackers' answers are counted
by status: 400 `auth.login_failed` is one answer for a wrong password and a locked login (so
that nobody learns which it was), 429 the per-address limit. The ratio of the flooded to the
quiet median is what the attack costs the other users. Prints one JSON object:

    .venv/bin/python bench/login_flood.py [--database-url URL] [--seconds 5] [--warmup 1]
                                          [--concurrency 4] [--attackers 16]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import uvloop
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _load import Shape
from _support import free_port, throwaway_database
from tokens import (
    ADMIN_LOGIN,
    ADMIN_PASSWORD,
    DEFAULT_URL,
    Phase,
    answered,
    busy_cpu_seconds,
    cli,
    measure_phase,
    server,
    set_up,
)


async def flood(base: str, attackers: int, stop: asyncio.Event, answers: Counter[str]) -> None:
    """`attackers` loops of wrong-password logins for the admin until `stop` is set."""
    wrong = {"method": "password", "login": ADMIN_LOGIN, "password": "not-the-password"}
    limits = httpx.Limits(max_connections=attackers, max_keepalive_connections=attackers)
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=limits) as http:

        async def loop() -> None:
            while not stop.is_set():
                try:
                    response = await http.post("/api/v1/auth/login", json=wrong)
                except httpx.HTTPError as exc:
                    answers[type(exc).__name__] += 1
                    continue
                answers[str(response.status_code)] += 1

        await asyncio.gather(*(loop() for _ in range(attackers)))


async def measure(
    base: str, port: int, pid: int, token: str, args: argparse.Namespace
) -> dict[str, Any]:
    """The quiet phase, then the flooded one, on the persona's keep-alive connections."""
    shape = Shape("/api/v1/me", method="GET", headers=(("Authorization", f"Bearer {token}"),))
    me = Phase("me", shape, b"", answered(b'"account_id"'))
    results: dict[str, Any] = {}
    results["quiet"] = await measure_phase(port, pid, me, args, None)
    stop, answers = asyncio.Event(), Counter[str]()
    attack = asyncio.create_task(flood(base, args.attackers, stop, answers))
    results["flooded"] = await measure_phase(port, pid, me, args, None)
    stop.set()
    await attack
    results["attackers_answers_by_status"] = dict(answers)
    results["flooded_over_quiet_p50"] = round(
        results["flooded"]["p50_ms"] / results["quiet"]["p50_ms"], 2
    )
    return results


def run(url: str, args: argparse.Namespace) -> dict[str, Any]:
    """Seed, create the actors, serve, measure; the figures as a dict."""
    busy = busy_cpu_seconds()
    time.sleep(1)
    background = busy_cpu_seconds() - busy
    cli(url, "seed")
    staff = [ADMIN_LOGIN, "--name", "压测管理员", "--role", "platform_admin"]
    cli(url, "staff", "create", "--login", *staff, "--department", "xzsp", "--password-stdin",
        stdin=ADMIN_PASSWORD + "\n")  # fmt: skip
    port = free_port()
    with server(url, port) as (base, pid):
        with httpx.Client(base_url=base, timeout=30) as http:
            credentials = set_up(url, http)
        figures = uvloop.run(measure(base, port, pid, credentials["person_token"], args))
    errors = figures["quiet"]["errors"] + figures["flooded"]["errors"]
    return {
        "benchmark": "login_flood",
        "database": make_url(url).get_backend_name(),
        "server": "qingeban serve (1 uvicorn process, uvloop + httptools)",
        "cpus": os.cpu_count(),
        "background_busy_cpus": round(background, 2),
        "concurrency": args.concurrency,
        "attackers": args.attackers,
        "seconds": args.seconds,
        **figures,
        "errors": errors,
        "ok": errors == 0,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", default=DEFAULT_URL, help="a throwaway database")
    parser.add_argument("--seconds", type=float, default=5.0, help="measured time per phase")
    parser.add_argument("--warmup", type=float, default=1.0, help="warm-up time per phase")
    parser.add_argument("--concurrency", type=int, default=4, help="the other users' loops")
    parser.add_argument("--attackers", type=int, default=16, help="wrong-password loops")
    args = parser.parse_args()
    with throwaway_database(args.database_url) as url:
        print(json.dumps(run(url, args), ensure_ascii=False))


if __name__ == "__main__":
    main()
