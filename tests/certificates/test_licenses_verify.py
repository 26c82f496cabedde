"""Public verification: by number and holder's name, and by a presented credential; every
failure to name a license is the same `unknown`, and the endpoint is rate-limited."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from license_support import Headers, MakeHeaders, id_number

from app.certificates import jws as app_jws
from app.config import Settings
from app.db import Database
from app.kit.encoding import b64url_decode, b64url_encode
from app.main import create_app

Issue = Callable[..., Awaitable[dict[str, Any]]]
REASON = {"reason": "经营场所与登记不符，依法处理"}
VERIFY = "/api/v1/licenses/verify"


async def _verify(client: httpx.AsyncClient, **body: Any) -> dict[str, Any]:
    response = await client.post(VERIFY, json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _codes(answer: dict[str, Any]) -> list[str]:
    return [reason["code"] for reason in answer["reasons"]]


async def _act(client: httpx.AsyncClient, number: str, action: str, headers: Headers) -> None:
    response = await client.post(
        f"/api/v1/licenses/{number}/{action}", json=REASON, headers=headers
    )
    assert response.status_code in (200, 201), response.text


async def test_a_number_with_its_holders_name_verifies_without_fields(
    client: httpx.AsyncClient, issued: Issue
) -> None:
    license_ = await issued()
    answer = await _verify(client, license_no=license_["license_no"], holder_name="李娜")
    assert (answer["result"], answer["reasons"], answer["method"]) == ("valid", [], "number")
    shown = answer["license"]
    assert shown["license_no"] == license_["license_no"]
    assert shown["type"]["code"] == "special-equipment-operator"
    assert shown["issuer"]["code"] == "scjg"
    assert shown["issuer"]["name"] != "scjg", "named from the catalog"
    assert shown["holder"] == {
        "kind": "person",
        "name": "李娜",
        "id_number_masked": None,
        "uscc": None,
    }
    assert shown["fields"] == {}, "no consent to show any field"
    assert (shown["valid_from"], shown["valid_until"]) == (
        license_["valid_from"],
        license_["valid_until"],
    )
    # Full-width spaces and letters are how names are mistyped, not who they name.
    spaced = await _verify(client, license_no=license_["license_no"], holder_name=" 李　娜 ")
    assert spaced["result"] == "valid"


async def test_anything_that_names_no_license_is_the_same_unknown(
    client: httpx.AsyncClient, issued: Issue
) -> None:
    number = (await issued())["license_no"]
    serial = number.split(".")[7]
    other_serial = number.replace(serial, f"{int(serial) + 40:010d}")  # check char now wrong
    answers = [
        await _verify(client, license_no=number, holder_name="王强"),
        await _verify(client, license_no="1.2.156.3005.2.nope", holder_name="李娜"),
        await _verify(client, license_no=other_serial, holder_name="李娜"),
        await _verify(client, license_no="", holder_name="李娜"),
    ]
    for answer in answers:
        assert (answer["result"], _codes(answer), answer["license"]) == (
            "invalid",
            ["unknown"],
            None,
        )
    assert len({json.dumps(a["reasons"]) for a in answers}) == 1, "word for word the same"


async def test_every_status_is_a_reason(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    async def reasons_after(*actions: str, **license_: Any) -> tuple[list[str], str]:
        number = (await issued(**license_))["license_no"]
        for action in actions:
            await _act(client, number, action, scjg_clerk)
        answer = await _verify(client, license_no=number, holder_name="李娜")
        assert answer["result"] == ("valid" if not answer["reasons"] else "invalid")
        return _codes(answer), answer["license"]["status"]

    assert await reasons_after("suspend") == (["suspended"], "suspended")
    assert await reasons_after("suspend", "reinstate") == ([], "valid")
    assert await reasons_after("revoke") == (["revoked"], "revoked")
    assert await reasons_after("cancel") == (["cancelled"], "cancelled")
    assert await reasons_after("renew", valid_from="2022-06-01") == (["superseded"], "superseded")
    expired = {"valid_from": "2020-01-01", "valid_until": "2021-01-01"}
    assert await reasons_after(**expired) == (["expired"], "expired")
    assert await reasons_after(valid_from="2199-01-01", valid_until=None) == (
        ["not_yet_valid"],
        "valid",
    )


async def test_a_presented_credential_verifies_online_and_shows_what_it_carries(
    client: httpx.AsyncClient, issued: Issue, citizen: MakeHeaders, scjg_clerk: Headers
) -> None:
    holder_id = id_number()
    holder = await citizen("13700003001", holder_id)
    license_ = await issued(holder_id)
    number = license_["license_no"]
    got = await client.get(f"/api/v1/licenses/{number}/credential", headers=holder)
    credential = got.json()["credential"]

    answer = await _verify(client, credential=credential)
    assert (answer["result"], answer["method"]) == ("valid", "credential")
    assert answer["license"]["fields"] == license_["fields"]
    assert answer["license"]["holder"]["id_number_masked"] == license_["holder"]["id_number_masked"]

    await _act(client, number, "revoke", scjg_clerk)
    revoked = await _verify(client, credential=credential)
    assert (revoked["result"], _codes(revoked)) == ("invalid", ["revoked"])


def _forged(credential: str) -> list[str]:
    """Credentials a forger could present: tampered payload, alg none, HS256, a stranger's
    key under the real kid."""
    header_b64, payload_b64, signature = credential.split(".")
    header = json.loads(b64url_decode(header_b64))
    payload = json.loads(b64url_decode(payload_b64))
    payload["credentialSubject"]["license"]["fields"]["operation_item"] = "起重机司机"
    tampered = b64url_encode(json.dumps(payload).encode())
    none_header = b64url_encode(json.dumps({**header, "alg": "none"}).encode())
    hs_header = b64url_encode(json.dumps({**header, "alg": "HS256"}).encode())
    stranger = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    resigned = app_jws.sign(payload, app_jws.private_key(stranger.decode()), kid=header["kid"])
    return [
        f"{header_b64}.{tampered}.{signature}",
        f"{none_header}.{payload_b64}.",
        f"{hs_header}.{payload_b64}.{signature}",
        resigned,
        "not.a.credential",
        "garbage",
    ]


async def test_a_forged_credential_is_unknown(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    number = (await issued())["license_no"]
    credential = (
        await client.get(f"/api/v1/licenses/{number}/credential", headers=scjg_clerk)
    ).json()["credential"]
    for forged in _forged(credential):
        answer = await _verify(client, credential=forged)
        assert (answer["result"], _codes(answer), answer["license"]) == (
            "invalid",
            ["unknown"],
            None,
        ), forged


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"license_no": "1.2.156.3005.2.x"},
        {"holder_name": "李娜"},
        {"credential": "a.b.c", "share_token": "x"},
        {"share_token": "x", "license_no": "y", "holder_name": "z"},
        {"share_token": "x", "extra": 1},
    ],
)
async def test_a_request_that_is_not_one_way_is_refused(
    client: httpx.AsyncClient, body: dict[str, Any]
) -> None:
    response = await client.post(VERIFY, json=body)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_verification_is_rate_limited_per_address(
    settings: Settings, database: Database, issued: Issue
) -> None:
    number = (await issued())["license_no"]
    app = create_app(
        settings.model_copy(update={"license_verify_rate_limit": 3}), database=database
    )
    transport = httpx.ASGITransport(app=app, client=("203.0.113.9", 4000))
    async with (
        app.router.lifespan_context(app),
        httpx.AsyncClient(transport=transport, base_url="http://testserver") as tight,
    ):
        for _ in range(3):
            answer = await tight.post(VERIFY, json={"license_no": number, "holder_name": "李娜"})
            assert answer.status_code == 200, answer.text
        refused = await tight.post(VERIFY, json={"license_no": number, "holder_name": "李娜"})
        assert refused.status_code == 429, refused.text
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert int(refused.headers["retry-after"]) >= 1
        assert refused.json()["code"] == "licenses.rate_limited"
        assert number not in refused.text
