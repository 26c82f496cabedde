"""The house sale (二手房转移登记 + seven utility transfers) through the API: the seller files
one form, the buyer confirms in their own app, the registration is approved on the registry's
data, the buyer's new property certificate lands in their wallet (the seller's superseded),
and all seven utilities record the buyer as the holder."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from bundle_support import UTILITIES, file_sale, holder_matches, run_saga, simulator, steps_of
from persona_support import PERSONAS, SignIn

from app.config import Settings
from app.db import Database


@pytest.fixture(autouse=True)
async def fresh_utilities() -> AsyncIterator[None]:
    """Every account with its first holder, and no fault, before and after."""
    await simulator("DELETE", "/_admin/transfers")
    await simulator("DELETE", "/_admin/faults")
    yield
    await simulator("DELETE", "/_admin/faults")
    await simulator("DELETE", "/_admin/transfers")


async def test_seller_and_buyer_complete_the_house_sale(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database, settings: Settings
) -> None:
    seller, buyer = await sign_in("seller"), await sign_in("buyer")
    filed = await file_sale(client, seller)
    assert filed.status_code == 201, filed.text
    case = filed.json()
    assert case["status"] == "awaiting_confirmation"
    assert set(steps_of(case).values()) == {"waiting"}, "nothing runs before the buyer confirms"
    address = (
        await client.get("/api/v1/bundles/bundle.house-transfer/prefill", headers=seller)
    ).json()
    location = next(f["value"] for f in address["fields"] if f["name"] == "location")
    assert await run_saga(database, settings) == 0

    confirmed = await client.post(
        f"/api/v1/bundles/applications/{case['id']}/confirm", headers=buyer
    )
    assert confirmed.status_code == 200, confirmed.text
    assert confirmed.json()["status"] == "running"
    assert steps_of(confirmed.json())["registration"] == "queued"

    assert await run_saga(database, settings) == 8
    final = (await client.get(f"/api/v1/bundles/applications/{case['id']}", headers=seller)).json()
    assert final["status"] == "completed", final
    assert set(steps_of(final).values()) == {"done"}
    registration = final["steps"][0]
    assert registration["department"] == "bdc"
    assert registration["deadline"] == "2026-11-25"
    assert registration["outcome"]["approved_by"] == "rules"
    new_no = registration["outcome"]["license_no"]
    old_no = registration["outcome"]["superseded_license_no"]
    assert new_no
    assert old_no

    for utility in UTILITIES:
        assert await holder_matches(utility, location, PERSONAS["buyer"].id_number), utility

    wallet = (await client.get("/api/v1/me/licenses", headers=buyer)).json()["items"]
    mine = [lic for lic in wallet if lic["type"]["code"] == "property-certificate"]
    assert [lic["license_no"] for lic in mine] == [new_no]
    assert mine[0]["supersedes"] == old_no
    # A transfer registers a new title: the buyer's certificate has a number of its own.
    old_license = (await client.get(f"/api/v1/licenses/{old_no}", headers=seller)).json()
    new_number = mine[0]["fields"]["certificate_number"]
    assert new_number != old_license["fields"]["certificate_number"]
    assert re.fullmatch(r"鲁\(\d{4}\)青岛市不动产权第\d{7}号", new_number), new_number
    verified = await client.post(
        "/api/v1/licenses/verify",
        json={"license_no": new_no, "holder_name": PERSONAS["buyer"].name},
    )
    assert verified.status_code == 200, verified.text
    assert verified.json()["result"] == "valid", verified.json()
    old = await client.get(f"/api/v1/licenses/{old_no}", headers=seller)
    assert old.json()["status"] == "superseded"
