"""Catalog reference data over HTTP: departments, districts, service detail, bundles, summary,
and license types."""

from __future__ import annotations

from typing import Any

import httpx

DISTRICT_CODES = [
    "370202",
    "370203",
    "370211",
    "370212",
    "370213",
    "370214",
    "370215",
    "370281",
    "370283",
    "370285",
]
HOUSE_TRANSFER = "bundle.house-transfer"


async def get_json(client: httpx.AsyncClient, url: str, **params: Any) -> Any:
    response = await client.get(url, params=params)
    assert response.status_code == 200, response.text
    return response.json()


async def test_summary_counts_the_whole_catalog(client: httpx.AsyncClient) -> None:
    summary = await get_json(client, "/api/v1/catalog/summary")
    assert summary["services"] >= 7000
    assert summary["departments"] >= 50
    assert summary["districts"] == 10
    assert summary["license_types"] >= 166
    assert summary["bundles"] >= 1
    assert set(summary["services_by_mode"]) == {"auto", "instant", "manual"}
    assert sum(summary["services_by_mode"].values()) == summary["services"]
    # Search lists a service once, however many districts handle it.
    assert 1000 < summary["distinct_services"] < summary["services"]
    listing = await get_json(client, "/api/v1/services", limit=1)
    assert listing["total"] == summary["distinct_services"]


async def test_departments_are_ordered_and_counted(client: httpx.AsyncClient) -> None:
    page = await get_json(client, "/api/v1/departments")
    departments = page["items"]
    assert page["next_cursor"] is None
    codes = [d["code"] for d in departments]
    assert codes == sorted(codes)
    assert {"gjj", "scjg", "xzsp", "bdc", "water"} <= set(codes)
    gjj = next(d for d in departments if d["code"] == "gjj")
    assert gjj["name"] == "青岛市住房公积金管理中心"
    assert gjj["kind"] == "municipal"
    summary = await get_json(client, "/api/v1/catalog/summary")
    assert sum(d["service_count"] for d in departments) == summary["services"]


async def test_districts_are_the_ten_of_qingdao(client: httpx.AsyncClient) -> None:
    districts = (await get_json(client, "/api/v1/districts"))["items"]
    assert [d["code"] for d in districts] == DISTRICT_CODES
    assert districts[2]["name"] == "黄岛区"
    for district in districts:
        listing = await get_json(client, "/api/v1/services", district=district["code"], limit=1)
        city_wide = listing["total"] - district["service_count"]
        assert district["service_count"] > 0
        assert city_wide > 0


async def test_housing_fund_rent_withdrawal_detail(client: httpx.AsyncClient) -> None:
    detail = await get_json(client, "/api/v1/services/gjj.withdraw.rent")
    assert detail["code"] == "gjj.withdraw.rent"
    assert detail["department"]["code"] == "gjj"
    assert detail["mode"] == "auto"
    assert isinstance(detail["time_limit_days"], int)
    assert detail["realname_level"] in {1, 2, 3}
    assert detail["materials"]
    assert {"code", "name", "name_en", "required", "license_type"} <= set(detail["materials"][0])
    assert detail["form_schema"]["type"] == "object"
    assert detail["form_schema"]["properties"]
    assert "公积金" in detail["keywords"] or any("公积金" in a for a in detail["aliases"])
    assert detail["produces_license"] is None
    assert detail["bundles"] == []


async def test_enterprise_establishment_produces_the_business_license(
    client: httpx.AsyncClient,
) -> None:
    detail = await get_json(client, "/api/v1/services/scjg.enterprise.establish")
    assert detail["produces_license"] == {
        "code": "business-license",
        "name": detail["produces_license"]["name"],
        "name_en": detail["produces_license"]["name_en"],
    }
    assert "营业执照" in detail["produces_license"]["name"]
    assert detail["audience"] == "person", "the founder applies; the enterprise is the outcome"


async def test_unknown_service_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/services/no.such.service")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == "catalog.service_not_found"
    assert body["title"] == "服务事项不存在"
    english = await client.get(
        "/api/v1/services/no.such.service", headers={"Accept-Language": "en"}
    )
    assert english.json()["title"] == "Service not found"


async def test_house_transfer_bundle_lists_its_steps_in_order(client: httpx.AsyncClient) -> None:
    bundle = await get_json(client, f"/api/v1/bundles/{HOUSE_TRANSFER}")
    steps = bundle["steps"]
    assert [s["position"] for s in steps] == list(range(1, len(steps) + 1))
    assert bundle["step_count"] == len(steps) == 8
    assert steps[0]["service"]["code"] == "bdc.transfer.second-hand"
    departments = {s["service"]["department"]["code"] for s in steps}
    assert {"water", "power", "gas", "heat", "catv", "broadband"} <= departments
    listing = await get_json(client, "/api/v1/bundles")
    assert HOUSE_TRANSFER in [b["code"] for b in listing["items"]]
    water = await get_json(client, "/api/v1/services/water.transfer")
    assert water["bundles"] == [
        {
            "code": HOUSE_TRANSFER,
            "name": bundle["name"],
            "name_en": bundle["name_en"],
            "position": 2,
        }
    ]


async def test_unknown_bundle_is_a_404_problem(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/bundles/nope")
    assert response.status_code == 404
    assert response.json()["code"] == "catalog.bundle_not_found"


async def test_license_types_page_through_every_type(client: httpx.AsyncClient) -> None:
    codes: list[str] = []
    cursor = None
    while True:
        params = {"limit": 50, **({"cursor": cursor} if cursor else {})}
        page = await get_json(client, "/api/v1/license-types", **params)
        codes.extend(t["code"] for t in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    summary = await get_json(client, "/api/v1/catalog/summary")
    assert len(codes) == len(set(codes)) == summary["license_types"] >= 166
    assert codes == sorted(codes)


async def test_license_types_filtered_by_issuer(client: httpx.AsyncClient) -> None:
    page = await get_json(client, "/api/v1/license-types", issuer="scjg", limit=100)
    assert page["items"]
    assert {t["issuer"] for t in page["items"]} == {"scjg"}
    response = await client.get("/api/v1/license-types", params={"issuer": "nope"})
    assert response.status_code == 422
    assert response.json()["code"] == "catalog.unknown_department"
    bad_cursor = await client.get("/api/v1/license-types", params={"cursor": "WzEsMl0"})
    assert bad_cursor.json()["code"] == "pagination.invalid_cursor"


async def test_business_license_type(client: httpx.AsyncClient) -> None:
    license_type = await get_json(client, "/api/v1/license-types/business-license")
    assert license_type["holder_kind"] == "enterprise"
    assert license_type["type_code"]
    field_names = {f["name"] for f in license_type["fields"]}
    assert "uscc" in field_names
    response = await client.get("/api/v1/license-types/nope", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    assert response.json()["code"] == "certificates.license_type_not_found"
    assert response.json()["title"] == "License type not found"
