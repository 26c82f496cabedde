"""Licenses as verifiable credentials, verified offline by an independent JOSE implementation.

The verifier here uses joserfc with only the JWKS fetched from /api/v1/licenses/jwks, and
decides a status from the signed status list with the standard library alone (base64url after
the multibase "u", then GZIP, then the bit at the entry's index, most significant bit first).
"""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from joserfc import jws as rfc_jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, OctKey
from license_support import Headers, MakeHeaders, enterprise_license, enterprise_uscc, id_number

from app.certificates import jws as app_jws

Issue = Callable[..., Awaitable[dict[str, Any]]]
REASON = {"reason": "经营场所与登记不符，依法处理"}
VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"


async def _keyset(client: httpx.AsyncClient) -> KeySet:
    response = await client.get("/api/v1/licenses/jwks")
    assert response.status_code == 200, response.text
    assert response.headers["cache-control"].startswith("public")
    keys = response.json()["keys"]
    assert keys
    assert all(
        (k["kty"], k["crv"], k["alg"], k["use"]) == ("EC", "P-256", "ES256", "sig") and k["kid"]
        for k in keys
    )
    assert all("d" not in k for k in keys), "no private key material"
    return KeySet.import_key_set(response.json())


def _verify(token: str, keyset: KeySet) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a vc+jwt, verified offline with joserfc (ES256 only)."""
    verified = rfc_jws.deserialize_compact(token, keyset, algorithms=["ES256"])
    header = verified.headers()
    assert (header["alg"], header["typ"]) == ("ES256", "vc+jwt")
    assert header["kid"] in {key.kid for key in keyset.keys}
    payload = json.loads(verified.payload)
    assert isinstance(payload, dict)
    return header, payload


def _bit(encoded_list: str, index: int) -> bool:
    """The bit at `index` of a Bitstring Status List `encodedList`, with the stdlib only."""
    assert encoded_list.startswith("u")
    data = encoded_list[1:]
    raw = gzip.decompress(base64.urlsafe_b64decode(data + "=" * (-len(data) % 4)))
    return bool(raw[index // 8] >> (7 - index % 8) & 1)


async def _status(client: httpx.AsyncClient, keyset: KeySet, entry: dict[str, Any]) -> bool:
    """Whether the entry's purpose applies, from a freshly fetched status list credential."""
    response = await client.get(urlsplit(entry["statusListCredential"]).path)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/vc+jwt")
    assert response.headers["cache-control"] == "public, max-age=300"
    _, status_list = _verify(response.text, keyset)
    assert status_list["@context"] == [VC_CONTEXT]
    assert status_list["type"] == ["VerifiableCredential", "BitstringStatusListCredential"]
    assert status_list["id"] == entry["statusListCredential"]
    assert status_list["validFrom"] < status_list["validUntil"]
    subject = status_list["credentialSubject"]
    assert (subject["type"], subject["statusPurpose"]) == (
        "BitstringStatusList",
        entry["statusPurpose"],
    )
    return _bit(subject["encodedList"], int(entry["statusListIndex"]))


def _entries(credential: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["statusPurpose"]: entry for entry in credential["credentialStatus"]}


async def _credential(
    client: httpx.AsyncClient, number: str, headers: Headers
) -> tuple[str, dict[str, Any]]:
    response = await client.get(f"/api/v1/licenses/{number}/credential", headers=headers)
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["format"], body["media_type"]) == ("vc+jwt", "application/vc+jwt")
    _, payload = _verify(body["credential"], await _keyset(client))
    return body["credential"], payload


async def _act(client: httpx.AsyncClient, number: str, action: str, headers: Headers) -> None:
    response = await client.post(
        f"/api/v1/licenses/{number}/{action}", json=REASON, headers=headers
    )
    assert response.status_code in (200, 201), response.text


