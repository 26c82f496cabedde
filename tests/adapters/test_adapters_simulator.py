"""The simulated departments over HTTP (in-process ASGI): contract, personas, consistency."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from datetime import time as clock_time
from typing import Any

import httpx
import pytest
from exchange_support import simulator_http

from app.adapters.simulator.datasets import DEPARTMENTS
from app.adapters.simulator.population import Population
from app.adapters.simulator.settings import DEFAULT_ADMIN_TOKEN

CODES = {"gaj", "mzj", "rsj", "tax", "ybj", "bdc", "gjj", "scjg", "jyj", "wjw", "court", "sfj",
         "jtj", "zjj", "water", "power", "gas", "heat", "catv", "broadband",
         "citycard"}  # fmt: skip


@pytest.fixture(scope="module")
def population() -> Population:
    return Population()


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    async with simulator_http() as client:
        yield client


def persona_id(population: Population, key: str) -> str:
    return next(p.id_number for p in population.personas if p.key == key)


async def look(sim: httpx.AsyncClient, path: str, subject: dict[str, str], **extra: Any) -> Any:
    response = await sim.post(f"/{path}/lookup", json={"subject": subject, **extra})
    assert response.status_code == 200, response.text
    return response.json()


async def test_auth_and_headers(sim: httpx.AsyncClient) -> None:
    url = "/gaj/datasets"
    assert (await sim.get(url)).status_code == 200
    no_token = await sim.get(url, headers={"Authorization": ""})
    assert no_token.status_code == 401
    assert no_token.headers["content-type"].startswith("application/problem+json")
    assert (await sim.get(url, headers={"Authorization": "Bearer nope"})).status_code == 401
    assert (await sim.get(url, headers={"X-Caller-System": "other"})).status_code == 400
    assert (await sim.get(url, headers={"X-Purpose": ""})).status_code == 400
    assert (await sim.get(url, headers={"X-End-User": ""})).status_code == 400


async def test_a_purpose_not_agreed_is_refused_saying_why(sim: httpx.AsyncClient) -> None:
    lookup = "/jtj/datasets/bus-card-usage/lookup"
    body = {"subject": {"id_number": "370202199001011234"}}
    unknown = await sim.post(lookup, json=body, headers={"X-Purpose": "curiosity"})
    assert unknown.status_code == 403
    assert unknown.json()["code"] == "simulator.purpose_refused"
    assert "curiosity" in unknown.json()["detail"]
    beyond = await sim.post(lookup, json=body, headers={"X-Purpose": "application:20261124000001"})
    assert beyond.status_code == 403
    assert "jtj/bus-card-usage" in beyond.json()["detail"]
    agreed = {"X-Purpose": "pension-qualification-campaign"}
    assert (await sim.post(lookup, json=body, headers=agreed)).status_code == 200


async def test_every_department_lists_its_datasets(sim: httpx.AsyncClient) -> None:
    assert set(DEPARTMENTS) == CODES
    total = 0
    for code in CODES:
        body = (await sim.get(f"/{code}/datasets")).json()
        assert body["department"] == code
        assert body["datasets"]
        assert all(d["subject"] in ("person", "enterprise", "address") for d in body["datasets"])
        total += len(body["datasets"])
    assert total >= 33
    assert (await sim.get("/nope/datasets")).status_code == 404


async def test_lookup_envelope_and_identity(sim: httpx.AsyncClient, population: Population) -> None:
    person = population.person(persona_id_index(population, "renter"))
    body = await look(sim, "gaj/datasets/identity-verification",
                      {"id_number": person.id_number}, name=person.name)  # fmt: skip
    assert body["found"] is True
    assert body["record"] == {"match": True}
    assert body["source"] == "公安局/身份核验"
    checked = datetime.fromisoformat(body["as_of"])  # a check made when asked: as of now
    assert abs((checked - datetime.now(UTC)).total_seconds()) < 60
    wrong = await look(sim, "gaj/datasets/identity-verification",
                       {"id_number": person.id_number}, name="张三")  # fmt: skip
    assert wrong["record"] == {"match": False}
    missing = await sim.post("/gaj/datasets/identity-verification/lookup",
                             json={"subject": {"id_number": person.id_number}})  # fmt: skip
    assert missing.status_code == 422


def persona_id_index(population: Population, key: str) -> int:
    return next(p.index for p in population.personas if p.key == key)


async def test_an_answer_is_as_of_its_record_s_last_change(
    sim: httpx.AsyncClient, population: Population
) -> None:
    people = [population.person(p.index).id_number for p in population.personas[:6]]
    registry = "gaj/datasets/household-registration"
    times = [datetime.fromisoformat((await look(sim, registry, {"id_number": n}))["as_of"])
             for n in people]  # fmt: skip
    assert len(set(times)) == len(times), "each record has its own time"
    assert times[0] == datetime.fromisoformat(
        (await look(sim, registry, {"id_number": people[0]}))["as_of"]
    ), "and keeps it between reads"
    world_end = datetime.combine(population.as_of, clock_time(23, 59), tzinfo=times[0].tzinfo)
    assert all(t <= world_end for t in times)
    assert all(clock_time(8, 30) <= t.time() <= clock_time(17, 30) for t in times)
    posted = await look(sim, "gjj/datasets/fund-contributions", {"id_number": people[0]})
    assert datetime.fromisoformat(posted["as_of"]).date() == population.as_of.replace(day=1)
    batch = await sim.post(f"/{registry}/batch",
                           json={"subjects": [{"id_number": n} for n in people[:2]]})  # fmt: skip
    items = batch.json()["results"]
    assert [datetime.fromisoformat(i["as_of"]) for i in items] == times[:2]
    assert datetime.fromisoformat(batch.json()["as_of"]) == max(times[:2])


async def test_a_change_the_department_made_is_as_of_that_change(
    sim: httpx.AsyncClient, population: Population
) -> None:
    uscc = next(population.enterprise(i).uscc for i in range(50)
                if population.enterprise_active(i))  # fmt: skip
    inspections = "wjw/datasets/hygiene-inspections"
    before = datetime.fromisoformat((await look(sim, inspections, {"uscc": uscc}))["as_of"])
    assert before.date() <= population.as_of
    admin = {"Authorization": f"Bearer {DEFAULT_ADMIN_TOKEN}"}
    recorded = await sim.put(f"/_admin/inspections/{uscc.lower()}",
                             json={"conditions_unchanged": True}, headers=admin)  # fmt: skip
    assert recorded.status_code == 200, recorded.text
    after = datetime.fromisoformat((await look(sim, inspections, {"uscc": uscc}))["as_of"])
    assert abs((after - datetime.now(UTC)).total_seconds()) < 60


async def test_unknown_subject_is_found_false(sim: httpx.AsyncClient) -> None:
    for path, subject in (
        ("gaj/datasets/household-registration", {"id_number": "110101199001011234"}),
        ("scjg/datasets/enterprise-registration", {"uscc": "91370200MA00000000"}),
        ("water/datasets/account-by-address", {"address": "山东省青岛市无此路1号"}),
    ):
        body = await look(sim, path, subject)
        assert body["found"] is False
        assert body["record"] is None


async def test_personas_make_their_scenarios_true(
    sim: httpx.AsyncClient, population: Population
) -> None:
    renter = {"id_number": persona_id(population, "renter")}
    owner = {"id_number": persona_id(population, "flat_owner")}
    dead = {"id_number": persona_id(population, "deceased_pensioner")}
    assert (await look(sim, "bdc/datasets/property-ownership", renter))["record"]["count"] == 0
    assert (await look(sim, "bdc/datasets/property-ownership", owner))["record"]["count"] == 1
    assert (await look(sim, "gjj/datasets/fund-contributions", renter))["record"][
        "consecutive_months"] >= 3  # fmt: skip
    household = (await look(sim, "gaj/datasets/household-registration", dead))["record"]
    assert household["status"] == "注销"
    assert household["cancellation_reason"] == "死亡"
    cremation = await look(sim, "mzj/datasets/cremation-records", dead)
    assert cremation["found"] is True
    assert cremation["record"]["cremated_on"] >= cremation["record"]["date_of_death"]
    assert (await look(sim, "mzj/datasets/cremation-records", renter))["found"] is False
    assert (await look(sim, "wjw/datasets/death-certificates", dead))["found"] is True
    defaulter = {"id_number": persona_id(population, "defaulter")}
    assert (await look(sim, "court/datasets/judgment-defaulters", defaulter))["record"]["listed"]
    assert not (await look(sim, "court/datasets/judgment-defaulters", renter))["record"]["listed"]
    talent = {"id_number": persona_id(population, "talent")}
    degree = (await look(sim, "jyj/datasets/degrees", talent))["record"]
    assert degree["highest_degree"] == "master"
    assert (await look(sim, "rsj/datasets/talent-certification", talent))["record"]["certified"]
    silent = {"id_number": persona_id(population, "silent_pensioner")}
    assert (await look(sim, "ybj/datasets/medical-claims", silent))["record"][
        "last_claim_date"] is None  # fmt: skip
    face = "gaj/datasets/face-verification"
    assert (await look(sim, face, silent, selfie_token="t-1"))["record"]["match"] is True
    assert (await look(sim, face, dead, selfie_token="t-1"))["record"]["match"] is False


async def test_enterprise_datasets_name_the_representative(
    sim: httpx.AsyncClient, population: Population
) -> None:
    printer = next(p for p in population.personas if p.key == "printer")
    assert printer.enterprise_uscc is not None
    body = await look(
        sim, "scjg/datasets/enterprise-registration", {"uscc": printer.enterprise_uscc}
    )
    assert body["record"]["legal_representative_id_number"] == printer.id_number
    assert body["record"]["status"] == "存续"
    hygiene = next(p for p in population.personas if p.key == "hygiene")
    assert hygiene.enterprise_uscc is not None
    permit = await look(sim, "wjw/datasets/hygiene-permits", {"uscc": hygiene.enterprise_uscc})
    assert permit["found"] is True


@pytest.mark.parametrize("index", [3, 1234, 25775, 68470, 99_998])
async def test_address_agrees_across_departments(
    sim: httpx.AsyncClient, population: Population, index: int
) -> None:
    subject = {"id_number": population.person(index).id_number}
    household = (await look(sim, "gaj/datasets/household-registration", subject))["record"]
    address = household["residence_address"]
    owned = (await look(sim, "bdc/datasets/property-ownership", subject))["record"]["properties"]
    for utility in ("water", "power", "gas", "heat", "catv", "broadband", "citycard"):
        body = await look(sim, f"{utility}/datasets/account-by-address", {"address": address})
        assert body["found"] is True
        assert body["record"]["address"] == address
    if owned and any(p["address"] == address for p in owned):
        water = await look(sim, "water/datasets/account-by-address", {"address": address},
                           holder_id_number=subject["id_number"])  # fmt: skip
        assert water["record"]["holder_matches"] is True


async def test_batch_order_and_limit(sim: httpx.AsyncClient, population: Population) -> None:
    subjects = [{"id_number": population.person(i * 97).id_number} for i in range(1000)]
    started = time.perf_counter()
    response = await sim.post(
        "/rsj/datasets/pension-entitlement/batch", json={"subjects": subjects}
    )
    assert response.status_code == 200
    assert time.perf_counter() - started < 1.0
    results = response.json()["results"]
    assert [r["subject"] for r in results] == subjects
    assert all(r["found"] for r in results)
    too_many = [*subjects, subjects[0]]
    response = await sim.post(
        "/rsj/datasets/pension-entitlement/batch", json={"subjects": too_many}
    )
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_transfer_is_idempotent(sim: httpx.AsyncClient, population: Population) -> None:
    seller = population.person(persona_id_index(population, "seller"))
    buyer = persona_id(population, "buyer")
    address = seller.properties[0].address
    before = await look(sim, "gas/datasets/account-by-address", {"address": address})
    account = before["record"]["account_no"]
    body = {"new_holder_id_number": buyer, "effective_date": "2026-12-01"}
    first = await sim.post(f"/gas/accounts/{account}/transfer", json=body)
    assert first.status_code == 200, first.text
    second = await sim.post(f"/gas/accounts/{account}/transfer", json=body)
    assert second.json() == first.json()
    assert first.json()["new_holder_id_number_masked"].endswith(buyer[-4:])
    after = await look(sim, "gas/datasets/account-by-address", {"address": address},
                       holder_id_number=buyer)  # fmt: skip
    assert after["record"]["holder_matches"] is True
    unknown = await sim.post("/gas/accounts/RQ000/transfer", json=body)
    assert unknown.status_code == 404
