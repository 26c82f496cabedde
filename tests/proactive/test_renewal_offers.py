"""Renewal offers (无感审批): the daily scan offers the hygiene and kindergarten owners the
renewal of their expiring licenses; one tap renews (new version in the wallet, the old one
superseded, the case in their list with its explanation); declined and ineligible offers say
why; offers lapse with the license; only the holder, with a token that is theirs, answers."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest
from client_support import client_credentials_headers
from offer_support import Headers, demo_texts, offers, run_due, the_offer
from persona_support import PERSONAS, SignIn

from app.config import Settings
from app.db import Database
from app.proactive.offers import service
from app.proactive.offers.errors import OfferNotEligible

HYGIENE = "wjw.hygiene-permit.renew"
KINDERGARTEN = "jyj.kindergarten-licence.continue"
WORLD_DAY = date(2026, 11, 24)

pytestmark = pytest.mark.usefixtures("world")


async def _verify(client: httpx.AsyncClient, license_no: str, holder: str) -> dict[str, Any]:
    answer = await client.post(
        "/api/v1/licenses/verify", json={"license_no": license_no, "holder_name": holder}
    )
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


async def test_both_personas_get_an_offer_told_in_the_inbox_and_by_text(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    texts_before = await demo_texts(database)
    await run_due(database, settings, monkeypatch)
    hygiene = await the_offer(client, await sign_in("hygiene"))
    assert hygiene["status"] == "open"
    assert hygiene["license_type"] == "hygiene-permit"
    assert hygiene["expires_on"] == (WORLD_DAY + timedelta(days=30)).isoformat()
    assert hygiene["service"] == {"code": HYGIENE, "link": f"/api/v1/services/{HYGIENE}"}
    assert hygiene["holder_uscc"] == PERSONAS["hygiene"].enterprise_uscc
    assert hygiene["reasons"] == []
    assert [c["field"] for c in hygiene["commitments"]] == ["conditions_unchanged"]
    assert "一键换证" in hygiene["message"]
    school = await the_offer(client, await sign_in("kindergarten"))
    assert school["status"] == "open"
    assert school["license_type"] == "kindergarten-licence"
    assert school["expires_on"] == (WORLD_DAY + timedelta(days=45)).isoformat()
    # Told once each, in the inbox (acting or not, the person's own) and by text.
    inbox = await client.get("/api/v1/me/messages", headers=await sign_in("hygiene"))
    kinds = [m["event_type"] for m in inbox.json()["items"]]
    assert kinds.count("offer.made") == 1
    assert inbox.json()["items"][kinds.index("offer.made")]["link"] == "/api/v1/me/offers"
    texts = (await demo_texts(database))[len(texts_before) :]
    assert sum("一键换证" in text for text in texts) == 2
    # A second run (the next day's, or a concurrent worker's) offers nothing new.
    async with database.session() as session:
        again = await service.scan(session, settings)
    assert (again.offered, again.ineligible) == (0, 0)
    assert len(await offers(client, await sign_in("hygiene"))) == 1
    # Others have none.
    assert await offers(client, await sign_in("renter")) == []


async def test_one_tap_renews_the_permit_and_files_the_explained_case(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await run_due(database, settings, monkeypatch)
    person = await sign_in("hygiene")
    offer = await the_offer(client, person)
    holder = PERSONAS["hygiene"]
    old = offer["license_no"]

    accepted = await client.post(f"/api/v1/me/offers/{offer['id']}/accept", headers=person)
    assert accepted.status_code == 200, accepted.text
    body = accepted.json()
    assert body["status"] == "accepted"
    assert body["application_number"]
    assert body["application_id"]
    new = body["renewed_license_no"]
    assert new
    assert new != old

    firm = await sign_in("hygiene", enterprise=True)
    wallet = await client.get("/api/v1/me/licenses", headers=firm)
    permits = [i for i in wallet.json()["items"] if i["type"]["code"] == "hygiene-permit"]
    assert [(p["license_no"], p["version"], p["supersedes"]) for p in permits] == [(new, 2, old)]
    assert date.fromisoformat(permits[0]["valid_until"]) > WORLD_DAY + timedelta(days=30)

    firm_name = permits[0]["holder"]["name"]
    renewed = await _verify(client, new, firm_name)
    assert renewed["result"] == "valid"
    superseded = await _verify(client, old, firm_name)
    assert superseded["result"] == "invalid"
    assert superseded["license"]["status"] == "superseded"
    assert [r["code"] for r in superseded["reasons"]] == ["superseded"]

    cases = await client.get("/api/v1/applications", headers=firm)
    listed = [c for c in cases.json()["items"] if c["id"] == body["application_id"]]
    assert listed
    assert listed[0]["status"] == "approved"
    assert listed[0]["service"]["code"] == HYGIENE
    case = await client.get(f"/api/v1/applications/{body['application_id']}", headers=firm)
    assert case.status_code == 200, case.text
    decision = case.json()["decision"]
    assert decision["outcome"] == "approve"
    assert {c["id"]: c["result"] for c in decision["criteria"]}["renewal_window"] == "passed"
    assert all(c["result"] == "passed" for c in decision["criteria"])
    assert case.json()["license_no"] == new
    assert "一键确认换证" in case.json()["timeline"][0]["note"]
    assert holder.enterprise_uscc == case.json()["applicant_uscc"]

    again = await client.post(f"/api/v1/me/offers/{offer['id']}/accept", headers=person)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    assert again.json()["code"] == "offers.already_accepted"


async def test_concurrent_taps_renew_once(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await run_due(database, settings, monkeypatch)
    person = await sign_in("kindergarten")
    offer = await the_offer(client, person)
    url = f"/api/v1/me/offers/{offer['id']}/accept"
    answers = await asyncio.gather(*(client.post(url, headers=person) for _ in range(4)))
    codes = sorted(a.status_code for a in answers)
    assert codes == [200, 409, 409, 409], [a.text for a in answers]
    assert {a.json()["code"] for a in answers if a.status_code == 409} == {
        "offers.already_accepted"
    }
    firm = await sign_in("kindergarten", enterprise=True)
    wallet = await client.get("/api/v1/me/licenses", headers=firm)
    licences = [i for i in wallet.json()["items"] if i["type"]["code"] == "kindergarten-licence"]
    assert [lic["version"] for lic in licences] == [2]
    cases = await client.get("/api/v1/applications", headers=firm)
    assert [c["service"]["code"] for c in cases.json()["items"]].count(KINDERGARTEN) == 1


async def test_declining_says_why_and_closes_the_offer(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    await run_due(database, settings, monkeypatch)
    person = await sign_in("kindergarten")
    offer = await the_offer(client, person)
    url = f"/api/v1/me/offers/{offer['id']}"
    empty = await client.post(f"{url}/decline", headers=person, json={"reason": ""})
    assert empty.status_code == 422
    declined = await client.post(f"{url}/decline", headers=person, json={"reason": "幼儿园将停办"})
    assert declined.status_code == 200, declined.text
    assert declined.json()["status"] == "declined"
    assert declined.json()["decline_reason"] == "幼儿园将停办"
    assert "幼儿园将停办" in declined.json()["message"]
    listed = await the_offer(client, person)
    assert listed["status"] == "declined"
    late = await client.post(f"{url}/accept", headers=person)
    assert late.status_code == 409
    assert late.json()["code"] == "offers.declined"
    english = await client.post(f"{url}/accept", headers={**person, "Accept-Language": "en"})
    assert english.json()["title"] == "The offer was declined"
    # The licence stays as it was.
    firm = await sign_in("kindergarten", enterprise=True)
    wallet = await client.get("/api/v1/me/licenses", headers=firm)
    versions = [
        i["version"] for i in wallet.json()["items"] if i["type"]["code"] == "kindergarten-licence"
    ]
    assert versions == [1]


async def test_an_ineligible_license_names_the_reason_and_the_service(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
) -> None:
    # Looked at 70 days earlier with a 120-day window, the permit is 100 days from its last
    # day: outside the ruleset's 90-day renewal window.
    async with database.session() as session:
        found = await service.scan(
            session, settings, on=WORLD_DAY - timedelta(days=70), window_days=120
        )
    assert found.ineligible == 2
    assert found.offered == 0
    person = await sign_in("hygiene")
    offer = await the_offer(client, person)
    assert offer["status"] == "ineligible"
    assert [r["id"] for r in offer["reasons"]] == ["renewal_window"]
    assert offer["reasons"][0]["title"] == "在许可证有效期届满前90日内申请"
    assert HYGIENE in offer["message"]
    assert "在许可证有效期届满前90日内申请" in offer["message"]
    assert offer["service"]["link"] == f"/api/v1/services/{HYGIENE}"
    english = await client.get("/api/v1/me/offers", headers={**person, "Accept-Language": "en"})
    assert "Applied for within the last 90 days" in english.json()["items"][0]["message"]
    refused = await client.post(f"/api/v1/me/offers/{offer['id']}/accept", headers=person)
    assert refused.status_code == 409
    assert refused.json()["code"] == OfferNotEligible.code
    assert refused.json()["service_code"] == HYGIENE
    # On its day the scan finds the same license eligible: the finding becomes the offer.
    async with database.session() as session:
        today = await service.scan(session, settings)
    assert today.offered == 2
    assert (await the_offer(client, person))["status"] == "open"


async def test_an_offer_lapses_with_the_license(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    travel: Any,
) -> None:
    await run_due(database, settings, monkeypatch)
    person = await sign_in("hygiene")
    offer = await the_offer(client, person)
    travel("2026-12-25T09:00:00+08:00")  # the permit's last day was 2026-12-24
    person = await sign_in("hygiene")  # the morning's token expired meanwhile
    listed = await the_offer(client, person)
    assert listed["status"] == "expired"
    assert HYGIENE in listed["message"]
    late = await client.post(f"/api/v1/me/offers/{offer['id']}/accept", headers=person)
    assert late.status_code == 409
    assert late.json()["code"] == "offers.expired"


async def test_only_the_holder_answers_with_a_token_of_their_own(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    admin_headers: Headers,
) -> None:
    await run_due(database, settings, monkeypatch)
    offer = await the_offer(client, await sign_in("hygiene"))
    url = f"/api/v1/me/offers/{offer['id']}"
    stranger = await sign_in("kindergarten")
    for action, body in (("accept", None), ("decline", {"reason": "不要"})):
        stolen = await client.post(f"{url}/{action}", headers=stranger, json=body)
        assert stolen.status_code == 404, stolen.text
        assert stolen.json()["code"] == "offers.not_found"
    assert (await client.post(f"{url}/accept")).status_code == 401
    partner = await client_credentials_headers(
        client, admin_headers, {"name": "合作方系统", "kind": "partner", "scopes": []}
    )
    for headers in (partner, admin_headers):
        refused = await client.post(f"{url}/accept", headers=headers)
        assert refused.status_code == 403, refused.text
        assert (await client.get("/api/v1/me/offers", headers=headers)).status_code == 403
    # Still open for its holder, acting for the enterprise or not.
    acting = await sign_in("hygiene", enterprise=True)
    assert (await the_offer(client, acting))["status"] == "open"


async def test_an_open_counter_application_stops_the_tap_without_using_the_offer(
    client: httpx.AsyncClient,
    sign_in: SignIn,
    database: Database,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from application_forms import kindergarten_continuation
    from persona_support import submitted

    await run_due(database, settings, monkeypatch)
    person = await sign_in("kindergarten")
    offer = await the_offer(client, person)
    firm = await sign_in("kindergarten", enterprise=True)
    case = await submitted(
        client, firm, KINDERGARTEN, kindergarten_continuation(PERSONAS["kindergarten"])
    )
    assert case["status"] == "pending_review"  # at the counter, a clerk decides
    tapped = await client.post(f"/api/v1/me/offers/{offer['id']}/accept", headers=person)
    assert tapped.status_code == 409
    assert tapped.json()["code"] == "applications.open_case_exists"
    assert (await the_offer(client, person))["status"] == "open"
