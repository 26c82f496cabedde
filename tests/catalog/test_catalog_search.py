"""Catalog search over HTTP: matching, relevance order, filters, pagination and its errors."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from app.services.catalog.search_terms import alternatives

SERVICES = "/api/v1/services"


async def search(client: httpx.AsyncClient, **params: Any) -> dict[str, Any]:
    response = await client.get(SERVICES, params=params)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def walk(client: httpx.AsyncClient, **params: Any) -> tuple[list[dict[str, Any]], int]:
    """Every item of a query, page by page; also the total every page reported."""
    items: list[dict[str, Any]] = []
    totals: set[int] = set()
    cursor = None
    for _ in range(1000):
        page = await search(client, **params, **({"cursor": cursor} if cursor else {}))
        items.extend(page["items"])
        totals.add(page["total"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(totals) == 1, totals
    return items, totals.pop()


async def title_levels(
    client: httpx.AsyncClient, items: list[dict[str, Any]], terms: list[str]
) -> list[int]:
    """The documented relevance level of each item, recomputed from its name and aliases:
    0 the exact name, 1 every term as typed in the title, 2 counting synonyms, 3 keywords only."""
    levels = []
    for item in items:
        detail = (await client.get(f"{SERVICES}/{item['code']}")).json()
        titles = [detail["name"].lower(), *(alias.lower() for alias in detail["aliases"])]
        if detail["name"].lower() == " ".join(terms):
            levels.append(0)
        elif all(any(t in title for title in titles) for t in terms):
            levels.append(1)
        elif all(any(a in title for a in alternatives(t) for title in titles) for t in terms):
            levels.append(2)
        else:
            levels.append(3)
    return levels


async def assert_relevance_order(
    client: httpx.AsyncClient, items: list[dict[str, Any]], terms: list[str]
) -> list[int]:
    levels = await title_levels(client, items, terms)
    assert levels == sorted(levels)
    return levels


async def test_housing_fund_query_lists_only_housing_fund_services(
    client: httpx.AsyncClient,
) -> None:
    items, total = await walk(client, q="公积金", limit=100)
    assert len(items) == total >= 47
    assert {item["department"]["code"] for item in items} == {"gjj"}
    codes = {item["code"] for item in items}
    assert {"gjj.withdraw.rent", "gjj.loan.apply", "gjj.account.open"} <= codes


async def test_exact_name_comes_first(client: httpx.AsyncClient) -> None:
    detail = (await client.get(f"{SERVICES}/gjj.withdraw.rent")).json()
    page = await search(client, q=detail["name"])
    assert page["items"][0]["code"] == "gjj.withdraw.rent"


async def test_title_matches_come_before_keyword_matches(client: httpx.AsyncClient) -> None:
    items, _ = await walk(client, q="不动产", limit=100)
    levels = await assert_relevance_order(client, items, ["不动产"])
    # The query must exercise both a title and a keyword level for the order to mean anything.
    assert {1, 3} <= set(levels)


async def test_alias_matches_count_as_title_matches(client: httpx.AsyncClient) -> None:
    # "开公司" is an alias of enterprise establishment, not part of any name.
    items, _ = await walk(client, q="开公司", limit=100)
    assert items[0]["code"] == "scjg.enterprise.establish"
    await assert_relevance_order(client, items, ["开公司"])


async def test_every_term_must_match(client: httpx.AsyncClient) -> None:
    both, total_both = await walk(client, q="不动产 登记", limit=100)
    _, total_estate = await walk(client, q="不动产", limit=100)
    _, total_register = await walk(client, q="登记", limit=100)
    assert 0 < total_both < min(total_estate, total_register)
    codes = [item["code"] for item in both]
    # "二手房转移登记" has 不动产 among its keywords and 登记 in its name.
    assert "bdc.transfer.second-hand" in codes
    await assert_relevance_order(client, both, ["不动产", "登记"])
    # Extra whitespace changes nothing.
    again, _ = await walk(client, q="  不动产   登记 ", limit=100)
    assert [item["code"] for item in again] == codes
    fund, _ = await walk(client, q="公积金 提取", limit=100)
    assert "gjj.withdraw.rent" in {item["code"] for item in fund}
    assert "gjj.loan.apply" not in {item["code"] for item in fund}


async def test_pagination_walks_all_results_without_duplicates_or_gaps(
    client: httpx.AsyncClient,
) -> None:
    small, total = await walk(client, q="登记", limit=7)
    large, total_large = await walk(client, q="登记", limit=100)
    codes = [item["code"] for item in small]
    assert total == total_large == len(codes) > 7
    assert len(set(codes)) == len(codes)
    assert codes == [item["code"] for item in large]


async def test_pagination_over_a_filtered_listing(client: httpx.AsyncClient) -> None:
    items, total = await walk(client, district="370285", limit=100)
    codes = [item["code"] for item in items]
    assert len(codes) == len(set(codes)) == total
    assert codes == sorted(codes)  # no query: ordered by code


async def test_summary_fields_of_a_listed_service(client: httpx.AsyncClient) -> None:
    page = await search(client, q="企业设立登记")
    first = page["items"][0]
    assert first["code"] == "scjg.enterprise.establish"
    assert first["produces_license"]["code"] == "business-license"
    assert first["department"]["name"]
    assert first["mode"] in {"auto", "instant", "manual"}
    assert {"time_limit_days", "realname_level", "district", "name_en"} <= set(first)


async def test_department_filter(client: httpx.AsyncClient) -> None:
    items, total = await walk(client, department="gjj", limit=100)
    assert total >= 47
    assert {item["department"]["code"] for item in items} == {"gjj"}
    departments = (await client.get("/api/v1/departments")).json()["items"]
    gjj = next(d for d in departments if d["code"] == "gjj")
    assert gjj["service_count"] == total


async def test_district_filter_picks_the_district_copies_and_keeps_city_wide_services(
    client: httpx.AsyncClient,
) -> None:
    items, total = await walk(client, q="许可", district="370211", limit=100)
    districts = {item["district"]["code"] if item["district"] else None for item in items}
    assert districts == {"370211", None}
    for item in items:
        if item["district"]:
            assert item["code"] in {copy["code"] for copy in item["district_copies"]}
    # The same services, each once, with or without a district.
    everywhere, total_everywhere = await walk(client, q="许可", limit=100)
    assert total == total_everywhere
    assert {item["district"] for item in everywhere} == {None}


async def test_mode_filter_combines_with_query(client: httpx.AsyncClient) -> None:
    items, total = await walk(client, q="公积金", mode="auto", limit=100)
    _, total_all = await walk(client, q="公积金", limit=100)
    assert 0 < total < total_all
    assert {item["mode"] for item in items} == {"auto"}
    assert {item["department"]["code"] for item in items} == {"gjj"}


async def test_like_wildcards_are_literal(client: httpx.AsyncClient) -> None:
    assert (await search(client))["total"] > 1000
    for q in ("%", "_", "公积%", "公_金", "\\"):
        page = await search(client, q=q)
        assert page["total"] == 0, q
        assert page["items"] == []


async def test_no_match_is_an_empty_page(client: httpx.AsyncClient) -> None:
    page = await search(client, q="不存在的事项名称")
    assert page == {"items": [], "next_cursor": None, "total": 0}


@pytest.mark.parametrize(
    ("params", "code", "param_name"),
    [
        ({"limit": "0"}, "request.invalid", "query.limit"),
        ({"limit": "101"}, "request.invalid", "query.limit"),
        ({"limit": "many"}, "request.invalid", "query.limit"),
        ({"q": "公" * 51}, "request.invalid", "query.q"),
        ({"mode": "fast"}, "request.invalid", "query.mode"),
        ({"department": "nope"}, "catalog.unknown_department", "query.department"),
        ({"district": "370299"}, "catalog.unknown_district", "query.district"),
    ],
)
async def test_bad_parameters_are_422_problems(
    client: httpx.AsyncClient, params: dict[str, str], code: str, param_name: str
) -> None:
    response = await client.get(SERVICES, params=params)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    assert body["code"] == code
    assert param_name in [p["name"] for p in body["invalid_params"]]


@pytest.mark.parametrize("cursor", ["garbage!", "WyJhIl0", "e30", "W10"])
async def test_malformed_cursor_is_422(client: httpx.AsyncClient, cursor: str) -> None:
    response = await client.get(SERVICES, params={"q": "登记", "cursor": cursor})
    assert response.status_code == 422
    assert response.json()["code"] == "pagination.invalid_cursor"


async def test_cursor_of_another_query_is_rejected(client: httpx.AsyncClient) -> None:
    page = await search(client, q="登记", limit=5)
    assert page["next_cursor"]
    response = await client.get(SERVICES, params={"q": "许可", "cursor": page["next_cursor"]})
    assert response.status_code == 422
    assert response.json()["code"] == "pagination.invalid_cursor"
    same = await client.get(
        SERVICES, params={"q": "登记", "limit": 5, "cursor": page["next_cursor"]}
    )
    assert same.status_code == 200


async def test_errors_speak_english_when_asked(client: httpx.AsyncClient) -> None:
    zh = await client.get(SERVICES, params={"department": "nope"})
    en = await client.get(
        SERVICES, params={"department": "nope"}, headers={"Accept-Language": "en-US,en;q=0.9"}
    )
    assert zh.json()["title"] == "部门不存在"
    assert en.json()["title"] == "Unknown department"
    assert "nope" in en.json()["detail"]
