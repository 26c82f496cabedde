"""Shares (用证授权): the holder chooses purpose, fields and end; a verifier scans the QR code
and sees only that; the holder sees every such verification in the data-access log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit
from xml.etree import ElementTree

import httpx
import pytest
from license_support import Headers, MakeHeaders, id_number
from sqlalchemy import update

from app.certificates.models import LicenseShare
from app.db import Database
from app.kit import qr
from app.kit.clock import utcnow

Issue = Callable[..., Awaitable[dict[str, Any]]]
PURPOSE = "应聘叉车司机岗位，向用人单位出示"


def _until(**delta: float) -> str:
    return (utcnow() + timedelta(**delta)).isoformat()


async def _share(
    client: httpx.AsyncClient, headers: Headers, license_no: str, **body: Any
) -> httpx.Response:
    payload = {"purpose": PURPOSE, "fields": ["operation_item"], "expires_at": _until(days=7)}
    payload.update(body)
    return await client.post(f"/api/v1/licenses/{license_no}/shares", json=payload, headers=headers)


async def _scan(client: httpx.AsyncClient, qr_payload: str) -> dict[str, Any]:
    """What a verifier's scanner does with the QR code: open the URL it holds."""
    url = urlsplit(qr_payload)
    response = await client.get(f"{url.path}?{url.query}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def test_a_share_shows_only_the_chosen_fields_and_is_logged_for_the_holder(
    client: httpx.AsyncClient, citizen: MakeHeaders, issued: Issue
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002001", holder_id)
    license_ = await issued(holder_id)
    created = await _share(
        client, holder, license_["license_no"], fields=["id_number", "operation_item"]
    )
    assert created.status_code == 201, created.text
    share = created.json()
    assert share["active"] is True
    assert share["fields"] == ["id_number", "operation_item"], "in the type's order"
    assert share["purpose"] == PURPOSE
    assert len(share["token"]) <= 40, "short enough for a small QR code"
    assert share["qr_payload"].endswith(f"/api/v1/licenses/verify?share_token={share['token']}")

    answer = await _scan(client, share["qr_payload"])
    assert (answer["result"], answer["reasons"], answer["method"]) == ("valid", [], "share")
    shown = answer["license"]
    assert shown["license_no"] == license_["license_no"]
    assert shown["status"] == "valid"
    assert shown["fields"] == {
        "id_number": holder_id[:6] + "********" + holder_id[-4:],
        "operation_item": "叉车司机",
    }
    assert "certificate_number" not in shown["fields"], "a field the holder did not choose"
    assert shown["holder"]["name"] == "李娜"
    assert holder_id not in answer.__repr__(), "the full ID number is never shown"
    assert answer["share"]["purpose"] == PURPOSE

    posted = await client.post("/api/v1/licenses/verify", json={"share_token": share["token"]})
    assert posted.json()["license"] == shown, "posting the token answers the same"

    log = await client.get("/api/v1/me/data-access-log", headers=holder)
    assert log.status_code == 200, log.text
    reads = [
        item for item in log.json()["items"] if item["calling_system"] == "license-verification"
    ]
    assert len(reads) == 2
    assert {(r["purpose"], r["outcome"], r["actor_type"]) for r in reads} == {
        (PURPOSE, "found", "anonymous")
    }
    assert all(r["actor_id"] is None and r["case_id"] == share["id"] for r in reads)


async def test_a_signed_in_verifier_is_named_in_the_holders_log(
    client: httpx.AsyncClient,
    citizen: MakeHeaders,
    issued: Issue,
    department_client: MakeHeaders,
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002002", holder_id)
    share = (await _share(client, holder, (await issued(holder_id))["license_no"])).json()
    bank = await department_client(None, ["licenses.verify"])
    answer = await client.post(
        "/api/v1/licenses/verify", json={"share_token": share["token"]}, headers=bank
    )
    assert answer.json()["result"] == "valid"
    log = (await client.get("/api/v1/me/data-access-log", headers=holder)).json()["items"]
    (read,) = [item for item in log if item["calling_system"] == "license-verification"]
    assert read["actor_type"] == "client"
    assert read["actor_id"], "a client is accountable to the holder, so it is named"

    bad = await client.post(
        "/api/v1/licenses/verify",
        json={"share_token": share["token"]},
        headers={"Authorization": "Bearer not-a-token"},
    )
    assert bad.status_code == 401, "a bad token is refused, not taken for anonymous"


async def test_a_revoked_share_shows_nothing_and_the_attempt_is_logged(
    client: httpx.AsyncClient, citizen: MakeHeaders, issued: Issue
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002003", holder_id)
    license_no = (await issued(holder_id))["license_no"]
    share = (await _share(client, holder, license_no)).json()
    path = f"/api/v1/licenses/{license_no}/shares/{share['id']}"
    assert (await client.delete(path, headers=holder)).status_code == 204
    assert (await client.delete(path, headers=holder)).status_code == 204, "idempotent"

    answer = await _scan(client, share["qr_payload"])
    assert answer["result"] == "invalid"
    assert [r["code"] for r in answer["reasons"]] == ["share_revoked"]
    assert answer["license"] is None

    listed = await client.get(f"/api/v1/licenses/{license_no}/shares", headers=holder)
    (item,) = listed.json()["items"]
    assert (item["active"], item["revoked_at"] is not None) == (False, True)
    log = (await client.get("/api/v1/me/data-access-log", headers=holder)).json()["items"]
    assert [r["outcome"] for r in log if r["case_id"] == share["id"]] == ["refused"]
    unknown = f"/api/v1/licenses/{license_no}/shares/0190c0de-0000-7000-8000-000000000000"
    assert (await client.delete(unknown, headers=holder)).status_code == 404
    assert (await client.delete(f"{path}x", headers=holder)).status_code == 404


async def test_an_expired_share_shows_nothing(
    client: httpx.AsyncClient, citizen: MakeHeaders, issued: Issue, database: Database
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002004", holder_id)
    share = (await _share(client, holder, (await issued(holder_id))["license_no"])).json()
    async with database.session() as session:  # the week goes by
        await session.execute(
            update(LicenseShare).values(expires_at=utcnow() - timedelta(seconds=1))
        )
    answer = await _scan(client, share["qr_payload"])
    assert [r["code"] for r in answer["reasons"]] == ["share_expired"]
    assert answer["license"] is None


async def test_a_share_of_a_revoked_license_says_so(
    client: httpx.AsyncClient, citizen: MakeHeaders, issued: Issue, scjg_clerk: Headers
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002005", holder_id)
    license_no = (await issued(holder_id))["license_no"]
    share = (await _share(client, holder, license_no)).json()
    revoked = await client.post(
        f"/api/v1/licenses/{license_no}/revoke",
        json={"reason": "以欺骗手段取得，依法撤销"},
        headers=scjg_clerk,
    )
    assert revoked.status_code == 200, revoked.text
    answer = await _scan(client, share["qr_payload"])
    assert answer["result"] == "invalid"
    assert [r["code"] for r in answer["reasons"]] == ["revoked"]
    assert answer["license"]["status"] == "revoked"


@pytest.mark.parametrize(
    "token",
    ["", "garbage", "A" * 38, "not base64url!", "x" * 200],
)
async def test_a_forged_or_garbled_token_reveals_nothing(
    client: httpx.AsyncClient, token: str
) -> None:
    answer = await client.post("/api/v1/licenses/verify", json={"share_token": token})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert (body["result"], [r["code"] for r in body["reasons"]]) == ("invalid", ["unknown"])
    assert body["license"] is None


async def test_a_token_with_one_character_changed_is_unknown(
    client: httpx.AsyncClient, citizen: MakeHeaders, issued: Issue
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002006", holder_id)
    share = (await _share(client, holder, (await issued(holder_id))["license_no"])).json()
    token = share["token"]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    body = (await client.post("/api/v1/licenses/verify", json={"share_token": forged})).json()
    assert [r["code"] for r in body["reasons"]] == ["unknown"]


async def test_only_the_holder_shares_and_sees_shares(
    client: httpx.AsyncClient,
    citizen: MakeHeaders,
    issued: Issue,
    scjg_clerk: Headers,
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002007", holder_id)
    other = await citizen("13700002008", id_number(), name="王强")
    license_no = (await issued(holder_id))["license_no"]
    share = (await _share(client, holder, license_no)).json()

    assert (await _share(client, other, license_no)).status_code == 404
    listed = await client.get(f"/api/v1/licenses/{license_no}/shares", headers=other)
    assert listed.status_code == 404
    revoke = f"/api/v1/licenses/{license_no}/shares/{share['id']}"
    assert (await client.delete(revoke, headers=other)).status_code == 404
    issuer = await _share(client, scjg_clerk, license_no)
    assert issuer.status_code == 403, "sharing is the holder's consent, not the issuer's"
    assert (await client.get(f"/api/v1/licenses/{license_no}/shares")).status_code == 401


async def test_a_share_has_a_qr_image_of_its_payload_for_its_holder_only(
    client: httpx.AsyncClient, citizen: MakeHeaders, issued: Issue
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002011", holder_id)
    other = await citizen("13700002012", id_number(), name="王强")
    license_no = (await issued(holder_id))["license_no"]
    share = (await _share(client, holder, license_no)).json()
    assert share["qr_image"] == f"/api/v1/licenses/{license_no}/shares/{share['id']}/qr"

    png = await client.get(share["qr_image"], headers=holder)
    assert png.status_code == 200, png.text
    assert png.headers["content-type"] == "image/png"
    assert png.headers["cache-control"] == "no-store"
    # The image is the QR code of the payload the verifier's scanner opens, nothing else.
    assert png.content == qr.render(share["qr_payload"], "png")
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n")
    svg = await client.get(share["qr_image"], params={"format": "svg"}, headers=holder)
    assert svg.status_code == 200, svg.text
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert ElementTree.fromstring(svg.content).tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.content == qr.render(share["qr_payload"], "svg")

    assert (await client.get(share["qr_image"], headers=other)).status_code == 404
    assert (await client.get(share["qr_image"])).status_code == 401
    unknown = f"/api/v1/licenses/{license_no}/shares/00000000-0000-0000-0000-000000000000/qr"
    assert (await client.get(unknown, headers=holder)).status_code == 404
    wrong = await client.get(share["qr_image"], params={"format": "gif"}, headers=holder)
    assert wrong.status_code == 422


@pytest.mark.parametrize(
    ("body", "param"),
    [
        ({"fields": ["salary"]}, "body.fields"),
        ({"expires_at": "2020-01-01T00:00:00+08:00"}, "body.expires_at"),
        ({"expires_at": "2099-01-01T00:00:00+08:00"}, "body.expires_at"),
        ({"purpose": " "}, "body.purpose"),
    ],
)
async def test_a_share_that_does_not_fit_is_refused(
    client: httpx.AsyncClient,
    citizen: MakeHeaders,
    issued: Issue,
    body: dict[str, Any],
    param: str,
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002009", holder_id)
    answer = await _share(client, holder, (await issued(holder_id))["license_no"], **body)
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    assert param in {p["name"] for p in answer.json()["invalid_params"]}


async def test_a_suspended_license_cannot_be_shared(
    client: httpx.AsyncClient, citizen: MakeHeaders, issued: Issue, scjg_clerk: Headers
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002010", holder_id)
    license_no = (await issued(holder_id))["license_no"]
    await client.post(
        f"/api/v1/licenses/{license_no}/suspend",
        json={"reason": "经营场所与登记不符"},
        headers=scjg_clerk,
    )
    answer = await _share(client, holder, license_no)
    assert answer.status_code == 409, answer.text
    assert answer.json()["code"] == "licenses.share_not_allowed"


async def test_a_purpose_keeps_no_phone_or_id_number_whole(
    client: httpx.AsyncClient, citizen: MakeHeaders, issued: Issue
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002009", holder_id)
    license_no = (await issued(holder_id))["license_no"]
    purpose = f"应聘，联系电话 13912345678，身份证 {holder_id}"
    share = (await _share(client, holder, license_no, purpose=purpose)).json()
    masked = f"应聘，联系电话 139****5678，身份证 {holder_id[:6]}********{holder_id[-4:]}"
    assert share["purpose"] == masked
    answer = await _scan(client, share["qr_payload"])
    assert answer["share"]["purpose"] == masked
    log = (await client.get("/api/v1/me/data-access-log", headers=holder)).json()["items"]
    assert [r["purpose"] for r in log if r["calling_system"] == "license-verification"] == [masked]
