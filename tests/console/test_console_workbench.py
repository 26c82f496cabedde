"""The clerks' workbench in Chromium: gjj.clerk signs in through the platform's login page,
finds the flat owner's referred case, reads its explanation, rejects it with a reason, and the
citizen's case changes; another department's clerk gets 404; a citizen gets no console."""

from __future__ import annotations

import re

import httpx
import pytest
from application_forms import rent_withdrawal
from console_support import (
    NewPage,
    Server,
    accessibility_violations,
    add_staff,
    citizen_headers,
    screenshot,
    sign_in,
)
from persona_support import PERSONAS, submitted
from playwright.async_api import expect

pytestmark = pytest.mark.browser
RENT = "gjj.withdraw.rent"


async def _referred_case(api: httpx.AsyncClient) -> tuple[dict[str, str], dict[str, object]]:
    owner = await citizen_headers(api, "flat_owner")
    case = await submitted(api, owner, RENT, rent_withdrawal(PERSONAS["flat_owner"]))
    assert case["status"] == "pending_review"
    return owner, case


async def test_a_clerk_reads_the_explanation_and_rejects_the_referred_case(
    server: Server, api: httpx.AsyncClient, new_page: NewPage
) -> None:
    owner, case = await _referred_case(api)
    page = await new_page()
    await sign_in(page, "gjj.clerk")
    await expect(page.locator("header .who")).to_contain_text("公积金窗口张伟")
    await page.goto("/console/cases")
    row = page.locator(f"tr[data-number='{case['number']}']")
    await expect(row).to_contain_text("no_property_in_qingdao")
    await expect(page.locator(".count[data-status=pending_review]")).to_have_text("1")
    assert await accessibility_violations(page) == []
    await screenshot(page, "workbench-queue")

    await row.get_by_role("link").click()
    explanation = page.locator("table.explanation")
    failing = explanation.locator("tr[data-criterion=no_property_in_qingdao]")
    await expect(failing).to_contain_text("本人在本市无自有住房")
    await expect(failing).to_contain_text("不符合")
    await expect(failing).to_contain_text("bdc/property-ownership")
    headers = [await th.inner_text() for th in await explanation.locator("thead th").all()]
    assert headers == ["条件", "结果", "查得", "要求", "数据来源", "数据时点"]
    await expect(page.locator("#holder")).to_have_text("未认领")
    assert await accessibility_violations(page) == []
    await screenshot(page, "workbench-case")

    await page.get_by_role("button", name="认领").click()
    await expect(page.locator("#case-status")).to_have_text("in_review")
    await expect(page.locator("#holder")).to_contain_text("公积金窗口张伟")
    await add_staff(server, "gjj.li", "公积金窗口李娜", "gjj")
    colleague = await new_page()
    await sign_in(colleague, "gjj.li")
    await colleague.goto(f"/console/cases/{case['id']}")
    await expect(colleague.locator("#holder")).to_have_text("公积金窗口张伟")
    await expect(colleague.get_by_text("该办件正由其他工作人员办理。")).to_be_visible()
    await expect(colleague.get_by_role("button", name="认领")).to_have_count(0)
    await expect(colleague.get_by_role("button", name="不予通过")).to_have_count(0)
    reason = "名下在青岛有自有住房，不符合租房提取条件"
    await page.get_by_label("不通过理由（将告知申请人）").fill(reason)
    await page.get_by_role("button", name="不予通过").click()
    await expect(page.locator("#case-status")).to_have_text("rejected")
    await screenshot(page, "workbench-case-rejected")

    seen = (await api.get(f"/api/v1/applications/{case['id']}", headers=owner)).json()
    assert (seen["status"], seen["decision"]["reason"]) == ("rejected", reason)
    assert seen["timeline"][-1]["note"] == reason


async def test_the_queue_in_english_and_filtered(
    server: Server, api: httpx.AsyncClient, new_page: NewPage
) -> None:
    _, case = await _referred_case(api)
    page = await new_page(locale="en-US")
    await sign_in(page, "gjj.clerk")
    await page.goto("/console/cases")
    await expect(page.locator("h1")).to_have_text("The department's queue")
    await page.get_by_label("Status", exact=True).select_option("in_review")
    await expect(page.locator("#queue")).to_contain_text("Nothing waiting.")
    await page.get_by_label("Status", exact=True).select_option("pending_review")
    await expect(page.locator(f"tr[data-number='{case['number']}']")).to_be_visible()
    await page.goto("/console/cases?lang=zh-CN")
    await expect(page.locator("h1")).to_have_text("本部门待办件")


async def test_another_departments_clerk_gets_404_and_a_citizen_gets_no_console(
    server: Server, api: httpx.AsyncClient, new_page: NewPage
) -> None:
    _, case = await _referred_case(api)
    await add_staff(server, "jyj.clerk", "教育局窗口", "jyj")
    page = await new_page()
    await sign_in(page, "jyj.clerk")
    answer = await page.goto(f"/console/cases/{case['id']}")
    assert (answer.status if answer else None) == 404
    await expect(page.locator("h1")).to_have_text(re.compile("不存在"))
    queue = await page.goto("/console/cases")
    assert (queue.status if queue else None) == 200
    await expect(page.locator(f"tr[data-number='{case['number']}']")).to_have_count(0)

    citizen = await new_page()
    persona = PERSONAS["flat_owner"]
    await citizen.goto("/console/cases")
    await citizen.fill("#login", persona.login)
    from app.adapters.simulator.personas import DEMO_PASSWORD

    await citizen.fill("#password", DEMO_PASSWORD)
    async with citizen.expect_response(re.compile("/console/callback")) as answered:
        await citizen.click("form[aria-labelledby=password-title] button[type=submit]")
    assert (await answered.value).status == 403
    await expect(citizen.locator("h1")).to_have_text("无权使用工作台")
    again = await citizen.goto("/console/cases")
    assert (again.status if again else None) == 403, "no console session was opened"
