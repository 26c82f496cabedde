"""The fault this issue found in single services: the transfer registration locked the property
certificate's number and the buyer's phone to the seller's own ID number and phone (422
`locked` for a truthful application), and each utility transfer locked its certificate number
to the applicant's ID number. A service's own field sources now say what such a field means."""

from __future__ import annotations

import httpx
from persona_support import PERSONAS, SignIn
from service_support import apply


async def test_the_seller_files_the_transfer_registration_with_the_buyers_phone(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    seller = await sign_in("seller", face=True)
    prefill = await client.get("/api/v1/services/bdc.transfer.second-hand/prefill", headers=seller)
    fields = {f["name"]: f for f in prefill.json()["fields"]}
    certificate = fields["certificate_number"]
    assert certificate["editable"]
    assert certificate["source"] == "bdc/property-ownership"
    assert certificate["value"] != PERSONAS["seller"].id_number
    assert fields["phone"]["editable"]
    assert fields["phone"]["value"] is None
    assert fields["area"]["value"], "read from the registry's record (area_m2)"
    assert not fields["seller_id_number"]["editable"], "the seller's own identity stays locked"
    forged = await apply(
        client, seller, "bdc.transfer.second-hand", seller_id_number=PERSONAS["buyer"].id_number
    )
    assert forged.status_code == 422, forged.text
    assert forged.json()["invalid_params"] == [
        {"name": "body.form.seller_id_number", "reason": "locked"}
    ]
    buyer_phone = PERSONAS["buyer"].login
    answer = await apply(
        client,
        seller,
        "bdc.transfer.second-hand",
        phone=buyer_phone,
        buyer_name=PERSONAS["buyer"].name,
        buyer_id_number=PERSONAS["buyer"].id_number,
        price=1_850_000,
        ownership="单独所有",
    )
    assert answer.status_code == 201, answer.text


async def test_a_utility_transfer_takes_the_property_certificates_number(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    seller = await sign_in("seller")
    prefill = await client.get("/api/v1/services/gas.transfer/prefill", headers=seller)
    fields = {f["name"]: f for f in prefill.json()["fields"]}
    assert fields["certificate_number"]["editable"]
    assert fields["certificate_number"]["source"] == "registry"
    assert fields["certificate_number"]["value"] != PERSONAS["seller"].id_number
    assert not fields["id_number"]["editable"], "the applicant's ID number is still locked"
