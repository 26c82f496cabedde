"""The admins' console in Chromium: gjj.admin publishes a ruleset version whose cases pass and
cannot publish one whose cases fail; admin retries a dead job, verifies the audit chain and
sees keys, staff and clients; a department admin has no platform console."""

from __future__ import annotations

import httpx
import pytest
import yaml
from console_support import (
    NewPage,
    Server,
    accessibility_violations,
    screenshot,
    sign_in,
)
from playwright.async_api import Page, expect
from sqlalchemy import update

from app.db import Database
from app.jobs import service as jobs
from app.jobs.models import Job
from app.kit.clock import utcnow

pytestmark = pytest.mark.browser
RENT = "gjj.withdraw.rent"


async def _save_draft(page: Page, text: str) -> None:
    await page.goto(f"/console/department/services/{RENT}")
    await page.get_by_role("textbox", name="新建草稿（YAML）").fill(text)
    await page.get_by_role("button", name="保存草稿").click()


async def test_a_department_admin_publishes_a_version_whose_cases_pass_only(
    server: Server, api: httpx.AsyncClient, new_page: NewPage
) -> None:
    page = await new_page()
    await sign_in(page, "gjj.admin")
    await page.goto("/console/department")
    rent = page.locator(f"tr[data-service='{RENT}']")
    await expect(rent.locator("[data-burden=from_government]")).to_have_text("5/8")
    await expect(rent.locator("[data-burden=to_type]")).to_have_text("3")
    await expect(rent.locator("[data-burden=uploads]")).to_have_text("0")
    assert await accessibility_violations(page) == []
    await screenshot(page, "department-services")

    await page.goto(f"/console/department/services/{RENT}")
    shipped = yaml.safe_load(
        await page.get_by_role("textbox", name="新建草稿（YAML）").input_value()
    )
    assert shipped["service"] == RENT
    assert await accessibility_violations(page) == []

    # A version whose cases fail: no home of one's own turned upside down.
    broken = {**shipped, "criteria": [
        {**c, "condition": {**c["condition"], "value": True}}
        if c["id"] == "no_property_in_qingdao" else c for c in shipped["criteria"]
    ]}  # fmt: skip
    await _save_draft(page, yaml.safe_dump(broken, allow_unicode=True, sort_keys=False))
    await expect(page.locator("h1")).to_contain_text("v3")
    assert int(await page.locator("[data-failed]").get_attribute("data-failed") or 0) >= 1
    async with page.expect_response(lambda r: r.url.endswith("/3/publish?lang=zh")) as refused:
        await page.get_by_role("button", name="发布 v3").click()
    assert (await refused.value).status == 409
    await expect(page.locator("main p").first).to_contain_text("未通过")
    await screenshot(page, "ruleset-publish-refused")

    # The same rules with a new title: every case passes, and it is published.
    revised = {**shipped, "title": "住房公积金提取（租赁住房）2026 修订"}
    await _save_draft(page, yaml.safe_dump(revised, allow_unicode=True, sort_keys=False))
    await expect(page.locator("h1")).to_contain_text("v4")
    assert await page.locator("[data-failed]").get_attribute("data-failed") == "0"
    await page.get_by_role("button", name="发布 v4").click()
    await expect(page.locator("h1")).to_contain_text("已发布")
    await screenshot(page, "ruleset-published")

    await page.goto(f"/console/department/services/{RENT}?left=2&right=4")
    await expect(page.locator("pre.diff")).to_contain_text("2026 修订")
    await screenshot(page, "ruleset-diff")

    platform = await page.goto("/console/platform")
    assert (platform.status if platform else None) == 403, "a department admin has no platform"


async def test_a_platform_admin_retries_a_dead_job(
    server: Server, api: httpx.AsyncClient, new_page: NewPage
) -> None:
    database = Database.from_url(server.settings.database_url)
    try:
        async with database.session() as session:
            job_id = (await jobs.enqueue(session, "notifications.deliver", {"probe": True})).id
            await session.execute(
                update(Job).where(Job.id == job_id).values(
                    state="dead", attempts=8, max_attempts=8, finished_at=utcnow(),
                    last_error="ConnectionError: partner endpoint unreachable",
                )
            )  # fmt: skip
    finally:
        await database.dispose()
    page = await new_page()
    await sign_in(page, "admin")
    await page.goto("/console/platform")
    row = page.locator(f"tr[data-job='{job_id}']")
    await expect(row).to_contain_text("partner endpoint unreachable")
    await expect(page.locator("section[aria-labelledby=webhooks-title]")).to_contain_text(
        "所有 Webhook 端点投递正常"
    )
    assert await accessibility_violations(page) == []
    await screenshot(page, "platform")
    await row.get_by_role("button").click()
    await expect(page.locator(f"tr[data-job='{job_id}']")).to_have_count(0)
    await expect(page.locator(".count[data-state=dead]")).to_have_text("0")

    database = Database.from_url(server.settings.database_url)
    try:
        async with database.session(write=False) as session:
            retried = await jobs.get(session, job_id)
            assert (retried.state, retried.attempts) == ("queued", 0)
    finally:
        await database.dispose()

    await page.get_by_role("button", name="校验").click()
    await expect(page.locator("#chain-result")).to_contain_text("审计链完整")
    await screenshot(page, "audit-verified")
    await page.goto("/console/platform")
    await expect(page.locator("section[aria-labelledby=clients-title]")).to_contain_text(
        "qingeban-console"
    )
