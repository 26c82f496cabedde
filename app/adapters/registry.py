"""Where each department lives and how the platform authenticates to it.

`QE_DEPARTMENT_URLS` (JSON, department code → base URL) points departments at real systems;
every department not listed there is served by the in-process simulator, mounted on the shared
client through `httpx.ASGITransport` (no socket, no port). Pointing a department at a real
endpoint is configuration only.

Credentials: `QE_DEPARTMENT_TOKENS` (JSON, department code → bearer token) sets the token the
platform presents to each department; a department without one receives the simulator's
published demo token, `DEFAULT_CALLER_TOKEN`, and a production start refuses a real department
URL without a token of its own (see `Settings`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from app.adapters.simulator.endpoints import create_simulator_app
from app.adapters.simulator.settings import DEFAULT_CALLER_TOKEN
from app.config import Settings

CALLER_SYSTEM = "qingeban"
# A host name no DNS resolves: requests to it are served by the mounted in-process simulator.
SIMULATOR_BASE_URL = "http://departments.simulator.internal"


@dataclass(frozen=True, slots=True)
class Endpoint:
    """One department's base URL and the credential the platform presents to it."""

    department: str
    base_url: str
    token: str


@dataclass
class DepartmentRegistry:
    """Department code → endpoint; unlisted departments go to the in-process simulator."""

    urls: Mapping[str, str] = field(default_factory=dict)
    tokens: Mapping[str, str] = field(default_factory=dict)
    default_token: str = DEFAULT_CALLER_TOKEN
    caller_system: str = CALLER_SYSTEM
    # The in-process simulator's ASGI app (kept untyped: only endpoints may import FastAPI).
    simulator_app: Any = None

    @classmethod
    def from_settings(cls, settings: Settings) -> DepartmentRegistry:
        """The registry configured by `QE_DEPARTMENT_URLS` and `QE_DEPARTMENT_TOKENS`."""
        tokens = {
            code: token.get_secret_value() for code, token in settings.department_tokens.items()
        }
        return cls(urls=dict(settings.department_urls), tokens=tokens)

    def endpoint(self, department: str) -> Endpoint:
        """The endpoint of one department."""
        base_url = self.urls.get(department, SIMULATOR_BASE_URL).rstrip("/")
        token = self.tokens.get(department, self.default_token)
        return Endpoint(department=department, base_url=base_url, token=token)

    def mounts(self) -> dict[str, httpx.AsyncBaseTransport]:
        """Transports to mount on the shared client: the simulator, unless every URL is real."""
        if self.simulator_app is None:
            self.simulator_app = create_simulator_app()
        return {SIMULATOR_BASE_URL: httpx.ASGITransport(app=self.simulator_app)}
