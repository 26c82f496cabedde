"""`qingeban seed --demo` (and so `serve --demo`) ends with the hygiene and kindergarten owners'
renewal offers, made by the scan the daily schedule runs; seeding again offers nothing twice."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from persona_support import PERSONAS

from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import DEMO_PASSWORD
from app.cli import main
from app.config import get_settings
from app.db import Database


@pytest.fixture
def fresh_sqlite(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """QE_DATABASE_URL pointing at an empty SQLite file, for the command to seed."""
    url = f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("QE_DATABASE_URL", url)
    # Set (not deleted) so that teardown restores it: `seed --demo` writes QE_DEMO=true into the
    # environment, which would otherwise leak into every later test of this process.
    monkeypatch.setenv("QE_DEMO", "false")
    get_settings.cache_clear()
    reset_exchange()
    yield url
    get_settings.cache_clear()
    reset_exchange()


async def _offers_of(url: str, key: str) -> list[dict[str, Any]]:
    from app.main import create_app

    database = Database.from_url(url)
    app = create_app(get_settings(), database=database)
    persona = PERSONAS[key]
    try:
        async with (
            app.router.lifespan_context(app),
            httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as http,
        ):
            login = await http.post(
                "/api/v1/auth/login",
                json={"method": "password", "login": persona.login, "password": DEMO_PASSWORD},
            )
            bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
            listed = await http.get("/api/v1/me/offers", headers=bearer)
            assert listed.status_code == 200, listed.text
            items: list[dict[str, Any]] = listed.json()["items"]
            return items
    finally:
        await database.dispose()


def test_seed_demo_ends_with_the_two_offers(
    fresh_sqlite: str, capsys: pytest.CaptureFixture[str], on_world_day: None
) -> None:
    assert main(["seed", "--demo"]) == 0
    first = json.loads(capsys.readouterr().out)
    assert first["renewal_offers"] == {"offered": 2, "ineligible": 0, "unchanged": 0}
    assert main(["seed", "--demo"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["renewal_offers"]["offered"] == 0
    for key, license_type in (
        ("hygiene", "hygiene-permit"),
        ("kindergarten", "kindergarten-licence"),
    ):
        offers = asyncio.run(_offers_of(fresh_sqlite, key))
        assert [(o["license_type"], o["status"]) for o in offers] == [(license_type, "open")]
