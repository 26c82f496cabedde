"""The first-party API of the app and mini-program, against the in-process simulated departments:
SMS codes, JSON login, real-name registration, face verification, acting for an enterprise,
`/api/v1/me` and the citizen's data-access log."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from oidc_support import PASSWORD, Provider
from redis.asyncio import Redis

from app.adapters.client import Subject, shared_client
from app.adapters.registry import SIMULATOR_BASE_URL
from app.adapters.service import reset_exchange
from app.adapters.simulator.personas import Persona, build_personas
from app.adapters.simulator.population import Population
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN
from app.auth import service
from app.config import Settings

SIM_ADMIN = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
NEW_PASSWORD = "Qingdao-2026"


@pytest.fixture
def settings(settings: Settings, request: pytest.FixtureRequest) -> Settings:
    """A one-second wait between two codes to one phone, so a test may ask for a second; the
    rate limits in Redis for a test that asks for `redis_url`."""
    update: dict[str, Any] = {"sms_resend_seconds": 1}
    if "redis_url" in request.fixturenames:
        update["redis_url"] = request.getfixturevalue("redis_url")
    return settings.model_copy(update=update)


@pytest.fixture(scope="module")
def personas() -> dict[str, Persona]:
    return {p.key: p for p in build_personas(Population())[0]}


@pytest.fixture(autouse=True)
def fresh_exchange() -> Iterator[None]:
    reset_exchange()  # fresh breakers: faults injected by one test must not open them for the next
    yield
    reset_exchange()


@pytest.fixture
async def departments(app: Any) -> AsyncIterator[httpx.AsyncClient]:
    """The in-process simulator's admin API (faults), cleared after the test."""
    http = shared_client().http
    yield http
    await http.delete(f"{SIMULATOR_BASE_URL}/_admin/faults", headers=SIM_ADMIN)


async def _code(api: httpx.AsyncClient, provider: Provider, phone: str) -> str:
    sent = await api.post("/api/v1/auth/otp", json={"phone": phone})
    assert sent.status_code == 202, sent.text
    return await provider.demo_sms_code(phone)


async def _register(
    api: httpx.AsyncClient, provider: Provider, person: Persona, **overrides: str
) -> httpx.Response:
    body = {
        "phone": person.login,
        "otp": await _code(api, provider, person.login),
        "password": NEW_PASSWORD,
        "name": person.name,
        "id_number": person.id_number,
        **overrides,
    }
    return await api.post("/api/v1/auth/register", json=body)


async def _login(
    api: httpx.AsyncClient, phone: str, password: str = NEW_PASSWORD
) -> dict[str, str]:
    response = await api.post(
        "/api/v1/auth/login", json={"method": "password", "login": phone, "password": password}
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def test_the_json_login_answers_what_the_token_endpoint_answers(
    api: httpx.AsyncClient, provider: Provider
) -> None:
    account_id = await provider.person("13700001111", name="王晓明")
    response = await api.post(
        "/api/v1/auth/login",
        json={"method": "password", "login": "13700001111", "password": PASSWORD},
    )
    assert response.status_code == 200
    tokens = response.json()
    assert {"access_token", "refresh_token", "id_token", "expires_in", "scope"} <= set(tokens)
    assert "admin" not in tokens["scope"].split()
    claims = provider.unverified_claims(tokens["id_token"])
    assert claims["aud"] == service.FIRST_PARTY_APP_ID
    assert claims["sub"] == account_id
    bearer = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert (await api.get("/oauth/userinfo", headers=bearer)).json()["sub"] == account_id
    refreshed = await api.post("/oauth/token", data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"],
        "client_id": service.FIRST_PARTY_APP_ID,
    })  # fmt: skip
    assert refreshed.status_code == 200


