"""The login page: password and SMS sign-in, lockout, rate limits, CSRF, language, cookies."""

from __future__ import annotations

import re

import httpx
import pytest
from fastapi import FastAPI
from oidc_support import ISSUER, PASSWORD, Pkce, Provider, RegisteredClient, transport

from app.config import Settings
from app.db import Database
from app.main import create_app

PHONE = "13833334444"
STRANGER = "13899990000"


@pytest.fixture
async def rp(provider: Provider) -> RegisteredClient:
    await provider.person(PHONE)
    return await provider.register()


async def attempt(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient, **fields: str
) -> httpx.Response:
    # prompt=login: the form is shown even when an earlier attempt in the test signed in.
    _, form = await provider.login_page(browser, rp, Pkce(), prompt="login")
    return await browser.post("/oauth/login", data={**form, **fields})


def without_tokens(page: str) -> str:
    """A page with its per-request values blanked, to compare two answers."""
    page = re.sub(r'(name="(?:request_id|csrf_token)" value=")[^"]*', r"\1", page)
    return re.sub(r"request_id=[^&\"]*", "request_id=", page)


async def test_a_wrong_password_and_an_unknown_account_look_the_same(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    known = await attempt(browser, provider, rp, login=PHONE, password="Wrong-2026")
    unknown = await attempt(browser, provider, rp, login=STRANGER, password="Wrong-2026")
    staff = await attempt(browser, provider, rp, login="no.such.staff", password="Wrong-2026")
    assert known.status_code == unknown.status_code == staff.status_code == 400
    assert without_tokens(known.text) == without_tokens(unknown.text) == without_tokens(staff.text)
    assert "账号、密码或验证码不正确" in known.text
    assert 'role="alert"' in known.text
    assert "location" not in known.headers


async def test_repeated_failures_lock_the_account_but_say_nothing_new(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient, settings: Settings
) -> None:
    for _ in range(settings.lockout_failures):
        failed = await attempt(browser, provider, rp, login=PHONE, password="Wrong-2026")
        assert failed.status_code == 400
    locked = await attempt(browser, provider, rp, login=PHONE, password=PASSWORD)
    unknown = await attempt(browser, provider, rp, login=STRANGER, password=PASSWORD)
    assert locked.status_code == 400
    assert without_tokens(locked.text) == without_tokens(unknown.text)
    # Another account is not affected.
    await provider.person("13833335555")
    fine = await attempt(browser, provider, rp, login="13833335555", password=PASSWORD)
    assert fine.status_code == 303


async def test_a_correct_password_resets_the_failure_count(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient, settings: Settings
) -> None:
    for _ in range(settings.lockout_failures - 1):
        await attempt(browser, provider, rp, login=PHONE, password="Wrong-2026")
    assert (await attempt(browser, provider, rp, login=PHONE, password=PASSWORD)).status_code == 303
    for _ in range(settings.lockout_failures - 1):
        await attempt(browser, provider, rp, login=PHONE, password="Wrong-2026")
    assert (await attempt(browser, provider, rp, login=PHONE, password=PASSWORD)).status_code == 303


async def test_many_attempts_from_one_address_are_limited(
    settings: Settings, database: Database, provider: Provider, rp: RegisteredClient
) -> None:
    tight = settings.model_copy(update={"login_attempts_per_address": 3})
    app = create_app(tight, database=database)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport(app), base_url=ISSUER) as browser,
    ):
        answers = [
            (await attempt(browser, provider, rp, login=PHONE, password="Wrong-2026")).status_code
            for _ in range(4)
        ]
        assert answers == [400, 400, 400, 429]
        limited = await attempt(browser, provider, rp, login=PHONE, password=PASSWORD)
        assert limited.status_code == 429
        assert int(limited.headers["retry-after"]) > 0


