"""Search for a signed-in citizen: their district's copy, and the services most applied for."""

from __future__ import annotations

from typing import Any

import httpx
from persona_support import Headers, SignIn
from service_support import apply

from app.db import Database
from app.services.applications import service as applications

SERVICES = "/api/v1/services"


async def first(client: httpx.AsyncClient, headers: Headers | None = None, **params: Any) -> Any:
    response = await client.get(SERVICES, params=params, headers=headers or {})
    assert response.status_code == 200, response.text
    return response.json()["items"][0]


async def household_reads(client: httpx.AsyncClient, headers: Headers) -> list[dict[str, Any]]:
    log = (await client.get("/api/v1/me/data-access-log", headers=headers)).json()["items"]
    return [item for item in log if item["dataset"] == "household-registration"]


async def test_a_citizen_sees_the_copy_of_the_district_they_live_in(
    client: httpx.AsyncClient, sign_in: SignIn
) -> None:
    # 张思远's ID number was issued outside Qingdao (370602); he lives in Jiaozhou (370281).
    talent = await sign_in("talent")
    assert (await first(client, q="营业执照补领"))["code"] == "xzsp.t009"
    mine = await first(client, talent, q="营业执照补领")
    assert mine["code"] == "xzsp.t009.370281"
    assert mine["district"]["name"] == "胶州市"
    # A district asked for explicitly wins over the residence.
    chosen = await first(client, talent, q="营业执照补领", district="370211")
    assert chosen["code"] == "xzsp.t009.370211"
    # Reading the residence is in his data-access log, with its purpose, once per while.
    await first(client, talent, q="营业执照")
    reads = await household_reads(client, talent)
    assert len(reads) == 1
    assert reads[0]["purpose"] == "citizen-self-service"
    assert reads[0]["department"] == "gaj"


async def test_a_bad_token_is_401_not_an_anonymous_search(client: httpx.AsyncClient) -> None:
    response = await client.get(
        SERVICES, params={"q": "公积金"}, headers={"Authorization": "Bearer nonsense"}
    )
    assert response.status_code == 401


async def test_applications_filed_break_ties(
    client: httpx.AsyncClient, sign_in: SignIn, database: Database
) -> None:
    # Four family-reunion settlements match 落户 equally (in the name, none high-frequency):
    # by code until one is applied for.
    before = [
        item["code"] for item in (await client.get(SERVICES, params={"q": "落户"})).json()["items"]
    ]
    assert before.index("gaj.t008") < before.index("gaj.t011")
    talent = await sign_in("talent")
    # An application for a district's copy counts for the service.
    answer = await apply(client, talent, "gaj.t011.370281")
    assert answer.status_code == 201, answer.text
    async with database.session() as session:
        assert await applications.refresh_search_popularity(session) == 1
    after = [
        item["code"] for item in (await client.get(SERVICES, params={"q": "落户"})).json()["items"]
    ]
    assert after.index("gaj.t011") < after.index("gaj.t008")
    # The high-frequency service still leads.
    assert after[0] == "rsj.talent-settlement"