async def test_failed_logins_are_one_answer_and_lock_the_account(
    api: httpx.AsyncClient, provider: Provider, settings: Settings
) -> None:
    await provider.person("13700001111")
    unknown = await api.post(
        "/api/v1/auth/login",
        json={"method": "password", "login": "13700009999", "password": "Wrong-2026"},
    )
    wrong = {"method": "password", "login": "13700001111", "password": "Wrong-2026"}
    for _ in range(settings.lockout_failures):
        failed = await api.post("/api/v1/auth/login", json=wrong)
        assert failed.status_code == 400
        assert failed.json()["code"] == "auth.login_failed"
    assert unknown.json()["detail"] == failed.json()["detail"], "no account oracle"
    right = {"method": "password", "login": "13700001111", "password": PASSWORD}
    locked = await api.post("/api/v1/auth/login", json=right)
    assert locked.status_code == 400, "locked: even the right password fails for now"


async def test_real_name_registration_then_sms_login_and_me(
    api: httpx.AsyncClient, provider: Provider, personas: dict[str, Persona]
) -> None:
    renter = personas["renter"]
    registered = await _register(api, provider, renter)
    assert registered.status_code == 201, registered.text
    account = registered.json()
    assert account["realname_level"] == "L2"
    assert account["realname_source"] == "gaj/identity-verification"
    assert renter.id_number not in registered.text, "masked outside /me"

    await asyncio.sleep(1.05)  # the wait between two codes to one phone
    code = await _code(api, provider, renter.login)
    login = await api.post(
        "/api/v1/auth/login", json={"method": "sms_otp", "phone": renter.login, "otp": code}
    )
    assert login.status_code == 200
    bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
    me = (await api.get("/api/v1/me", headers=bearer)).json()
    assert me["account_id"] == account["id"]
    assert (me["name"], me["phone"], me["id_number"]) == (
        renter.name, renter.login, renter.id_number)  # fmt: skip
    attributes = {a["name"]: a for a in me["attributes"]}
    assert attributes["id_number"]["source"] == "gaj/identity-verification"
    assert attributes["name"]["as_of"] == me["realname_verified_at"]
    assert attributes["phone"]["source"] == "qingeban/sms-otp"


async def test_a_phone_registers_once(
    api: httpx.AsyncClient, provider: Provider, personas: dict[str, Persona]
) -> None:
    renter = personas["renter"]
    await provider.person(renter.login)
    again = await _register(api, provider, renter)
    assert again.status_code == 409
    assert again.json()["code"] == "auth.phone_taken"


async def test_a_name_that_does_not_match_creates_nothing_and_spends_the_code(
    api: httpx.AsyncClient, provider: Provider, personas: dict[str, Persona]
) -> None:
    renter = personas["renter"]
    code = await _code(api, provider, renter.login)
    body = {"phone": renter.login, "otp": code, "password": NEW_PASSWORD,
            "name": "冒名者", "id_number": renter.id_number}  # fmt: skip
    mismatch = await api.post("/api/v1/auth/register", json=body)
    assert mismatch.status_code == 422
    assert mismatch.json()["code"] == "auth.realname_mismatch"
    retried = await api.post("/api/v1/auth/register", json={**body, "name": renter.name})
    assert retried.status_code == 400
    assert retried.json()["code"] == "auth.otp_invalid", "one code, one identity check"
    login = await api.post("/api/v1/auth/login", json={
        "method": "password", "login": renter.login, "password": NEW_PASSWORD})  # fmt: skip
    assert login.status_code == 400, "no account was created"


