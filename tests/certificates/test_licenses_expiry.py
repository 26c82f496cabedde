"""The expiry query the proactive renewals will run daily: valid licenses ending within N days."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from license_support import Headers
from sqlalchemy import text

from app.certificates import repository
from app.certificates import service as certificates
from app.db import Database

Issue = Callable[..., Awaitable[dict[str, Any]]]
TODAY = date(2026, 11, 24)


@pytest.fixture(autouse=True)
def _on_the_day(travel: Callable[[str], None]) -> None:
    """The platform's clock on TODAY before any token is issued: suspending needs a license not
    yet expired, whatever day the suite runs."""
    travel("2026-11-24T09:00:00+08:00")


async def test_valid_licenses_expiring_within_the_window_in_date_order(
    client: httpx.AsyncClient,
    database: Database,
    issued: Issue,
    scjg_clerk: Headers,
) -> None:
    async def ending(last_day: str) -> str:
        license_ = await issued(valid_from="2022-01-01", valid_until=last_day)
        return str(license_["license_no"])

    later = await ending("2026-12-24")  # the window's last day (today + 30)
    today = await ending("2026-11-24")
    soon = await ending("2026-12-01")
    await ending("2026-11-23")  # already expired yesterday
    await ending("2026-12-25")  # outside the window
    await issued(valid_from="2022-01-01", valid_until=None)  # never expires
    suspended = await ending("2026-12-02")
    response = await client.post(
        f"/api/v1/licenses/{suspended}/suspend", json={"reason": "暂扣"}, headers=scjg_clerk
    )
    assert response.status_code == 200

    async with database.session() as session:
        found = await certificates.licenses_expiring(session, within_days=30, on=TODAY)
        assert [row.license_no for row in found] == [today, soon, later]
        first = await certificates.licenses_expiring(session, within_days=30, on=TODAY, limit=2)
        last = first[-1]
        assert last.valid_until is not None
        rest = await certificates.licenses_expiring(
            session, within_days=30, on=TODAY, after=(last.valid_until, last.license_no)
        )
        assert [row.license_no for row in first + rest] == [today, soon, later]


async def test_the_expiry_query_is_served_by_the_expiry_index(database: Database) -> None:
    query = repository.expiring_query(
        first_day=TODAY, last_day=TODAY + timedelta(days=30), after=None, limit=100
    )
    async with database.session() as session:
        dialect = session.get_bind().dialect
        sql = str(query.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
        if dialect.name == "postgresql":
            # An empty table is cheapest to scan; forbid that to see which index the plan takes.
            await session.execute(text("SET LOCAL enable_seqscan = off"))
            plan = "\n".join((await session.scalars(text(f"EXPLAIN {sql}"))).all())
        else:
            rows = await session.execute(text(f"EXPLAIN QUERY PLAN {sql}"))
            plan = "\n".join(str(row[-1]) for row in rows)
    assert "ix_licenses_status_valid_until" in plan, plan
