"""Identity test fixtures: the app as a browser and relying parties see it, and a back-channel
logout receiver listening on a real local port.

Accounts are made through the identity service (the first-party registration API is built
elsewhere); everything else goes through the public HTTP API.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from oidc_support import ISSUER, Provider, Receiver, free_port, refuse_server_errors, transport
from settings_support import make_settings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from app.config import Settings
from app.db import Database
from app.main import create_app


@pytest.fixture
def settings(database_url: str) -> Settings:
    """Test settings with the demo world on, so that the demo SMS inbox can be read."""
    return make_settings(database_url, demo=True)


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    """A private redis-server for the module (skipped where none is installed)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--save", "", "--appendonly", "no", "--bind", "127.0.0.1"],
        stdout=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.fixture
async def app(settings: Settings, database: Database) -> AsyncIterator[FastAPI]:
    """The application, lifespan running."""
    application = create_app(settings, database=database)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def browser(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A browser: keeps cookies, does not follow redirects by itself."""
    async with httpx.AsyncClient(
        transport=transport(app),
        base_url=ISSUER,
        event_hooks={"response": [refuse_server_errors]},
    ) as http:
        yield http


@pytest.fixture
async def api(app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    """A cookie-less API caller (relying parties, admins, attackers)."""
    async with httpx.AsyncClient(
        transport=transport(app, ("203.0.113.9", 50000)),
        base_url=ISSUER,
        event_hooks={"response": [refuse_server_errors]},
    ) as http:
        yield http


@pytest.fixture
async def provider(
    api: httpx.AsyncClient, database: Database, settings: Settings, admin_headers: dict[str, str]
) -> Provider:
    """Helpers to register clients, make accounts and sign in."""
    return Provider(api, database, settings, admin_headers)


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    """A local HTTP server receiving back-channel logout tokens (it can be told to fail)."""
    state = Receiver(port=0)

    async def backchannel(request: Request) -> Response:
        name = request.path_params["name"]
        form = await request.form()
        if state.failures_left.get(name, 0) > 0:
            state.failures_left[name] -= 1
            return Response(status_code=503)
        if request.headers.get("content-type") != "application/x-www-form-urlencoded":
            return Response(status_code=415)
        state.received.append((name, str(form["logout_token"])))
        return Response(status_code=200)

    application = Starlette(routes=[Route("/backchannel/{name}", backchannel, methods=["POST"])])
    config = uvicorn.Config(
        application, host="127.0.0.1", port=0, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    state.port = server.servers[0].sockets[0].getsockname()[1]
    yield state
    server.should_exit = True
    await task
