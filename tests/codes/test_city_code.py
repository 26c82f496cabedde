"""The city code (一码通城) through the public API: issued to a person, verified once by a
partner or a clerk for a purpose that decides what they see, refused when replayed, expired or
forged, and every verification in the person's data-access log."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from persona_support import PERSONAS, Headers, SignIn
from settings_support import make_settings

from app.cli import main
from app.codes import service as codes
from app.config import Settings, get_settings
from app.db import Database
from app.kit.clock import utcnow
from app.kit.encoding import b64url_encode

Travel = Callable[[str], None]
VERIFY = "/api/v1/codes/verify"
PERSONA = PERSONAS["renter"]


@pytest.fixture
def settings(database_url: str) -> Settings:
    """A tight issuing limit, so that the rate-limit test reaches it in a few requests."""
    return make_settings(database_url, city_codes_per_minute=4)


async def _code(client: httpx.AsyncClient, headers: Headers) -> dict[str, Any]:
    answer = await client.get("/api/v1/me/code", headers=headers)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    return dict(answer.json())


async def _verify(
    client: httpx.AsyncClient, headers: Headers, code: str, purpose: str = "hospital"
) -> httpx.Response:
    return await client.post(VERIFY, json={"code": code, "purpose": purpose}, headers=headers)


def _problem(answer: httpx.Response, status: int, code: str) -> None:
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert answer.json()["code"] == code


async def _log(client: httpx.AsyncClient, headers: Headers) -> list[dict[str, Any]]:
    answer = await client.get("/api/v1/me/data-access-log?limit=100", headers=headers)
    assert answer.status_code == 200, answer.text
    return list(answer.json()["items"])


async def test_a_partner_verifies_a_code_once_and_sees_only_what_its_purpose_allows(
    client: httpx.AsyncClient, sign_in: SignIn, hospital: Headers
) -> None:
    person = await sign_in(PERSONA.key)
    issued = await _code(client, person)
    assert issued["expires_in"] == 60
    assert issued["jwks_uri"].endswith("/api/v1/licenses/jwks")

    answer = await _verify(client, hospital, issued["code"])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["valid"] is True
    assert body["purpose"] == "hospital"
    assert body["on_behalf"] is None, "only a clerk at a counter opens forms"
    (insurance,) = body["attributes"]
    assert insurance["name"] == "medical_insurance"
    assert insurance["value"] in ("enrolled", "not_enrolled")
    assert insurance["source"].startswith("ybj/")
    # The hospital learns the entitlement, not who the person is.
    for secret in (PERSONA.name, PERSONA.id_number, PERSONA.id_number[-4:], PERSONA.login):
        assert secret not in answer.text

    _problem(await _verify(client, hospital, issued["code"]), 409, "codes.already_used")

    reads = [r for r in await _log(client, person) if r["purpose"] == "city-code:hospital"]
    assert {(r["department"], r["dataset"]) for r in reads} == {
        ("qingeban", "city-code"),
        ("ybj", "medical-enrolment"),
    }, "the verification and the department read it made, once each: the replay read nothing"
    assert {r["actor_type"] for r in reads} == {"client"}
    assert len({r["actor_id"] for r in reads}) == 1, "the hospital's client id names it"
    assert {r["case_id"] for r in reads} == {reads[0]["case_id"]}, "one code, one case"


async def test_racing_verifications_of_one_code_one_succeeds(
    client: httpx.AsyncClient, sign_in: SignIn, hospital: Headers, partner_system: Any
) -> None:
    other = await partner_system(["code.verify"], name="体育馆闸机")
    code = (await _code(client, await sign_in(PERSONA.key)))["code"]
    answers = await asyncio.gather(
        *(_verify(client, hospital, code) for _ in range(2)),
        *(_verify(client, other, code, purpose="venue") for _ in range(2)),
    )
    assert sorted(a.status_code for a in answers) == [200, 409, 409, 409], [a.text for a in answers]
    refused = [a.json()["code"] for a in answers if a.status_code == 409]
    assert refused == ["codes.already_used"] * 3


async def test_an_expired_code_is_refused(
    client: httpx.AsyncClient, sign_in: SignIn, hospital: Headers, travel: Travel
) -> None:
    issued = await _code(client, await sign_in(PERSONA.key))
    expires_at = datetime.fromisoformat(issued["expires_at"])
    travel((expires_at + timedelta(seconds=1)).isoformat())
    _problem(await _verify(client, hospital, issued["code"]), 422, "codes.expired")


async def test_only_clerks_and_code_verify_systems_verify(
    client: httpx.AsyncClient, sign_in: SignIn, partner_system: Any, counter_clerk: Any
) -> None:
    person = await sign_in(PERSONA.key)
    code = (await _code(client, person))["code"]
    # The person's own token, another person's, a partner without the scope, nobody.
    _problem(await _verify(client, person, code), 403, "auth.insufficient_scope")
    _problem(await _verify(client, await sign_in("talent"), code), 403, "auth.insufficient_scope")
    stats_only = await partner_system(["stats.read"], name="统计大屏")
    _problem(await _verify(client, stats_only, code), 403, "auth.insufficient_scope")
    assert (
        await client.post(VERIFY, json={"code": code, "purpose": "hospital"})
    ).status_code == 401
    # A partner is not a person: it has no code of its own, and cannot ask for the person's.
    hospital = await partner_system(["code.verify"])
    assert (await client.get("/api/v1/me/code", headers=hospital)).status_code == 403
    # A partner may not state a counter's purpose; an unknown purpose is refused.
    _problem(await _verify(client, hospital, code, "counter"), 403, "codes.purpose_not_allowed")
    _problem(await _verify(client, hospital, code, "casino"), 422, "codes.unknown_purpose")
    # None of these spent the code.
    assert (await _verify(client, hospital, code)).status_code == 200


def _forge(header: dict[str, Any], claims: dict[str, Any], signature: bytes = b"x" * 64) -> str:
    import json

    parts = [json.dumps(part).encode() for part in (header, claims)]
    return ".".join([*(b64url_encode(part) for part in parts), b64url_encode(signature)])


async def test_forged_and_garbled_codes_are_refused_without_a_server_error(
    client: httpx.AsyncClient, sign_in: SignIn, hospital: Headers
) -> None:
    from joserfc import jws
    from joserfc.jwk import ECKey

    genuine = (await _code(client, await sign_in(PERSONA.key)))["code"]
    header_b64, claims_b64, _ = genuine.split(".")
    import json

    from app.kit.encoding import b64url_decode

    header = json.loads(b64url_decode(header_b64))
    claims = json.loads(b64url_decode(claims_b64))
    own_key = ECKey.generate_key("P-256")
    stranger = jws.serialize_compact(
        {"alg": "ES256", "typ": "city-code+jwt", "kid": header["kid"]},
        json.dumps(claims).encode(),
        own_key,
    )
    longer = {**claims, "exp": claims["exp"] + 3600}
    forged = [
        "not-a-code",
        "a.b.c",
        genuine[:-4] + ("AAAA" if not genuine.endswith("AAAA") else "BBBB"),
        stranger,  # signed by someone else's key under the platform's kid
        _forge({**header, "alg": "none"}, claims, b""),
        _forge({**header, "alg": "HS256"}, claims),
        _forge({**header, "typ": "vc+jwt"}, claims),
        _forge(header, longer),
        f"{header_b64}.{b64url_encode(json.dumps(longer).encode())}.{genuine.split('.')[2]}",
    ]
    for code in forged:
        _problem(await _verify(client, hospital, code), 422, "codes.invalid")
    assert (await _verify(client, hospital, genuine)).status_code == 200, "still unspent"


async def test_issuing_codes_is_rate_limited_per_person(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    person = await sign_in(PERSONA.key)
    for _ in range(4):
        await _code(client, person)
    refused = await client.get("/api/v1/me/code", headers=person)
    _problem(refused, 429, "codes.rate_limited")
    assert int(refused.headers["retry-after"]) >= 1
    # Another person has a limit of their own.
    await _code(client, await sign_in("talent"))


async def test_a_code_is_shown_as_a_png_or_svg_qr_image(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    person = await sign_in(PERSONA.key)
    png = await client.get("/api/v1/me/code/qr", headers=person)
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert png.headers["cache-control"] == "no-store"
    expires = datetime.strptime(png.headers["expires"], "%a, %d %b %Y %H:%M:%S GMT")
    assert timedelta(0) < expires - utcnow().replace(tzinfo=None) <= timedelta(seconds=61)
    svg = await client.get("/api/v1/me/code/qr?format=svg", headers=person)
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


async def test_the_purposes_are_published(client: httpx.AsyncClient) -> None:
    answer = await client.get("/api/v1/codes/purposes")
    assert answer.status_code == 200, answer.text
    purposes = {item["code"]: item for item in answer.json()}
    assert purposes["counter"]["verifiers"] == ["staff"]
    assert purposes["counter"]["attributes"] == ["name", "id_number_masked"]
    assert purposes["hospital"]["attributes"] == ["medical_insurance"]


async def test_the_uses_of_expired_codes_are_purged_and_the_codes_stay_refused(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    hospital: Headers,
    travel: Travel,
    database: Database,
) -> None:
    issued = await _code(client, await sign_in(PERSONA.key))
    assert (await _verify(client, hospital, issued["code"])).status_code == 200
    async with database.session() as session:
        assert await codes.purge_expired(session) == 0, "still live"
    expires_at = datetime.fromisoformat(issued["expires_at"])
    travel((expires_at + timedelta(seconds=1)).isoformat())
    async with database.session() as session:
        assert await codes.purge_expired(session) == 1
    _problem(await _verify(client, hospital, issued["code"]), 422, "codes.expired")


def test_the_purge_command_reports_what_it_deleted(
    database_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("QE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    try:
        assert main(["codes", "purge"]) == 0
    finally:
        get_settings.cache_clear()
    assert json.loads(capsys.readouterr().out) == {"city_code_uses": 0}