async def test_registration_waits_when_public_security_is_down(
    api: httpx.AsyncClient,
    provider: Provider,
    personas: dict[str, Persona],
    departments: httpx.AsyncClient,
) -> None:
    renter = personas["renter"]
    fault = await departments.put(
        f"{SIMULATOR_BASE_URL}/_admin/faults/gaj", json={"error_rate": 1.0}, headers=SIM_ADMIN
    )
    assert fault.status_code == 200
    code = await _code(api, provider, renter.login)
    body = {"phone": renter.login, "otp": code, "password": NEW_PASSWORD,
            "name": renter.name, "id_number": renter.id_number}  # fmt: skip
    down = await api.post("/api/v1/auth/register", json=body)
    assert down.status_code == 503
    assert down.json()["code"] == "auth.realname_unavailable"
    assert down.headers["retry-after"] == "30"
    await departments.delete(f"{SIMULATOR_BASE_URL}/_admin/faults", headers=SIM_ADMIN)
    reset_exchange()
    spent = await api.post("/api/v1/auth/register", json=body)
    assert spent.json()["code"] == "auth.otp_invalid", "the attempt read gaj: its code is spent"
    await asyncio.sleep(1.05)  # the wait between two codes to one phone
    recovered = await api.post(
        "/api/v1/auth/register", json={**body, "otp": await _code(api, provider, renter.login)}
    )
    assert recovered.status_code == 201
    # The outage was a read attempt of the person's data, and the log keeps it.
    bearer = await _login(api, renter.login)
    reads = (await api.get("/api/v1/me/data-access-log", headers=bearer)).json()["items"]
    assert [r["outcome"] for r in reads] == ["found", "unavailable"]


async def test_a_taken_phone_or_id_number_spends_nothing(
    api: httpx.AsyncClient, provider: Provider, personas: dict[str, Persona]
) -> None:
    renter = personas["renter"]
    await provider.person("13700001111", name=renter.name, id_number=renter.id_number)
    code = await _code(api, provider, renter.login)
    body = {"phone": renter.login, "otp": code, "password": NEW_PASSWORD,
            "name": renter.name, "id_number": renter.id_number}  # fmt: skip
    taken = await api.post("/api/v1/auth/register", json=body)
    assert taken.status_code == 409
    assert taken.json()["code"] == "auth.id_number_taken"
    other = personas["buyer"]
    fresh = {**body, "name": other.name, "id_number": other.id_number}
    assert (await api.post("/api/v1/auth/register", json=fresh)).status_code == 201


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"phone": "12345"}, "auth.invalid_phone"),
        ({"id_number": "370212198904124493"}, "auth.invalid_id_number"),
        ({"password": "short"}, "auth.weak_password"),
    ],
)
async def test_registration_input_is_checked(
    api: httpx.AsyncClient,
    provider: Provider,
    personas: dict[str, Persona],
    overrides: dict[str, str],
    code: str,
) -> None:
    response = await _register(api, provider, personas["buyer"], **overrides)
    assert response.status_code == 422
    assert response.json()["code"] == code


async def test_face_verification_raises_to_l3(
    api: httpx.AsyncClient, provider: Provider, personas: dict[str, Persona]
) -> None:
    buyer = personas["buyer"]
    assert (await _register(api, provider, buyer)).status_code == 201
    bearer = await _login(api, buyer.login)
    refused = await api.post("/api/v1/auth/face-verification", headers=bearer,
                             json={"selfie_token": "mismatch-another-face"})  # fmt: skip
    assert refused.status_code == 422
    assert refused.json()["code"] == "auth.face_not_verified"
    verified = await api.post("/api/v1/auth/face-verification", headers=bearer,
                              json={"selfie_token": "selfie-2026-11-23"})  # fmt: skip
    assert verified.status_code == 200
    assert verified.json()["realname_level"] == "L3"
    assert verified.json()["realname_source"] == "gaj/face-verification"


async def test_face_verification_needs_a_verified_real_name_first(
    api: httpx.AsyncClient, provider: Provider
) -> None:
    await provider.person("13700001111")
    bearer = await _login(api, "13700001111", PASSWORD)
    response = await api.post(
        "/api/v1/auth/face-verification", headers=bearer, json={"selfie_token": "selfie"}
    )
    assert response.status_code == 403
    assert response.json()["code"] == "auth.realname_level_required"