async def test_holder_gets_a_credential_verified_offline(
    client: httpx.AsyncClient, issued: Issue, citizen: MakeHeaders, scjg_clerk: Headers
) -> None:
    holder_id = id_number()
    holder = await citizen("13700002001", holder_id)
    license_ = await issued(holder_id)
    number = license_["license_no"]
    token, vc = await _credential(client, number, holder)
    assert vc["@context"] == [VC_CONTEXT]
    assert vc["type"] == ["VerifiableCredential", "SpecialEquipmentOperatorCredential"]
    assert vc["id"].endswith(f"/api/v1/licenses/{number}")
    assert vc["issuer"]["id"].endswith("/departments/scjg")
    assert vc["issuer"]["name"]
    assert vc["validFrom"] == f"{license_['valid_from']}T00:00:00+08:00"
    assert vc["validUntil"] > vc["validFrom"]
    subject = vc["credentialSubject"]
    assert subject["holder"] == {
        "kind": "person",
        "name": "李娜",
        "idNumberMasked": license_["holder"]["id_number_masked"],
    }
    assert subject["license"]["number"] == number
    assert subject["license"]["version"] == 1
    assert subject["license"]["fields"] == license_["fields"]
    # The full ID number is nowhere in the bearer artefact.
    assert holder_id not in json.dumps(vc, ensure_ascii=False)
    assert holder_id not in token
    entries = _entries(vc)
    assert set(entries) == {"revocation", "suspension"}
    for purpose, entry in entries.items():
        assert entry["type"] == "BitstringStatusListEntry"
        assert entry["id"] == f"{entry['statusListCredential']}#{entry['statusListIndex']}"
        assert "/api/v1/licenses/status-lists/" in entry["statusListCredential"]
        assert await _status(client, await _keyset(client), entry) is False, purpose
    # The issuer may fetch it too.
    assert (await _credential(client, number, scjg_clerk))[1]["id"] == vc["id"]


