"""`license.expiring`: the daily run tells the holder of a license that ends within 30 days,
in the inbox and by text, once however often it runs; a license ending later is not told."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from notification_support import demo_texts, drain, inbox
from test_license_events import _holder

from app.auth.models import StaffRole
from app.certificates import service as certificates
from app.cli import main
from app.config import Settings
from app.db import Database

Travel = Callable[[str], None]
TODAY = "2026-11-24T09:00:00+08:00"


async def _issue(client: httpx.AsyncClient, clerk: dict[str, str], id_number: str,
                 number: str, issued_on: str, valid_until: str) -> str:  # fmt: skip
    body = {
        "type": "special-equipment-operator",
        "holder": {"kind": "person", "name": "李娜", "id_number": id_number},
        "fields": {"operation_item": "叉车司机", "certificate_number": number,
                   "issued_on": issued_on, "valid_until": valid_until},
        "valid_from": issued_on,
        "valid_until": valid_until,
    }  # fmt: skip
    issued = await client.post("/api/v1/licenses", json=body, headers=clerk)
    assert issued.status_code == 201, issued.text
    return str(issued.json()["license_no"])


async def _announce(database: Database) -> int:
    async with database.session() as session:
        return await certificates.announce_expiring(session)


async def test_a_license_ending_soon_is_announced_once(
    client: httpx.AsyncClient,
    database: Database,
    settings: Settings,
    staff_headers: Callable[..., Awaitable[dict[str, str]]],
    travel: Travel,
) -> None:
    travel(TODAY)
    holder, id_number = await _holder(client, database, settings)
    clerk = await staff_headers("scjg.clerk", StaffRole.CLERK, department="scjg")
    soon = await _issue(client, clerk, id_number, "TS-2022-0101", "2022-12-11", "2026-12-10")
    later = await _issue(client, clerk, id_number, "TS-2026-0102", "2026-03-01", "2030-02-28")
    await drain(database, settings)  # the issuing news first
    texts_before = len(await demo_texts(database))

    # Two runs at once (two cron hosts) and a third later: one announcement.
    told = await asyncio.gather(_announce(database), _announce(database))
    assert sorted(told) == [0, 1]
    assert await _announce(database) == 0
    await drain(database, settings)

    page = await inbox(client, holder)
    expiring = [m for m in page["items"] if m["event_type"] == "license.expiring"]
    assert [m["link"] for m in expiring] == [f"/api/v1/licenses/{soon}"]
    assert later not in str(expiring)
    assert "2026-12-10" in expiring[0]["body"]
    texts = (await demo_texts(database))[texts_before:]
    assert len(texts) == 1
    assert "到期" in texts[0]


@pytest.mark.usefixtures("database")
def test_the_command_prints_how_many_it_told(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QE_DATABASE_URL", database_url)
    from app.config import get_settings

    get_settings.cache_clear()
    try:
        assert main(["licenses", "announce-expiring", "--within-days", "30"]) == 0
    finally:
        get_settings.cache_clear()
    assert capsys.readouterr().out.strip() == '{"announced": 0}'
