"""The console's browser tests: a real server (uvicorn on a free port, in a thread with its own
event loop), the demo world on its day, and Chromium from the operating system's packages
driven by Playwright (its own browser downloads are never used)."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn
from console_support import NewPage, Server, free_port
from playwright.async_api import Browser, Page, async_playwright
from settings_support import make_settings

from app.adapters.service import reset_exchange
from app.config import Settings
from app.main import create_app

CHROMIUM = os.environ.get("QE_CHROMIUM", "/usr/bin/chromium")
HAVE_CHROMIUM = Path(CHROMIUM).exists()


@pytest.fixture
def server_settings(database_url: str) -> Settings:
    """The server's settings: the test's database, its issuer on the free port, and a 秒批
    deadline of 10 s. These tests are about the pages; with Chromium on the same two cores a
    cold first submission took 809 ms in CI and was referred for the 1 s deadline, which has
    its own tests (tests/applications/test_applications_deadline.py)."""
    port = free_port()
    return make_settings(
        database_url, issuer=f"http://127.0.0.1:{port}", approval_deadline_seconds=10
    )


@pytest.fixture
def server(server_settings: Settings, world: None) -> Iterator[Server]:
    """The application served by uvicorn on the issuer's port, the demo world seeded."""
    reset_exchange()  # the server's loop builds its own exchange (its locks belong to a loop)
    port = int(server_settings.issuer_url.rsplit(":", 1)[1])
    config = uvicorn.Config(
        create_app(server_settings), host="127.0.0.1", port=port, log_level="warning"
    )
    uv = uvicorn.Server(config)
    thread = threading.Thread(target=uv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not uv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the server did not start")
        time.sleep(0.02)
    yield Server(url=server_settings.issuer_url, settings=server_settings)
    uv.should_exit = True
    thread.join(timeout=30)
    reset_exchange()


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    """Chromium from the OS packages, headless, with every host but 127.0.0.1 unreachable (a
    page that needed a CDN would not work)."""
    if not HAVE_CHROMIUM:
        pytest.skip("Chromium is installed by .ci/run (apt-get install chromium)")
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"],
        )  # fmt: skip
        yield launched
        await launched.close()


@pytest.fixture
async def api(server: Server) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client of the running server's API."""
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as http:
        yield http


@pytest.fixture
def new_page(browser: Browser, server: Server) -> Iterator[NewPage]:
    """A page in a fresh browser context (its own cookies), zh-CN unless `locale` says. Every
    request any page made must have gone to the server itself."""
    requested: list[str] = []

    async def make(locale: str = "zh-CN") -> Page:
        context = await browser.new_context(base_url=server.url, locale=locale)
        context.on("request", lambda request: requested.append(request.url))
        return await context.new_page()

    yield make
    elsewhere = [url for url in requested if not url.startswith(f"{server.url}/")]
    assert elsewhere == [], "every asset is served by the application"