async def test_acting_for_an_enterprise(
    api: httpx.AsyncClient, provider: Provider, personas: dict[str, Persona]
) -> None:
    printer, renter = personas["printer"], personas["renter"]
    assert printer.enterprise_uscc is not None
    for person in (printer, renter):
        assert (await _register(api, provider, person)).status_code == 201
    bearer = await _login(api, printer.login)
    acting = await api.post(
        "/api/v1/auth/act-as", headers=bearer, json={"uscc": printer.enterprise_uscc}
    )
    assert acting.status_code == 200, acting.text
    body = acting.json()
    assert (body["role"], body["source"]) == (
        "legal_representative",
        "scjg/enterprise-registration",
    )
    assert "refresh_token" not in body
    claims = provider.unverified_claims(body["access_token"])
    me = (await api.get("/api/v1/me", headers=bearer)).json()
    assert claims["sub"] == printer.enterprise_uscc
    assert claims["act"] == {"sub": me["sub"]}
    assert "openid" not in claims["scope"].split()
    enterprise = {"Authorization": f"Bearer {body['access_token']}"}
    assert (await api.get("/api/v1/me", headers=enterprise)).status_code == 403
    assert (await api.get("/oauth/userinfo", headers=enterprise)).status_code in {401, 403}

    other = await _login(api, renter.login)
    refused = await api.post(
        "/api/v1/auth/act-as", headers=other, json={"uscc": printer.enterprise_uscc}
    )
    assert refused.status_code == 403
    assert refused.json()["code"] == "auth.acting_not_allowed"


async def test_an_authorised_agent_may_act_too(
    api: httpx.AsyncClient, provider: Provider, personas: dict[str, Persona]
) -> None:
    printer = personas["printer"]
    assert printer.enterprise_uscc is not None
    fact = await shared_client().lookup(
        "scjg", "enterprise-registration", Subject.enterprise(printer.enterprise_uscc),
        purpose="review", end_user="system:tests",
    )  # fmt: skip
    agent = fact.record.authorised_agents[0]  # type: ignore[union-attr]
    person = Population().find_person(agent.id_number)
    assert person is not None
    phone = person.phone
    code = await _code(api, provider, phone)
    registered = await api.post("/api/v1/auth/register", json={
        "phone": phone, "otp": code, "password": NEW_PASSWORD, "name": agent.name,
        "id_number": agent.id_number})  # fmt: skip
    assert registered.status_code == 201, registered.text
    acting = await api.post("/api/v1/auth/act-as", headers=await _login(api, phone),
                            json={"uscc": printer.enterprise_uscc})  # fmt: skip
    assert acting.status_code == 200
    assert acting.json()["role"] == "authorised_agent"


async def test_the_data_access_log_shows_my_reads_and_only_mine(
    api: httpx.AsyncClient, provider: Provider, personas: dict[str, Persona]
) -> None:
    renter, buyer = personas["renter"], personas["buyer"]
    for person in (renter, buyer):
        assert (await _register(api, provider, person)).status_code == 201
    bearer = await _login(api, renter.login)
    face = await api.post(
        "/api/v1/auth/face-verification", headers=bearer, json={"selfie_token": "selfie-1"}
    )
    assert face.status_code == 200
    first = await api.get("/api/v1/me/data-access-log", params={"limit": 1}, headers=bearer)
    assert first.status_code == 200
    page = first.json()
    assert page["next_cursor"] is not None
    second = await api.get("/api/v1/me/data-access-log", headers=bearer,
                           params={"limit": 1, "cursor": page["next_cursor"]})  # fmt: skip
    reads = [*page["items"], *second.json()["items"]]
    assert [(r["department"], r["dataset"]) for r in reads] == [
        ("gaj", "face-verification"), ("gaj", "identity-verification")]  # fmt: skip
    assert {r["purpose"] for r in reads} == {"identity-verification"}
    assert all(r["outcome"] == "found" for r in reads)
    assert renter.id_number not in first.text + second.text

    theirs = await api.get("/api/v1/me/data-access-log", headers=await _login(api, buyer.login))
    assert [r["dataset"] for r in theirs.json()["items"]] == ["identity-verification"]
    assert (await api.get("/api/v1/me/data-access-log")).status_code == 401


