"""Prefill through the API: verified identity locked with its provenance, department data with
its source, materials answered from the e-license registry, and the lock re-checked when the
application is submitted."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from application_forms import kindergarten_continuation, rent_withdrawal
from persona_support import PERSONAS, SignIn

from app.auth.models import StaffRole
from app.services.applications.errors import InvalidApplication
from app.services.applications.prefill import Identity, check_locked_fields

RENT = "gjj.withdraw.rent"
KINDERGARTEN = "jyj.kindergarten-licence.continue"


async def _prefill(
    client: httpx.AsyncClient, headers: dict[str, str], service: str
) -> dict[str, Any]:
    answer = await client.get(f"/api/v1/services/{service}/prefill", headers=headers)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    assert body["service_code"] == service
    return body


def _fields(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {item["name"]: item for item in body["fields"]}


async def test_the_renters_form_is_filled_from_identity_and_the_housing_fund(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    persona = PERSONAS["renter"]
    headers = await sign_in("renter", face=True)
    body = await _prefill(client, headers, RENT)
    fields = _fields(body)
    assert fields["applicant_name"]["value"] == persona.name
    assert fields["id_number"]["value"] == persona.id_number, "the owner sees their own in full"
    assert fields["phone"]["value"] == persona.login
    for name in ("applicant_name", "id_number", "phone"):
        assert fields[name]["editable"] is False, name
        assert fields[name]["source"], name
        assert fields[name]["as_of"], name
    assert fields["applicant_name"]["source"].startswith("gaj/")
    assert fields["id_number"]["source"] == fields["applicant_name"]["source"]
    assert fields["applicant_name"]["label"] == "申请人姓名"

    # No account to name: the fund centre knows the applicant's and pays the card bound to it.
    assert not {"hpf_account", "bank_name", "bank_account"} & set(fields)

    # His lease is filed with the housing bureau: the lease is the bureau's record, and he
    # chooses between the filed rent and the city's limit.
    for name in ("rental_address", "lease_start", "lease_end", "monthly_rent"):
        assert (fields[name]["fill"], fields[name]["source"]) == ("verified", "zjj/lease-filings")
        assert fields[name]["value"] is not None
        assert fields[name]["as_of"] is not None
    basis = fields["rent_basis"]
    assert (basis["fill"], basis["value"]) == ("options", None)
    assert [(o["value"], o["source"]) for o in basis["options"]] == [
        ("按实际租金（已备案）", "zjj/lease-filings"),
        ("按本市租房提取限额", "platform"),
    ]
    satisfied = {m["code"]: m["satisfied_by"] for m in body["materials"]}
    assert satisfied["id-card"]["kind"] == "identity"
    assert satisfied["id-card"]["as_of"] is not None  # when the real-name check was made
    assert satisfied["lease-filing"]["kind"] == "dataset"
    assert satisfied["lease-filing"]["ref"] == "zjj/lease-filings"


async def test_acting_for_the_kindergarten_fills_the_enterprise_and_its_licence(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    persona = PERSONAS["kindergarten"]
    headers = await sign_in("kindergarten", enterprise=True)
    body = await _prefill(client, headers, KINDERGARTEN)
    fields = _fields(body)
    assert fields["uscc"]["value"] == persona.enterprise_uscc
    assert fields["uscc"]["editable"] is False
    assert fields["uscc"]["source"] == "scjg/enterprise-registration"
    assert fields["unit_name"]["value"] == "青岛市小太阳幼儿园"
    assert fields["unit_name"]["source"] == "scjg/enterprise-registration"
    assert fields["unit_name"]["as_of"] is not None
    assert fields["contact_name"]["value"] == persona.name
    assert fields["contact_name"]["editable"] is False
    assert fields["phone"]["value"] == persona.login
    assert fields["kindergarten_name"]["value"] is None

    materials = {m["code"]: m for m in body["materials"]}
    licence = materials["kindergarten-licence"]["satisfied_by"]
    assert licence is not None, "the registry holds the kindergarten's licence"
    assert licence["kind"] == "license"
    wallet = await client.get(f"/api/v1/licenses/{licence['ref']}", headers=headers)
    assert wallet.status_code == 200, wallet.text
    assert wallet.json()["type"]["code"] == "kindergarten-licence"
    assert wallet.json()["holder"]["uscc"] == persona.enterprise_uscc
    assert materials["audit-report"]["satisfied_by"] is None, "no license type: an upload"


async def test_choosing_an_employee_fills_that_employees_name_and_base(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("printer", enterprise=True)
    fields = _fields(await _prefill(client, headers, "gjj.account.unseal"))
    staff = fields["employee_id_number"]
    assert staff["options"], "the insured employees on the unit's roll"
    follows = [option["fills"] for option in staff["options"]]
    assert all(set(f) == {"employee_name", "deposit_base"} for f in follows)
    assert all(
        f["employee_name"] in o["label"] for f, o in zip(follows, staff["options"], strict=True)
    )
    assert all(isinstance(f["deposit_base"], int) and f["deposit_base"] > 0 for f in follows)
    assert fields["deposit_base"]["source"] == "rsj/unit-staff"
    assert fields["deposit_base"]["value"] == follows[0]["deposit_base"]


async def test_a_changed_locked_name_is_refused_without_echoing_it(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    headers = await sign_in("renter", face=True)
    form = {**rent_withdrawal(PERSONAS["renter"]), "applicant_name": "王晓明明"}
    answer = await client.post(
        "/api/v1/applications", headers=headers, json={"service_code": RENT, "form": form}
    )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem["code"] == "applications.invalid"
    assert problem["invalid_params"] == [{"name": "body.form.applicant_name", "reason": "locked"}]
    assert "王晓明明" not in answer.text
    assert PERSONAS["renter"].id_number not in answer.text


def test_locked_fields_compare_the_id_numbers_check_character_case_insensitively() -> None:
    identity = Identity(name="王晓明", id_number="37020219900101123X", phone="13800000000")
    check_locked_fields(identity, {"applicant_name": " 王晓明", "id_number": "37020219900101123x"})
    check_locked_fields(identity, {"bank_name": "未锁定的字段不受影响"})
    with pytest.raises(InvalidApplication) as refused:
        check_locked_fields(
            identity, {"id_number": "370202199001011234", "legal_representative": "王晓明"}
        )
    assert refused.value.extra == {
        "invalid_params": [{"name": "body.form.id_number", "reason": "locked"}]
    }


async def test_another_enterprises_credit_code_is_refused(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    persona = PERSONAS["kindergarten"]
    headers = await sign_in("kindergarten", enterprise=True)
    other = PERSONAS["hygiene"].enterprise_uscc
    form = {**kindergarten_continuation(persona), "uscc": other}
    answer = await client.post(
        "/api/v1/applications", headers=headers, json={"service_code": KINDERGARTEN, "form": form}
    )
    assert answer.status_code == 422, answer.text
    assert answer.json()["invalid_params"] == [{"name": "body.form.uscc", "reason": "locked"}]


async def test_an_unknown_service_is_404(client: httpx.AsyncClient, sign_in: SignIn) -> None:
    headers = await sign_in("renter")
    answer = await client.get("/api/v1/services/no.such.service/prefill", headers=headers)
    assert answer.status_code == 404, answer.text
    assert answer.json()["code"] == "catalog.service_not_found"


async def test_a_clerk_is_not_an_applicant(
    client: httpx.AsyncClient, world: None, staff_headers: Any
) -> None:
    clerk = await staff_headers("gjj.prefill", StaffRole.CLERK, department="gjj")
    answer = await client.get(f"/api/v1/services/{RENT}/prefill", headers=clerk)
    assert answer.status_code == 403, answer.text
    assert answer.json()["code"] == "applications.not_an_applicant"