async def test_revocation_suspension_and_reinstatement_show_offline(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    number = (await issued())["license_no"]
    _, vc = await _credential(client, number, scjg_clerk)  # kept, as a verifier would have it
    keyset = await _keyset(client)
    entries = _entries(vc)
    await _act(client, number, "suspend", scjg_clerk)
    assert await _status(client, keyset, entries["suspension"]) is True
    assert await _status(client, keyset, entries["revocation"]) is False
    await _act(client, number, "reinstate", scjg_clerk)
    assert await _status(client, keyset, entries["suspension"]) is False
    await _act(client, number, "revoke", scjg_clerk)
    assert await _status(client, keyset, entries["revocation"]) is True
    assert await _status(client, keyset, entries["suspension"]) is False


async def test_cancelled_is_revoked_and_a_renewal_has_its_own_credential(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    keyset = await _keyset(client)
    cancelled = (await issued())["license_no"]
    _, vc = await _credential(client, cancelled, scjg_clerk)
    await _act(client, cancelled, "cancel", scjg_clerk)
    assert await _status(client, keyset, _entries(vc)["revocation"]) is True

    old = (await issued(valid_from="2022-06-01"))["license_no"]
    _, old_vc = await _credential(client, old, scjg_clerk)
    renewed = await client.post(
        f"/api/v1/licenses/{old}/renew",
        json={**REASON, "valid_from": "2026-06-01"},
        headers=scjg_clerk,
    )
    assert renewed.status_code == 201, renewed.text
    _, new_vc = await _credential(client, renewed.json()["license_no"], scjg_clerk)
    assert new_vc["id"] != old_vc["id"]
    assert new_vc["credentialSubject"]["license"]["version"] == 2
    assert new_vc["credentialSubject"]["license"]["supersedes"] == old
    assert _entries(new_vc)["revocation"]["id"] != _entries(old_vc)["revocation"]["id"]
    # The superseded version's bit is set: a verifier holding only the old credential learns
    # that it was replaced (the new one names it in `supersedes`); the new one's is clear.
    assert await _status(client, keyset, _entries(old_vc)["revocation"]) is True
    assert await _status(client, keyset, _entries(new_vc)["revocation"]) is False


async def test_enterprise_credential_names_the_uscc(
    client: httpx.AsyncClient, staff_headers: Callable[..., Awaitable[Headers]]
) -> None:
    from app.auth.models import StaffRole

    clerk = await staff_headers("xzsp.clerk", StaffRole.CLERK, department="xzsp")
    uscc = enterprise_uscc(7)
    issued = await client.post("/api/v1/licenses", json=enterprise_license(uscc), headers=clerk)
    assert issued.status_code == 201, issued.text
    _, vc = await _credential(client, issued.json()["license_no"], clerk)
    assert vc["type"] == ["VerifiableCredential", "BusinessLicenseCredential"]
    assert vc["credentialSubject"]["holder"] == {
        "kind": "enterprise",
        "name": "青岛海韵印务有限公司",
        "uscc": uscc,
    }
    assert "validUntil" not in vc, "a business license does not expire"


async def test_others_get_404_and_the_public_parts_need_no_token(
    client: httpx.AsyncClient, issued: Issue, citizen: MakeHeaders
) -> None:
    number = (await issued())["license_no"]
    stranger = await citizen("13700002002", id_number())
    response = await client.get(f"/api/v1/licenses/{number}/credential", headers=stranger)
    assert response.status_code == 404
    assert response.json()["code"] == "licenses.not_found"
    unknown = await client.get(
        "/api/v1/licenses/1.2.156.3005.2.X.Y.0000000001.001.K/credential", headers=stranger
    )
    assert unknown.status_code == 404
    assert (await client.get(f"/api/v1/licenses/{number}/credential")).status_code == 401
    # The JWKS and the status lists are public.
    assert (await client.get("/api/v1/licenses/jwks")).status_code == 200
    for list_id in ("00000000-0000-0000-0000-000000000000", "not-a-list"):
        missing = await client.get(f"/api/v1/licenses/status-lists/{list_id}")
        assert missing.status_code == 404
        assert missing.headers["content-type"].startswith("application/problem+json")
        assert missing.json()["code"] == "licenses.status_list_not_found"


async def test_algorithm_confusion_is_refused(
    client: httpx.AsyncClient, issued: Issue, scjg_clerk: Headers
) -> None:
    keyset = await _keyset(client)
    token, vc = await _credential(client, (await issued())["license_no"], scjg_clerk)
    public = keyset.keys[0].as_dict()
    # HS256 with the public key's bytes as the secret, and an unsigned token: both refused.
    secret = OctKey.import_key(json.dumps(public).encode())
    forged = rfc_jws.serialize_compact(
        {"alg": "HS256", "typ": "vc+jwt", "kid": public["kid"]}, json.dumps(vc).encode(), secret
    )
    payload = token.split(".")[1]
    unsigned_header = (
        base64.urlsafe_b64encode(
            json.dumps({"alg": "none", "typ": "vc+jwt", "kid": public["kid"]}).encode()
        )
        .rstrip(b"=")
        .decode()
    )
    unsigned = f"{unsigned_header}.{payload}."
    for bad in (forged, unsigned):
        with pytest.raises(JoseError):
            rfc_jws.deserialize_compact(bad, keyset, algorithms=["ES256"])
        with pytest.raises(app_jws.CredentialSignatureError):
            app_jws.verify(bad, app_jws.public_key(public))
    # The application's own verifier accepts the genuine one, and only as vc+jwt.
    assert app_jws.verify(token, app_jws.public_key(public)) == vc
    with pytest.raises(app_jws.CredentialSignatureError):
        app_jws.verify(token, app_jws.public_key(public), typ="at+jwt")


def test_fields_that_are_id_numbers_are_masked_in_the_credential() -> None:
    import uuid
    from datetime import date

    from app.certificates.credentials import license_credential
    from app.certificates.models import License

    husband, wife = id_number(), id_number()
    row = License(
        license_no="1.2.156.3005.2.JHZ.11370200MA3C5R7Y8J.0000000001.001.K",
        type_code="marriage-certificate",
        issuer_code="mz",
        holder_kind="person",
        holder_name="李娜",
        holder_id_masked="370202********0011",
        fields={"husband_id_number": husband, "wife_id_number": wife, "wife_name": "李娜"},
        valid_from=date(2026, 1, 5),
        valid_until=None,
        version=1,
        revocation_list_id=uuid.uuid4(),
        revocation_index=7,
        suspension_list_id=uuid.uuid4(),
        suspension_index=9,
    )
    vc = license_credential(
        row,
        issuer_url="https://qe.example",
        issuer_name="民政局",
        type_name="结婚证",
        supersedes=None,
    )
    text = json.dumps(vc, ensure_ascii=False)
    assert husband not in text
    assert wife not in text
    fields = vc["credentialSubject"]["license"]["fields"]
    assert fields["wife_name"] == "李娜"
    assert fields["husband_id_number"].endswith(husband[-4:])
    assert vc["validFrom"] == "2026-01-05T00:00:00+08:00"
    assert vc["type"] == ["VerifiableCredential", "MarriageCertificateCredential"]
    assert [e["statusListIndex"] for e in vc["credentialStatus"]] == ["7", "9"]
