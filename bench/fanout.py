"""Benchmark: parallel fan-out of gather_facts against the simulator running as its own process.

Starts `python -m app.cli simulator --port <free>`, injects department latencies through its
/_admin/faults API (100/200/300 ms with 10% jitter, two datasets per tier, six departments),
points an `Exchange` at it with explicit URLs, and runs rounds of 50 concurrent gatherings of
six datasets. Then one department hangs and a round measures the deadline and retry
amplification. No database: gather_facts runs with session=None (nothing is logged). The
client runs on uvloop, as `qingeban serve` does (uvicorn picks uvloop and httptools when they
are installed, and they are dependencies). Prints one JSON object:

* ratio_p50 / ratio_p99: gathering time ÷ slowest configured latency (goals ≤ 1.10, ≤ 1.30);
* hang_within_deadline_share: gatherings returning within deadline + 50 ms (goal 1.0);
* hang_retry_amplification: simulator requests to the hanging department ÷ gatherings
  (goal ≤ 1.1).

    .venv/bin/python bench/fanout.py [--rounds 4] [--concurrency 50] [--deadline 1.0]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import uvloop

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _support import free_port

from app.adapters.client import DepartmentClient, Fact, Subject
from app.adapters.registry import DepartmentRegistry
from app.adapters.resilience import percentile
from app.adapters.service import Actor, Exchange, gather_facts
from app.adapters.simulator.personas import build_personas
from app.adapters.simulator.population import Population
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN
from app.kit.crypto import BlindIndex, derive_key

# (department, dataset, latency ms): one dataset per department, three latency tiers.
PLAN = [
    ("gaj", "household-registration", 100),
    ("mzj", "marriage-status", 100),
    ("rsj", "social-insurance-contributions", 200),
    ("bdc", "property-ownership", 200),
    ("gjj", "fund-contributions", 300),
    ("jyj", "degrees", 300),
]
HANGING = "gjj"
ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
ACTOR = Actor("system", "bench-fanout")


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _wait_ready(admin: httpx.AsyncClient, process: subprocess.Popen[bytes]) -> None:
    for _ in range(200):
        if process.poll() is not None:
            raise RuntimeError("the simulator exited")
        try:
            if (await admin.get("/_admin/faults")).status_code == 200:
                return
        except httpx.TransportError:
            pass
        await asyncio.sleep(0.05)
    raise RuntimeError("the simulator did not start")


async def _round(
    exchange: Exchange, subjects: list[Subject], concurrency: int, deadline: float
) -> list[tuple[float, bool]]:
    keys = [(department, dataset) for department, dataset, _ in PLAN]

    async def one(number: int) -> tuple[float, bool]:
        started = time.monotonic()
        facts = await gather_facts(None, subjects[number % len(subjects)], keys,
                                   purpose="review", actor=ACTOR, deadline_seconds=deadline,
                                   exchange=exchange)  # fmt: skip
        complete = all(isinstance(fact, Fact) for fact in facts.values())
        return time.monotonic() - started, complete

    return list(await asyncio.gather(*(one(n) for n in range(concurrency))))


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Start the simulator, run the latency rounds and the hang round; return the figures."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    process = subprocess.Popen(  # noqa: ASYNC220 - once, before measuring
        [sys.executable, "-m", "app.cli", "simulator", "--port", str(port)]
    )
    admin = httpx.AsyncClient(base_url=base, headers=ADMIN)
    client: DepartmentClient | None = None
    try:
        await _wait_ready(admin, process)
        for department, _, latency in PLAN:
            fault = {"latency_ms": latency, "jitter_ms": latency // 10}
            (await admin.put(f"/_admin/faults/{department}", json=fault)).raise_for_status()
        registry = DepartmentRegistry(urls={department: base for department, _, _ in PLAN})
        client = DepartmentClient(registry)
        index = BlindIndex(derive_key("bench", "blind-index"))
        subjects = [Subject.person(p.id_number) for p in build_personas(Population())[0]]
        slowest = max(latency for _, _, latency in PLAN) / 1000
        # Open the connections first, under a generous deadline and with throwaway breakers.
        await _round(Exchange(blind_index=index, client=client), subjects, args.concurrency, 10.0)
        # As `qingeban serve` does once started: long-lived objects leave the collector's
        # full passes (see app/main.py).
        gc.freeze()
        exchange = Exchange(blind_index=index, client=client)
        samples: list[tuple[float, bool]] = []
        cpu_client, cpu_sim = time.process_time(), _cpu_seconds(process.pid)
        for _ in range(args.rounds):
            samples += await _round(exchange, subjects, args.concurrency, args.deadline)
        reads = len(samples) * len(PLAN)
        cpu_client_ms = (time.process_time() - cpu_client) * 1000 / reads
        cpu_sim_ms = (_cpu_seconds(process.pid) - cpu_sim) * 1000 / reads
        ratios = sorted(elapsed / slowest for elapsed, _ in samples)

        (await admin.put(f"/_admin/faults/{HANGING}", json={"hang": True})).raise_for_status()
        (await admin.delete("/_admin/stats")).raise_for_status()
        # Fresh breakers, so the hang round starts from closed ones.
        exchange = Exchange(blind_index=index, client=client)
        hang = await _round(exchange, subjects, args.concurrency, args.deadline)
        stats = (await admin.get("/_admin/stats")).json()["departments"]
        requests = stats.get(HANGING, {}).get("total", 0)
        within = sum(1 for elapsed, _ in hang if elapsed <= args.deadline + 0.05)
        return {
            "gatherings": len(samples),
            "concurrency": args.concurrency,
            "datasets_per_gathering": len(PLAN),
            "slowest_latency_ms": slowest * 1000,
            "ratio_p50": round(percentile(ratios, 50), 3),
            "ratio_p99": round(percentile(ratios, 99), 3),
            "complete_share": sum(1 for _, ok in samples if ok) / len(samples),
            "client_cpu_ms_per_read": round(cpu_client_ms, 3),
            "simulator_cpu_ms_per_read": round(cpu_sim_ms, 3),
            "deadline_s": args.deadline,
            "hang_department": HANGING,
            "hang_gatherings": len(hang),
            "hang_within_deadline_share": within / len(hang),
            "hang_max_ms": round(max(elapsed for elapsed, _ in hang) * 1000, 1),
            "hang_requests": requests,
            "hang_retry_amplification": round(requests / len(hang), 3),
        }
    finally:
        if process.poll() is None:
            await admin.delete("/_admin/faults")
        await admin.aclose()
        if client is not None:
            await client.aclose()
        process.terminate()
        process.wait(timeout=10)


def main() -> None:
    """Parse arguments, run, print one JSON object."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--deadline", type=float, default=1.0)
    print(json.dumps(uvloop.run(run(parser.parse_args()))))


if __name__ == "__main__":
    main()
