"""Search that finds (issue 14): what people type brings the service they mean to the top.

Through the public API only: relevance levels, the high-frequency list, synonyms, pinyin and
initials, and one result per service however many districts handle it.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

SERVICES = "/api/v1/services"


async def codes(client: httpx.AsyncClient, q: str, **params: Any) -> list[str]:
    response = await client.get(SERVICES, params={"q": q, "limit": 100, **params})
    assert response.status_code == 200, response.text
    return [item["code"] for item in response.json()["items"]]


async def test_housing_fund_puts_withdrawals_and_accounts_first(
    client: httpx.AsyncClient,
) -> None:
    found = await codes(client, "公积金")
    assert found[0] == "gjj.withdraw.rent"
    # The withdrawals and the accounts they are paid from lead; loans and the rest follow.
    head = found[:12]
    assert all(code.startswith(("gjj.withdraw.", "gjj.account.")) for code in head), head
    assert {"gjj.withdraw.purchase", "gjj.withdraw.retirement", "gjj.account.open"} <= set(head)
    assert len(found) >= 47


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("营业执照", "scjg.enterprise.establish"),
        ("落户", "rsj.talent-settlement"),
    ],
)
async def test_acceptance_queries_bring_the_service_into_the_top_three(
    client: httpx.AsyncClient, q: str, expected: str
) -> None:
    assert expected in (await codes(client, q))[:3]


@pytest.mark.parametrize("q", ["gjj", "gongjijin", "GJJ", "zhufanggongjijin"])
async def test_pinyin_and_initials_find_the_housing_fund(client: httpx.AsyncClient, q: str) -> None:
    found = await codes(client, q)
    assert found[0] == "gjj.withdraw.rent"
    assert all(code.startswith("gjj.") for code in found[:20])


async def test_initials_of_an_alias_find_the_service(client: httpx.AsyncClient) -> None:
    # 开公司 (an alias of 企业设立登记) → kgs; 人才落户 → rcluo is no initial, rclh is.
    assert (await codes(client, "kgs"))[0] == "scjg.enterprise.establish"
    assert (await codes(client, "rclh"))[0] == "rsj.talent-settlement"


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        # 取公积金 ≈ 提取: every withdrawal, none of the loans.
        ("取公积金", "gjj.withdraw.rent"),
        ("执照", "scjg.enterprise.establish"),
        ("户口", "rsj.talent-settlement"),
        ("房本 过户", "bdc.transfer.second-hand"),
    ],
)
async def test_synonyms_find_what_the_catalog_names_otherwise(
    client: httpx.AsyncClient, q: str, expected: str
) -> None:
    assert expected in (await codes(client, q))[:3]


async def test_a_match_as_typed_ranks_before_a_match_through_a_synonym(
    client: httpx.AsyncClient,
) -> None:
    # 户口 is typed in the alias 迁户口 of talent settlement; 落户 (its synonym) is in the name
    # of the family-reunion settlements, which come after it.
    found = await codes(client, "户口")
    assert found.index("rsj.talent-settlement") < found.index("gaj.t008")


# What the README's personas come to the platform for, as they would type it.
PERSONA_QUERIES = [
    ("租房提取公积金", "gjj.withdraw.rent"),  # renter, flat_owner
    ("租房提取", "gjj.withdraw.rent"),
    ("人才落户", "rsj.talent-settlement"),  # talent
    ("印刷", "xzsp.printing.establish"),  # printer
    ("开公司", "scjg.enterprise.establish"),
    ("卫生许可证换证", "wjw.hygiene-permit.renew"),  # hygiene
    ("卫生许可", "wjw.hygiene-permit.renew"),
    ("幼儿园", "jyj.kindergarten-licence.continue"),  # kindergarten
    ("养老金认证", "rsj.pension.qualification"),  # pensioners
    ("二手房过户", "bdc.transfer.second-hand"),  # seller, buyer
    ("水表过户", "water.transfer"),
    ("购房提取", "gjj.withdraw.purchase"),  # homebuyer
    ("二手房提取公积金", "gjj.withdraw.purchase-second-hand"),  # resale_buyer
    ("退休提取", "gjj.withdraw.retirement"),  # retiree
    ("公积金贷款结清证明", "gjj.loan.settlement-certificate"),
    ("公积金贷款", "gjj.loan.apply"),  # borrower
    ("提前还款", "gjj.loan.prepay"),
    ("低保提取", "gjj.withdraw.subsistence"),  # low_income
    ("灵活就业 公积金", "gjj.withdraw.flexible"),  # gig_worker
    ("公租房", "gjj.withdraw.public-rental"),  # public_tenant
    ("公积金开户", "gjj.account.open"),  # new_hire
]


@pytest.mark.parametrize(("q", "expected"), PERSONA_QUERIES)
async def test_persona_queries_bring_their_service_into_the_top_three(
    client: httpx.AsyncClient, q: str, expected: str
) -> None:
    assert expected in (await codes(client, q))[:3]


async def test_district_copies_collapse_into_one_result(client: httpx.AsyncClient) -> None:
    page = (await client.get(SERVICES, params={"q": "营业执照补领"})).json()
    assert page["total"] == 1
    [item] = page["items"]
    assert item["code"] == "xzsp.t009"
    assert item["district"] is None
    copies = item["district_copies"]
    assert len(copies) == 10
    assert {copy["code"] for copy in copies} == {
        f"xzsp.t009.{copy['district']['code']}" for copy in copies
    }
    assert copies[0]["district"]["name"] == "市南区"


async def test_a_district_picks_its_copy(client: httpx.AsyncClient) -> None:
    page = (await client.get(SERVICES, params={"q": "营业执照补领", "district": "370211"})).json()
    [item] = page["items"]
    assert item["code"] == "xzsp.t009.370211"
    assert item["district"]["name"] == "黄岛区"
    assert len(item["district_copies"]) == 10
    detail = (await client.get(f"{SERVICES}/xzsp.t009.370211")).json()
    assert detail["district"]["code"] == "370211"
    assert len(detail["district_copies"]) == 10


async def test_no_service_is_listed_twice(client: httpx.AsyncClient) -> None:
    names: list[tuple[str, str]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"q": "许可", "limit": 100}
        if cursor:
            params["cursor"] = cursor
        page = (await client.get(SERVICES, params=params)).json()
        names += [(item["department"]["code"], item["name"]) for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(names) == len(set(names)) == page["total"]
