"""Benchmark: the CPU one request costs the app, measured in one process.

On this two-core virtual machine a server's figures move by up to 1.6x within minutes, and a
server's CPU per request counts its sockets, its event loop waiting and PostgreSQL preempting
it. This drives the ASGI app itself, in this process, one request after another: the CPU
clock of the process then counts the app's work (middleware, routing, endpoint, the database
driver's side of each round trip) and nothing else. It is for comparing code, not for
throughput: run it from two checkouts in turn (`--root`), several times, and compare medians.

Set-up is bench/tokens.py's (a throwaway PostgreSQL database, a platform admin, a partner
client with client_credentials, a persona's bearer token, through a short-lived
`qingeban serve`); then the app is built from the environment and each kind of request is
warmed up and sent `--requests` times in each of `--blocks` blocks:

* `token`: `POST /oauth/token`, client credentials;
* `introspect`: `POST /oauth/introspect` of the partner's token, as the partner;
* `me`: `GET /api/v1/me` with the persona's bearer token.

Prints one JSON object: per kind, the median and the lowest CPU microseconds per request
over the blocks.

    .venv/bin/python bench/request_cpu.py [--root CHECKOUT] [--kinds token,introspect,me]
                                          [--requests 2000] [--blocks 7]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from base64 import b64encode
from pathlib import Path
from typing import Any

import httpx
import uvloop

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the checkout whose app is measured (default: this one)")  # fmt: skip
parser.add_argument(
    "--database-url", default="postgresql+asyncpg://postgres@127.0.0.1:5432/qe_bench_cpu"
)
parser.add_argument("--kinds", default="token,introspect,me")
parser.add_argument("--requests", type=int, default=2000)
parser.add_argument("--blocks", type=int, default=7)
ARGS = parser.parse_args()
# The checkout's own app and benchmarks, ahead of the installed one.
sys.path[:0] = [str(ARGS.root / "bench"), str(ARGS.root)]

import tokens  # noqa: E402
from _support import free_port, throwaway_database  # noqa: E402

Message = dict[str, Any]


def request_of(kind: str, credentials: dict[str, str]) -> tuple[str, str, bytes, list[Any]]:
    """(method, path, body, headers) of one request of `kind`."""
    pair = f"{credentials['client_id']}:{credentials['client_secret']}".encode()
    form = [
        (b"authorization", b"Basic " + b64encode(pair)),
        (b"content-type", b"application/x-www-form-urlencoded"),
    ]
    if kind == "token":
        return "POST", "/oauth/token", b"grant_type=client_credentials", form
    if kind == "introspect":
        return "POST", "/oauth/introspect", f"token={credentials['partner_token']}".encode(), form
    if kind == "me":
        bearer = b"Bearer " + credentials["person_token"].encode()
        return "GET", "/api/v1/me", b"", [(b"authorization", bearer)]
    raise SystemExit(f"unknown kind {kind!r}")


async def send_all(app: Any, scope: dict[str, Any], body: bytes, count: int) -> int:
    """Send the request `count` times, one after another; the last answer's status."""
    answered: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answered.append(message)

    for _ in range(count):
        await app(dict(scope), receive, send)
    return int(answered[-1]["status"])


async def measure(app: Any, credentials: dict[str, str]) -> dict[str, Any]:
    """Each kind warmed up, then its blocks: CPU microseconds per request."""
    figures: dict[str, Any] = {}
    async with app.router.lifespan_context(app) as state:
        for kind in ARGS.kinds.split(","):
            method, path, body, headers = request_of(kind, credentials)
            length = (b"content-length", str(len(body)).encode())
            scope = {
                "type": "http", "asgi": {"version": "3.0", "spec_version": "2.3"},
                "http_version": "1.1", "method": method, "scheme": "http", "path": path,
                "raw_path": path.encode(), "query_string": b"", "root_path": "",
                "headers": [(b"host", b"127.0.0.1"), length, *headers],
                "client": ("127.0.0.1", 50000), "server": ("127.0.0.1", 8000),
                "state": dict(state or {}),
            }  # fmt: skip
            status = await send_all(app, scope, body, 200)
            if status != 200:
                raise SystemExit(f"{method} {path} answered {status}")
            per_request = []
            for _ in range(ARGS.blocks):
                started = time.process_time()
                await send_all(app, scope, body, ARGS.requests)
                per_request.append((time.process_time() - started) / ARGS.requests * 1e6)
            figures[kind] = {
                "cpu_us_per_request_median": round(statistics.median(per_request), 1),
                "cpu_us_per_request_min": round(min(per_request), 1),
            }
    return figures


def main() -> None:
    with throwaway_database(ARGS.database_url) as url:
        tokens.cli(url, "seed")
        admin = [tokens.ADMIN_LOGIN, "--name", "压测管理员", "--role", "platform_admin"]
        tokens.cli(url, "staff", "create", "--login", *admin, "--department", "xzsp",
                   "--password-stdin", stdin=tokens.ADMIN_PASSWORD + "\n")  # fmt: skip
        port = free_port()
        with tokens.server(url, port) as (base, _), httpx.Client(base_url=base, timeout=30) as http:
            credentials = tokens.set_up(url, http)
        os.environ.update(tokens.environment(url))
        from app.main import app_from_environment

        figures = uvloop.run(measure(app_from_environment(), credentials))
    print(json.dumps({"benchmark": "request_cpu", "root": str(ARGS.root.resolve()),
                      "requests_per_block": ARGS.requests, "blocks": ARGS.blocks,
                      **figures}, ensure_ascii=False))  # fmt: skip


if __name__ == "__main__":
    main()
