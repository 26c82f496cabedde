"""What the city-brain screen added to the overview: applications this year (from 1 January in
Asia/Shanghai, not in UTC) and open cases against their statutory deadlines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import httpx
from application_forms import rent_withdrawal
from persona_support import PERSONAS, SignIn, submitted
from sqlalchemy import update

from app.auth.models import StaffRole
from app.db import Database
from app.kit.clock import SHANGHAI
from app.services.applications.models import Application

RENT = "gjj.withdraw.rent"


async def test_a_case_of_last_new_years_eve_counts_in_total_not_this_year(
    client: httpx.AsyncClient, sign_in: SignIn, staff_headers: Any, database: Database
) -> None:
    cases = [
        await submitted(client, await sign_in(key, face=True), RENT, rent_withdrawal(PERSONAS[key]))
        for key in ("renter", "flat_owner")
    ]
    # 00:30 on 1 January in Qingdao is still 31 December in UTC: this year's all the same.
    # 23:59 on 31 December in Qingdao: last year's.
    moments = (datetime(2026, 1, 1, 0, 30, tzinfo=SHANGHAI),
               datetime(2025, 12, 31, 23, 59, tzinfo=SHANGHAI))  # fmt: skip
    async with database.session() as session:
        for case, moment in zip(cases, moments, strict=True):
            await session.execute(
                update(Application)
                .where(Application.number == case["number"])
                .values(submitted_at=moment)
            )
    admin = await staff_headers("year.admin", StaffRole.PLATFORM_ADMIN, department="xzsp")
    overview = (await client.get("/api/v1/stats/overview", headers=admin)).json()
    assert overview["applications"] == {"total": 2, "today": 0}
    assert overview["applications_this_year"] == 1


async def test_open_cases_are_counted_against_their_deadlines(
    client: httpx.AsyncClient, sign_in: SignIn, staff_headers: Any, database: Database
) -> None:
    owner = await sign_in("flat_owner", face=True)
    case = await submitted(client, owner, RENT, rent_withdrawal(PERSONAS["flat_owner"]))
    assert case["status"] == "pending_review"
    admin = await staff_headers("deadline.admin", StaffRole.PLATFORM_ADMIN, department="xzsp")
    seen = []
    # The world's day is Tuesday 2026-11-24: due yesterday, today, in 3 days, in 4 days.
    for deadline in (
        date(2026, 11, 23),
        date(2026, 11, 24),
        date(2026, 11, 27),
        date(2026, 11, 28),
    ):
        async with database.session() as session:
            await session.execute(
                update(Application)
                .where(Application.number == case["number"])
                .values(deadline=deadline)
            )
        overview = (await client.get("/api/v1/stats/overview", headers=admin)).json()
        (gjj,) = overview["pending_by_department"]
        seen.append((gjj["overdue"], gjj["due_soon"]))
    assert seen == [(1, 0), (0, 1), (0, 1), (0, 0)]