async def test_sms_code_sign_in(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    _, form = await provider.login_page(browser, rp, Pkce())
    sent = await browser.post("/oauth/login/otp", data={**form, "phone": PHONE})
    assert sent.status_code == 200
    assert 'role="status"' in sent.text
    assert f'value="{PHONE}"' in sent.text
    code = await provider.demo_sms_code(PHONE)
    signed_in = await browser.post("/oauth/login", data={**form, "phone": PHONE, "otp": code})
    assert signed_in.status_code == 303
    # A code works once.
    _, form = await provider.login_page(browser, rp, Pkce(), prompt="login")
    replay = await browser.post("/oauth/login", data={**form, "phone": PHONE, "otp": code})
    assert replay.status_code == 400


async def test_sms_codes_cannot_be_brute_forced(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    _, form = await provider.login_page(browser, rp, Pkce())
    await browser.post("/oauth/login/otp", data={**form, "phone": PHONE})
    code = await provider.demo_sms_code(PHONE)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        failed = await browser.post("/oauth/login", data={**form, "phone": PHONE, "otp": wrong})
        assert failed.status_code == 400
    # Five attempts used up the code: even the right one fails now.
    exhausted = await browser.post("/oauth/login", data={**form, "phone": PHONE, "otp": code})
    assert exhausted.status_code == 400
    # And a new code cannot be asked for at once.
    again = await browser.post("/oauth/login/otp", data={**form, "phone": PHONE})
    assert again.status_code == 429


async def test_sms_codes_to_unknown_phones_look_the_same(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    _, form = await provider.login_page(browser, rp, Pkce())
    known = await browser.post("/oauth/login/otp", data={**form, "phone": PHONE})
    unknown = await browser.post("/oauth/login/otp", data={**form, "phone": STRANGER})
    assert known.status_code == unknown.status_code == 200
    assert without_tokens(known.text).replace(PHONE, "") == without_tokens(unknown.text).replace(
        STRANGER, ""
    )
    code = await provider.demo_sms_code(STRANGER)
    no_account = await browser.post("/oauth/login", data={**form, "phone": STRANGER, "otp": code})
    assert no_account.status_code == 400


async def test_staff_sign_in_with_their_login(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    created = await provider.api.post(
        "/api/v1/admin/staff",
        json={"login": "gjj.zhang", "name": "张伟", "role": "clerk", "department_code": "gjj"},
        headers=provider.admin,
    )
    password = created.json()["initial_password"]
    tokens = await provider.tokens_for(
        browser, rp, login="gjj.zhang", password=password, scope="openid profile staff"
    )
    info = await provider.api.get(
        "/oauth/userinfo", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert info.json() == {
        "sub": created.json()["id"],
        "name": "张伟",
        "staff_role": "clerk",
        "department": "gjj",
    }


async def test_the_form_is_csrf_protected(
    browser: httpx.AsyncClient, api: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    _, form = await provider.login_page(browser, rp, Pkce())
    credentials = {"login": PHONE, "password": PASSWORD}
    # Another site makes the user's browser post the form: no CSRF cookie comes with it.
    cross_site = await api.post("/oauth/login", data={**form, **credentials})
    assert cross_site.status_code == 400
    assert "location" not in cross_site.headers
    forged = await browser.post(
        "/oauth/login", data={**form, "csrf_token": "x" * 43, **credentials}
    )
    assert forged.status_code == 400
    missing = await browser.post(
        "/oauth/login", data={"request_id": form["request_id"], **credentials}
    )
    assert missing.status_code == 400
    # The genuine form still works, once.
    assert (await browser.post("/oauth/login", data={**form, **credentials})).status_code == 303
    assert (await browser.post("/oauth/login", data={**form, **credentials})).status_code == 400


async def test_the_page_is_plain_accessible_html_in_chinese_or_english(
    browser: httpx.AsyncClient, provider: Provider, rp: RegisteredClient
) -> None:
    page = await browser.get("/oauth/authorize", params=provider.authorize_params(rp, Pkce()))
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text
    for field in ("login", "password", "phone", "otp"):
        assert f'<label for="{field}">' in page.text
        assert f'id="{field}" name="{field}"' in page.text
    assert "<script" not in page.text
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy
    assert "default-src 'none'" in policy
    assert page.headers["cache-control"] == "no-store"
    assert rp.body["name"] in page.text

    english = await browser.get(
        "/oauth/authorize",
        params=provider.authorize_params(rp, Pkce()),
        headers={"Accept-Language": "en-US,en;q=0.9"},
    )
    assert '<html lang="en">' in english.text
    assert "Sign in" in english.text
    by_parameter = await browser.get(
        "/oauth/authorize", params=provider.authorize_params(rp, Pkce(), ui_locales="en")
    )
    assert '<html lang="en">' in by_parameter.text
    switch = re.search(r'href="(/oauth/login\?[^"]+)"', page.text)
    assert switch is not None
    switched = await browser.get(switch.group(1).replace("&amp;", "&"))
    assert switched.status_code == 200
    assert '<html lang="en">' in switched.text


@pytest.mark.parametrize(
    ("issuer", "name", "secure"),
    [
        ("http://127.0.0.1:8000", "qe_sso", False),
        ("https://id.qingdao.gov.cn", "__Host-qe_sso", True),
    ],
)
async def test_the_sso_cookie(
    settings: Settings,
    database: Database,
    provider: Provider,
    rp: RegisteredClient,
    issuer: str,
    name: str,
    secure: bool,
) -> None:
    app: FastAPI = create_app(settings.model_copy(update={"issuer": issuer}), database=database)
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport(app), base_url=issuer) as browser,
    ):
        response = await attempt(browser, provider, rp, login=PHONE, password=PASSWORD)
    assert response.status_code == 303
    (cookie,) = [
        value
        for key, value in response.headers.multi_items()
        if key == "set-cookie" and value.startswith(name + "=")
    ]
    attributes = {part.strip().split("=")[0].lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "path"} <= attributes
    assert "samesite=lax" in cookie.lower()
    assert ("secure" in attributes) is secure
    assert "domain" not in attributes
