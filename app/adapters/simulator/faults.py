"""Fault injection and request counting for the simulated departments (plain ASGI)."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from collections.abc import Awaitable, Callable, MutableMapping
from datetime import UTC, datetime
from typing import Any

from app.adapters.simulator.settings import Fault

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class SimulatedReset(ConnectionResetError):
    """Raised after the response started, so the server drops the connection mid-response."""


class FaultState:
    """Current faults per department, the hang release and the request counters."""

    def __init__(self, faults: dict[str, Fault]) -> None:
        self.faults = {dept: fault for dept, fault in faults.items() if fault.active}
        self.counts: Counter[tuple[str, str]] = Counter()
        self.since = datetime.now(UTC)
        self._release = asyncio.Event()
        # Not for security: a fault draw only has to be roughly uniform.
        self._random = random.Random()  # noqa: S311

    def clear(self) -> None:
        """Remove every fault and release requests that hang."""
        self.faults.clear()
        self._release.set()
        self._release = asyncio.Event()

    def reset_stats(self) -> None:
        """Start counting again from zero."""
        self.counts.clear()
        self.since = datetime.now(UTC)

    def stats(self) -> dict[str, Any]:
        """Request counts per department and dataset since start or the last reset."""
        departments: dict[str, dict[str, Any]] = {}
        for (dept, dataset), count in sorted(self.counts.items()):
            entry = departments.setdefault(dept, {"total": 0, "datasets": {}})
            entry["total"] += count
            entry["datasets"][dataset] = count
        return {"since": self.since.isoformat(), "departments": departments}

    async def wait_released(self) -> None:
        """Block until the faults are cleared."""
        await self._release.wait()

    def delay_seconds(self, fault: Fault) -> float:
        """Latency plus uniform jitter, in seconds, never negative."""
        jitter = self._random.uniform(-fault.jitter_ms, fault.jitter_ms) if fault.jitter_ms else 0
        return max(0.0, fault.latency_ms + jitter) / 1000

    def roll(self, rate: float) -> bool:
        """True with the given probability."""
        return rate > 0 and self._random.random() < rate


def _route(path: str) -> tuple[str, str] | None:
    """(department, dataset) for a department path; None for /_admin and anything else."""
    parts = path.strip("/").split("/")
    if not parts or not parts[0] or parts[0].startswith("_"):
        return None
    if len(parts) >= 3 and parts[1] == "datasets":
        return parts[0], parts[2]
    if len(parts) == 4 and parts[1] == "accounts" and parts[3] == "transfer":
        return parts[0], "transfer"
    if len(parts) in (2, 3) and parts[1] == "disbursements":
        return parts[0], "disbursements"
    if len(parts) == 2 and parts[1] == "datasets":
        return parts[0], "(list)"
    return None


async def _send_problem(send: Send, dept: str) -> None:
    body = json.dumps({
        "type": "urn:qingeban:problem:simulator.injected_error",
        "title": "Service unavailable (injected fault)",
        "status": 503,
        "code": "simulator.injected_error",
        "detail": f"Department {dept} is failing on purpose.",
    }).encode()  # fmt: skip
    headers = [(b"content-type", b"application/problem+json"),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class FaultMiddleware:
    """Counts department requests, then applies that department's fault before the app."""

    def __init__(self, app: ASGIApp, state: FaultState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI call."""
        route = _route(scope["path"]) if scope["type"] == "http" else None
        if route is None:
            await self.app(scope, receive, send)
            return
        self.state.counts[route] += 1
        fault = self.state.faults.get(route[0])
        if fault is not None:
            delay = self.state.delay_seconds(fault)
            if delay:
                await asyncio.sleep(delay)
            if fault.hang:
                await self.state.wait_released()
            elif self.state.roll(fault.reset_rate):
                # Start a response, then fail: the server must drop the half-sent connection.
                headers = [(b"content-type", b"application/json"), (b"content-length", b"64")]
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                raise SimulatedReset("simulated connection reset")
            elif self.state.roll(fault.error_rate):
                await _send_problem(send, route[0])
                return
        await self.app(scope, receive, send)
