"""Materials checked at submission, through the API: a license from the registry or the
wallet, an upload, or the verified identity stands in for each; a required one missing is
named; another's license or upload reads like none; the case's clerks read its uploads."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
from application_forms import hygiene_renewal, kindergarten_continuation, rent_withdrawal
from persona_support import PDF, PERSONAS, Headers, SignIn, materials_for, upload, uploaded
from sqlalchemy import select

from app.audit.models import AuditRecord
from app.auth.models import StaffRole
from app.db import Database
from app.uploads.models import Upload

RENT = "gjj.withdraw.rent"
HYGIENE = "wjw.hygiene-permit.renew"
KINDERGARTEN = "jyj.kindergarten-licence.continue"
StaffHeaders = Callable[..., Awaitable[Headers]]


async def _apply(
    client: httpx.AsyncClient,
    headers: Headers,
    service: str,
    form: dict[str, Any],
    materials: list[dict[str, Any]],
    **extra_headers: str,
) -> httpx.Response:
    return await client.post(
        "/api/v1/applications", headers=headers | extra_headers,
        json={"service_code": service, "form": form, "materials": materials},
    )  # fmt: skip


def _by_code(case: dict[str, Any]) -> dict[str, Any]:
    return {material["code"]: material["satisfied_by"] for material in case["materials"]}


def _refusal(answer: httpx.Response) -> dict[str, Any]:
    """The problem document but what differs per request."""
    assert answer.status_code == 422, answer.text
    assert answer.headers["content-type"].startswith("application/problem+json")
    return {k: v for k, v in answer.json().items() if k not in ("request_id", "instance")}


async def test_nothing_to_upload_for_the_rent_withdrawal(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("renter", face=True)
    # The ID card is the verified identity, the housing bureau holds his lease's filing, and the
    # money goes to the card the fund centre holds: no bank card to upload any more.
    answer = await _apply(client, headers, RENT, rent_withdrawal(PERSONAS["renter"]), [])
    assert answer.status_code == 201, answer.text
    materials = _by_code(answer.json())
    assert materials["id-card"] == {"kind": "identity"}
    assert (materials["lease-filing"]["kind"], materials["lease-filing"]["ref"]) == (
        "dataset",
        "zjj/lease-filings",
    )


async def test_a_required_material_missing_is_named(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    salon = await sign_in("hygiene", enterprise=True)
    answer = await _apply(client, salon, HYGIENE, hygiene_renewal(PERSONAS["hygiene"]), [],
                          **{"Accept-Language": "en"})  # fmt: skip
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "applications.materials_missing"
    # The business license and the permit are in the registry, the staff's health certificates
    # with the health commission: only the signed commitment is missing.
    assert [m["code"] for m in problem["materials"]] == ["commitment"]


async def test_an_upload_satisfies_it_and_is_kept_with_the_case(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    salon = await sign_in("hygiene", enterprise=True)
    card = await upload(client, salon, PDF, name="承诺书.pdf", content_type="application/pdf")
    health = await uploaded(client, salon, "health-certificates")
    answer = await _apply(client, salon, HYGIENE, hygiene_renewal(PERSONAS["hygiene"]),
                          [*health, {"code": "commitment", "upload_id": card["id"]}])  # fmt: skip
    assert answer.status_code == 201, answer.text
    materials = _by_code(answer.json())
    assert materials["commitment"] == {
        "kind": "upload", "upload_id": card["id"], "content_type": "application/pdf",
        "size": len(PDF), "sha256": card["sha256"],
    }  # fmt: skip
    headers = salon
    async with database.session(write=False) as session:
        stored = await session.get(Upload, uuid.UUID(card["id"]))
        assert stored is not None
        assert (stored.expires_at, stored.attached_at is not None) == (None, True)
    own = await client.get(f"/api/v1/uploads/{card['id']}", headers=headers)
    assert (own.status_code, own.content) == (200, PDF)


async def test_someone_elses_upload_is_refused_like_an_unknown_one(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    owner = await sign_in("flat_owner")
    theirs = await upload(client, owner)
    salon = await sign_in("hygiene", enterprise=True)
    form = hygiene_renewal(PERSONAS["hygiene"])
    health = await uploaded(client, salon, "health-certificates")
    mine = [*health, {"code": "commitment", "upload_id": theirs["id"]}]
    refused = await _apply(client, salon, HYGIENE, form, mine)
    nobodys = [*health, {"code": "commitment", "upload_id": str(uuid.uuid4())}]
    unknown = await _apply(client, salon, HYGIENE, form, nobodys)
    assert _refusal(refused) == _refusal(unknown)
    assert refused.json()["material"] == "commitment"
    assert theirs["sha256"] not in refused.text
    async with database.session(write=False) as session:
        stored = await session.get(Upload, uuid.UUID(theirs["id"]))
        assert stored is not None
        assert stored.expires_at is not None, "not attached"


async def test_another_holders_license_is_refused_like_an_unknown_one(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    printer = await sign_in("printer", enterprise=True)
    wallet = (await client.get("/api/v1/me/licenses", headers=printer)).json()["items"]
    [printers] = [
        item["license_no"] for item in wallet if item["type"]["code"] == "business-license"
    ]
    salon = await sign_in("hygiene", enterprise=True)
    form = hygiene_renewal(PERSONAS["hygiene"])
    extra = await materials_for(client, salon, HYGIENE)
    theirs = [{"code": "business-license", "license_no": printers}, *extra]
    refused = await _apply(client, salon, HYGIENE, form, theirs)
    nobodys = [{"code": "business-license", "license_no": "1.2.3"}, *extra]
    unknown = await _apply(client, salon, HYGIENE, form, nobodys)
    assert _refusal(refused) == _refusal(unknown)
    assert printers not in refused.text


async def test_a_license_of_another_type_is_refused(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    salon = await sign_in("hygiene", enterprise=True)
    wallet = (await client.get("/api/v1/me/licenses", headers=salon)).json()["items"]
    [permit] = [item["license_no"] for item in wallet if item["type"]["code"] == "hygiene-permit"]
    extra = await materials_for(client, salon, HYGIENE)
    answer = await _apply(client, salon, HYGIENE, hygiene_renewal(PERSONAS["hygiene"]),
                          [{"code": "business-license", "license_no": permit}, *extra])  # fmt: skip
    assert _refusal(answer)["material"] == "business-license"


async def test_registry_licenses_stand_in_without_an_upload(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    salon = await sign_in("hygiene", enterprise=True)
    wallet = (await client.get("/api/v1/me/licenses", headers=salon)).json()["items"]
    held = {item["type"]["code"]: item["license_no"] for item in wallet}
    # The business license named from the wallet, the hygiene permit found in the registry.
    answer = await _apply(
        client, salon, HYGIENE, hygiene_renewal(PERSONAS["hygiene"]),
        [{"code": "business-license", "license_no": held["business-license"]},
         *await materials_for(client, salon, HYGIENE)],
    )  # fmt: skip
    assert answer.status_code == 201, answer.text
    materials = _by_code(answer.json())
    assert materials["business-license"] == {
        "kind": "license", "license_no": held["business-license"]
    }  # fmt: skip
    assert materials["hygiene-permit"] == {"kind": "license", "license_no": held["hygiene-permit"]}
    assert materials["commitment"]["kind"] == "upload"


async def test_materials_unknown_to_the_service_or_doubly_given_are_refused(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("renter", face=True)
    form = rent_withdrawal(PERSONAS["renter"])
    [card] = await uploaded(client, headers, "bank-card")
    for materials in (
        [card, {"code": "no-such-material"}],
        [card, {"code": "bank-card", "upload_id": card["upload_id"], "license_no": "1.2.3"}],
    ):
        answer = await _apply(client, headers, RENT, form, materials)
        assert answer.status_code == 422, answer.text


async def _kindergarten_case(
    client: httpx.AsyncClient, sign_in: SignIn
) -> tuple[dict[str, Any], Headers]:
    agent = await sign_in("kindergarten", enterprise=True)
    materials = await materials_for(client, agent, KINDERGARTEN)
    form = kindergarten_continuation(PERSONAS["kindergarten"])
    answer = await _apply(client, agent, KINDERGARTEN, form, materials)
    assert answer.status_code == 201, answer.text
    return answer.json(), agent


async def test_the_departments_clerk_downloads_the_cases_upload(
    client: httpx.AsyncClient, sign_in: SignIn, staff_headers: StaffHeaders, database: Database
) -> None:
    case, agent = await _kindergarten_case(client, sign_in)
    report = _by_code(case)["audit-report"]["upload_id"]
    clerk = await staff_headers("jyj.materials", StaffRole.CLERK, department="jyj")
    path = f"/api/v1/review/cases/{case['id']}/materials/{report}"
    answer = await client.get(path, headers=clerk)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "image/png"
    assert answer.headers["content-disposition"].startswith("attachment; filename*=UTF-8''")
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["cache-control"] == "private, no-store"
    async with database.session(write=False) as session:
        reads = (
            await session.scalars(
                select(AuditRecord).where(AuditRecord.action == "upload.downloaded")
            )
        ).all()
    assert [(r.actor_type, r.subject_id, r.purpose) for r in reads] == [
        ("staff", report, f"application:{case['number']}")
    ]
    # The applicant reads it back as its uploader.
    assert (await client.get(f"/api/v1/uploads/{report}", headers=agent)).status_code == 200


async def test_nobody_else_downloads_a_cases_upload(
    client: httpx.AsyncClient, sign_in: SignIn, staff_headers: StaffHeaders
) -> None:
    case, agent = await _kindergarten_case(client, sign_in)
    report = _by_code(case)["audit-report"]["upload_id"]
    other_department = await staff_headers("gjj.materials", StaffRole.CLERK, department="gjj")
    path = f"/api/v1/review/cases/{case['id']}/materials/{report}"
    assert (await client.get(path, headers=other_department)).status_code == 404
    assert (await client.get(path, headers=agent)).status_code == 403, "clerks only"
    # The right department, but an upload this case does not name (though the applicant's).
    clerk = await staff_headers("jyj.materials", StaffRole.CLERK, department="jyj")
    loose = await upload(client, agent)
    elsewhere = f"/api/v1/review/cases/{case['id']}/materials/{loose['id']}"
    assert (await client.get(elsewhere, headers=clerk)).status_code == 404
    assert (await client.get(f"{path[:-36]}not-a-uuid", headers=clerk)).status_code == 404
    stranger = await sign_in("renter")
    assert (await client.get(f"/api/v1/uploads/{report}", headers=stranger)).status_code == 404


async def test_a_supplement_replaces_the_materials_given_and_keeps_the_rest(
    client: httpx.AsyncClient, sign_in: SignIn, staff_headers: StaffHeaders
) -> None:
    case, agent = await _kindergarten_case(client, sign_in)
    before = _by_code(case)
    clerk = await staff_headers("jyj.materials", StaffRole.CLERK, department="jyj")
    base = f"/api/v1/review/cases/{case['id']}"
    assert (await client.post(f"{base}/claim", headers=clerk, json={})).status_code == 200
    asked = await client.post(f"{base}/request-supplement", headers=clerk,
                              json={"items": ["审计报告缺少盖章页"]})  # fmt: skip
    assert asked.status_code == 200, asked.text
    [report] = await uploaded(client, agent, "audit-report")
    answer = await client.post(
        f"/api/v1/applications/{case['id']}/supplement", headers=agent,
        json={"materials": [report]},
    )  # fmt: skip
    assert answer.status_code == 200, answer.text
    after = _by_code(answer.json())
    assert after["audit-report"]["upload_id"] == report["upload_id"]
    assert {code: value for code, value in after.items() if code != "audit-report"} == {
        code: value for code, value in before.items() if code != "audit-report"
    }
