"""A lean closed-loop load generator: keep-alive HTTP/1.1 on raw asyncio streams.

httpx costs the load generator ~3 ms of CPU per request, so on a 2-core machine it, not the
server, sets the pace; a pre-built request written to a socket and a response read by its
Content-Length costs ~0.05 ms. Only what the benchmarks send is supported: GET, or POST with a
body (JSON or a form), and answers with a Content-Length (no chunked bodies).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

Body = Callable[[], bytes]
Check = Callable[[int, bytes], str]


@dataclass
class Tally:
    """Latencies (ms) and outcomes of one phase."""

    timings: list[float] = field(default_factory=list)
    outcomes: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class Shape:
    """What every request of a phase looks like, but its body."""

    path: str
    method: str = "POST"
    content_type: str = "application/json"
    headers: tuple[tuple[str, str], ...] = ()

    def request(self, host: str, body: bytes) -> bytes:
        """The request's bytes."""
        lines = [f"{self.method} {self.path} HTTP/1.1", f"Host: {host}"]
        lines += [f"{name}: {value}" for name, value in self.headers]
        if self.method != "GET":
            lines += [f"Content-Type: {self.content_type}", f"Content-Length: {len(body)}"]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("ascii") + body


async def _client(
    host: str, port: int, shape: Shape, body: Body, check: Check, deadline: float, tally: Tally
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            writer.write(shape.request(host, body()))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            answer = await reader.readexactly(length)
            tally.timings.append((time.perf_counter() - started) * 1000)
            tally.outcomes[check(status, answer)] += 1
    except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
        tally.outcomes[f"transport:{type(exc).__name__}"] += 1
    finally:
        writer.close()


async def run_phase(
    url_host: str,
    port: int,
    path: str | Shape,
    body: Body,
    check: Check,
    *,
    clients: int,
    seconds: float,
) -> Tally:
    """`clients` connections, each sending its next request as soon as the last is answered;
    `path` alone means a JSON POST there."""
    shape = path if isinstance(path, Shape) else Shape(path)
    tally = Tally()
    deadline = time.perf_counter() + seconds
    await asyncio.gather(
        *(_client(url_host, port, shape, body, check, deadline, tally) for _ in range(clients))
    )
    return tally


def tree_cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of a process and its children (a server's workers)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        own = int(stat.parent.name) == pid
        if own or int(fields[1]) == pid:
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def latency_figures(tally: Tally, elapsed: float) -> dict[str, object]:
    """Requests/s and latency percentiles of a phase."""
    timings = sorted(tally.timings)
    return {
        "requests": len(timings),
        "requests_per_s": round(len(timings) / elapsed, 1),
        "p50_ms": round(statistics.median(timings), 2),
        "p99_ms": round(statistics.quantiles(timings, n=100, method="inclusive")[98], 2),
        "max_ms": round(timings[-1], 2),
    }