async def test_a_registration_retried_after_a_503_runs_again_and_after_success_is_409(
    api: httpx.AsyncClient,
    provider: Provider,
    personas: dict[str, Persona],
    departments: httpx.AsyncClient,
) -> None:
    renter = personas["renter"]
    await departments.put(
        f"{SIMULATOR_BASE_URL}/_admin/faults/gaj", json={"error_rate": 1.0}, headers=SIM_ADMIN
    )
    otp = await _code(api, provider, renter.login)
    body = {"phone": renter.login, "otp": otp, "password": NEW_PASSWORD,
            "name": renter.name, "id_number": renter.id_number}  # fmt: skip
    # An anonymous caller's key is not used (nothing is kept for callers without a token).
    key = {"Idempotency-Key": "register-19965111634-1"}
    down = await api.post("/api/v1/auth/register", json=body, headers=key)
    assert down.status_code == 503
    await departments.delete(f"{SIMULATOR_BASE_URL}/_admin/faults", headers=SIM_ADMIN)
    reset_exchange()
    rerun = await api.post("/api/v1/auth/register", json=body, headers=key)
    assert rerun.json()["code"] == "auth.otp_invalid", "the code bought one identity check"
    await asyncio.sleep(1.05)
    body["otp"] = await _code(api, provider, renter.login)
    created = await api.post("/api/v1/auth/register", json=body, headers=key)
    assert created.status_code == 201
    again = await api.post("/api/v1/auth/register", json=body, headers=key)
    assert again.status_code == 409, "registration cannot create twice: the retry signs in"
    assert again.json()["code"] == "auth.phone_taken"
    assert "idempotent-replayed" not in again.headers


async def _twin_registrations(
    api: httpx.AsyncClient, provider: Provider, person: Persona, departments: httpx.AsyncClient
) -> None:
    """A double tap on "register": one account, and the twin told why not (never a 5xx)."""
    await departments.put(
        f"{SIMULATOR_BASE_URL}/_admin/faults/gaj", json={"latency_ms": 300}, headers=SIM_ADMIN
    )
    otp = await _code(api, provider, person.login)
    body = {"phone": person.login, "otp": otp, "password": NEW_PASSWORD,
            "name": person.name, "id_number": person.id_number}  # fmt: skip

    async def late_twin() -> httpx.Response:
        await asyncio.sleep(0.1)  # the first is waiting for public security by now
        return await api.post("/api/v1/auth/register", json=body)

    first, twin = await asyncio.gather(api.post("/api/v1/auth/register", json=body), late_twin())
    assert first.status_code == 201
    # The code works once: the twin finds it spent, or the phone registered (SQLite, where the
    # twin's whole transaction queues behind the first's).
    assert twin.json()["code"] in {"auth.otp_invalid", "auth.phone_taken"}, twin.text
    login = await api.post("/api/v1/auth/login", json={
        "method": "password", "login": person.login, "password": NEW_PASSWORD})  # fmt: skip
    assert login.status_code == 200


async def test_a_twin_registration_never_creates_twice(
    api: httpx.AsyncClient,
    provider: Provider,
    personas: dict[str, Persona],
    departments: httpx.AsyncClient,
) -> None:
    await _twin_registrations(api, provider, personas["buyer"], departments)


async def test_a_twin_registration_never_creates_twice_with_the_limits_in_redis(
    api: httpx.AsyncClient,
    provider: Provider,
    personas: dict[str, Persona],
    departments: httpx.AsyncClient,
    redis_url: str,
) -> None:
    # The database's rate-limit rows happen to queue a twin behind the first registration's
    # transaction; counted in Redis nothing does, and only the code itself can be spent once.
    await Redis.from_url(redis_url).flushdb()
    await _twin_registrations(api, provider, personas["buyer"], departments)
