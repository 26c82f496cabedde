"""Helpers of the console's browser tests (fixtures in conftest.py)."""

from __future__ import annotations

import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from persona_support import PERSONAS
from playwright.async_api import Page

from app.adapters.simulator.personas import DEMO_PASSWORD
from app.config import Settings
from app.demo import DEMO_STAFF_PASSWORD

SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
AXE = Path(__file__).resolve().parent / "axe.min.js"


def free_port() -> int:
    """A local TCP port nothing listens on."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """The running server: its base URL and settings."""

    url: str
    settings: Settings


NewPage = Callable[..., Awaitable[Page]]


async def sign_in(page: Page, login: str, password: str = DEMO_STAFF_PASSWORD) -> None:
    """Open the console and sign in on the platform's OIDC login page."""
    await page.goto("/console/")
    assert "/oauth/authorize" in page.url or "/oauth/login" in page.url, page.url
    await page.fill("#login", login)
    await page.fill("#password", password)
    await page.click("form[aria-labelledby=password-title] button[type=submit]")
    await page.wait_for_load_state()


async def screenshot(page: Page, name: str) -> None:
    """A full-page screenshot under var/screenshots/ (gitignored)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


async def accessibility_violations(page: Page) -> list[dict[str, Any]]:
    """axe-core's violations of labels, names and contrast on the page (axe-core is vendored
    in tests/console and evaluated through the DevTools protocol, so the page's CSP, which
    forbids inline scripts, stays as served)."""
    await page.evaluate(AXE.read_text(encoding="utf-8"))
    result: dict[str, Any] = await page.evaluate(
        """async () => await axe.run(document, {runOnly: {type: 'rule', values: [
            'label', 'color-contrast', 'button-name', 'link-name', 'image-alt', 'svg-img-alt',
            'select-name', 'document-title', 'html-has-lang', 'th-has-data-cells',
            'duplicate-id-aria', 'aria-valid-attr']}})"""
    )
    return [
        {"id": v["id"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
    ]


async def citizen_headers(api: httpx.AsyncClient, key: str) -> dict[str, str]:
    """A persona's bearer header from the app's login API, raised to L3 by face verification."""
    persona = PERSONAS[key]
    login = await api.post("/api/v1/auth/login", json={
        "method": "password", "login": persona.login, "password": DEMO_PASSWORD})  # fmt: skip
    assert login.status_code == 200, login.text
    headers = {"Authorization": f"Bearer {login.json()['access_token']}"}
    verified = await api.post("/api/v1/auth/face-verification", headers=headers,
                              json={"selfie_token": "selfie-2026-11-24"})  # fmt: skip
    assert verified.status_code == 200, verified.text
    return headers


async def staff_api_headers(api: httpx.AsyncClient, login: str) -> dict[str, str]:
    """A demo staff member's bearer header from the app's login API."""
    answer = await api.post("/api/v1/auth/login", json={
        "method": "password", "login": login, "password": DEMO_STAFF_PASSWORD})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


async def add_staff(server: Server, login: str, name: str, department: str) -> None:
    """A clerk of `department` with the demo staff password."""
    from app.audit.schemas import AuditContext
    from app.auth import service as auth
    from app.auth.models import StaffRole
    from app.auth.schemas import StaffCreate
    from app.db import Database

    database = Database.from_url(server.settings.database_url)
    try:
        async with database.session() as session:
            await auth.seed_demo_staff(
                session, server.settings,
                StaffCreate(login=login, name=name, role=StaffRole.CLERK,
                            department_code=department, password=DEMO_STAFF_PASSWORD),
                audit_context=AuditContext(),
            )  # fmt: skip
    finally:
        await database.dispose()
