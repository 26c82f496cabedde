"""Benchmark: the CPU one department look-up costs the simulator, measured in one process.

bench/approval.py runs the simulated departments on the machine it measures, so every
microsecond the simulator spends on a look-up is taken from the platform under test. This
builds the simulator's ASGI app (`qingeban simulator` serves the same app with uvicorn) and
sends it, one after another, the look-ups a rent withdrawal's 秒批 makes for the renter persona
(the court's defaulters, the registry's property and transactions, the fund centre's account,
contributions and withdrawals), as the platform sends them: its caller token and X-Road
headers, a case purpose, a JSON body. The process's CPU clock then counts the app's work and
nothing of uvicorn or the sockets. It is for comparing code: run it from two checkouts in turn
(`--root`), several times, and compare medians.

Prints one JSON object: the median and the lowest CPU microseconds per look-up over the blocks.

    .venv/bin/python bench/simulator_cpu.py [--root CHECKOUT] [--rounds 300] [--blocks 7]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parent.parent,
                    help="the checkout measured (default: this one)")  # fmt: skip
parser.add_argument("--rounds", type=int, default=300, help="rounds of six look-ups per block")
parser.add_argument("--blocks", type=int, default=7)
ARGS = parser.parse_args()
# The checkout's own app, ahead of the installed one.
sys.path.insert(0, str(ARGS.root))

from app.adapters.simulator.endpoints import create_simulator_app  # noqa: E402
from app.adapters.simulator.personas import build_personas  # noqa: E402

LOOKUPS = [
    ("court", "judgment-defaulters"),
    ("bdc", "property-ownership"),
    ("bdc", "property-transactions"),
    ("gjj", "fund-account"),
    ("gjj", "fund-contributions"),
    ("gjj", "fund-withdrawals"),
]
Message = dict[str, Any]


def requests_of(app: Any) -> list[tuple[dict[str, Any], bytes]]:
    """(scope, body) of each look-up, as the platform's department client sends it."""
    simulator = app.state.simulator
    renter = next(p for p in build_personas(simulator.population)[0] if p.key == "renter")
    token, system = next(iter(simulator.settings.caller_tokens.items()))
    body = json.dumps({"subject": {"id_number": renter.id_number, "name": renter.name}},
                      ensure_ascii=False).encode()  # fmt: skip
    headers = [
        (b"host", b"simulator"), (b"authorization", f"Bearer {token}".encode()),
        (b"x-caller-system", system.encode()), (b"x-end-user", b"person:bench"),
        (b"x-purpose", b"application:20261206000001"), (b"x-case-id", b"20261206000001"),
        (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
    ]  # fmt: skip
    requests = []
    for department, dataset in LOOKUPS:
        path = f"/{department}/datasets/{dataset}/lookup"
        scope = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST",
            "scheme": "http", "path": path, "raw_path": path.encode(), "query_string": b"",
            "root_path": "", "headers": headers, "client": ("127.0.0.1", 50000),
            "server": ("simulator", 80),
        }  # fmt: skip
        requests.append((scope, body))
    return requests


async def look_up(app: Any, scope: dict[str, Any], body: bytes) -> int:
    """One look-up; its status."""
    answered: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            answered.append(message)

    await app(dict(scope), receive, send)
    return int(answered[0]["status"])


async def measure() -> dict[str, Any]:
    app = create_simulator_app()
    requests = requests_of(app)
    for scope, body in requests:
        status = await look_up(app, scope, body)
        if status != 200:
            raise SystemExit(f"{scope['path']} answered {status}")
    for _ in range(ARGS.rounds):  # warm-up
        for scope, body in requests:
            await look_up(app, scope, body)
    per_lookup = []
    for _ in range(ARGS.blocks):
        started = time.process_time()
        for _ in range(ARGS.rounds):
            for scope, body in requests:
                await look_up(app, scope, body)
        per_lookup.append((time.process_time() - started) / (ARGS.rounds * len(requests)) * 1e6)
    return {
        "cpu_us_per_lookup_median": round(statistics.median(per_lookup), 1),
        "cpu_us_per_lookup_min": round(min(per_lookup), 1),
    }


if __name__ == "__main__":
    figures = asyncio.run(measure())
    print(json.dumps({"benchmark": "simulator_cpu", "root": str(ARGS.root.resolve()),
                      "lookups_per_block": ARGS.rounds * len(LOOKUPS), "blocks": ARGS.blocks,
                      **figures}))  # fmt: skip
