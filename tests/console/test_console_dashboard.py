"""The city-brain screen in Chromium: the day's figures equal GET /api/v1/stats/overview, drawn
with server-side SVG charts, refreshing itself; for platform admins, auditors and a
`stats.read` client, and no one else."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from application_forms import rent_withdrawal
from console_support import (
    NewPage,
    Server,
    accessibility_violations,
    citizen_headers,
    screenshot,
    sign_in,
    staff_api_headers,
)
from persona_support import PERSONAS, submitted
from playwright.async_api import Page, expect

pytestmark = pytest.mark.browser
RENT = "gjj.withdraw.rent"
FIGURES = (
    ("applications.today", ("applications", "today")),
    ("applications.total", ("applications", "total")),
    ("applications_this_year", ("applications_this_year",)),
    ("online_share", ("online_share",)),
    ("automation.rate", ("automation", "rate")),
    ("median_time_to_decision.auto_seconds", ("median_time_to_decision", "auto_seconds")),
    ("median_time_to_decision.manual_seconds", ("median_time_to_decision", "manual_seconds")),
    ("licenses_issued.today", ("licenses_issued", "today")),
    ("licenses_issued.total", ("licenses_issued", "total")),
)


def _dig(data: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = data
    for key in path:
        value = value[key]
    return value


async def _shown(page: Page) -> dict[str, str]:
    return {
        name: await page.locator(f"[data-figure='{name}']").get_attribute("data-value") or ""
        for name, _ in FIGURES
    }


async def test_the_screen_shows_what_the_statistics_api_says(
    server: Server, api: httpx.AsyncClient, new_page: NewPage
) -> None:
    renter = await citizen_headers(api, "renter")
    approved = await submitted(api, renter, RENT, rent_withdrawal(PERSONAS["renter"]))
    assert approved["status"] == "approved"
    owner = await citizen_headers(api, "flat_owner")
    referred = await submitted(api, owner, RENT, rent_withdrawal(PERSONAS["flat_owner"]))
    assert referred["status"] == "pending_review"

    page = await new_page()
    await sign_in(page, "admin")
    await page.goto("/console/dashboard")
    overview = (
        await api.get("/api/v1/stats/overview", headers=await staff_api_headers(api, "admin"))
    ).json()
    shown = await _shown(page)
    expected = {
        name: "" if _dig(overview, path) is None else str(_dig(overview, path))
        for name, path in FIGURES
    }
    assert shown == expected
    assert shown["applications.today"] == shown["applications_this_year"] == "2"
    assert overview["automation"]["rate"] == 0.5
    backlog = {d["department_code"]: d["total"] for d in overview["pending_by_department"]}
    assert backlog == {"gjj": 1}
    await expect(page.locator("[data-figure='pending.gjj']")).to_have_text("1")
    # Charts drawn on the server: one bar per service and per department, with a title.
    await expect(page.locator("svg.chart").first).to_be_visible()
    await expect(page.locator("svg.chart rect.bar")).not_to_have_count(0)
    refreshing = page.locator("#figures")
    assert await refreshing.get_attribute("hx-trigger") == "every 30s"
    assert await accessibility_violations(page) == []
    await screenshot(page, "dashboard")

    # The fragment the screen polls for says the same.
    fragment = await page.request.get("/console/dashboard/figures", headers={"HX-Request": "true"})
    assert fragment.status == 200
    assert 'data-figure="applications.today" data-value="2"' in await fragment.text()


async def test_auditors_see_the_screen_clerks_do_not(
    server: Server, api: httpx.AsyncClient, new_page: NewPage
) -> None:
    auditor = await new_page()
    await sign_in(auditor, "audit.li")
    answer = await auditor.goto("/console/dashboard")
    assert (answer.status if answer else None) == 200
    clerk = await new_page()
    await sign_in(clerk, "gjj.clerk")
    refused = await clerk.goto("/console/dashboard")
    assert (refused.status if refused else None) == 403
