"""The simulator's look-ups answered before the router (app/adapters/simulator/fast.py): the same
answer as the route's, and every look-up the route refuses is refused as the route refuses it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from exchange_support import simulator_http
from starlette.types import Receive, Scope, Send

from app.adapters.simulator.endpoints import create_simulator_app
from app.adapters.simulator.fast import FastLookupMiddleware
from app.adapters.simulator.population import Population
from app.adapters.simulator.settings import SimulatorSettings

# The route reads a body of any JSON content type; the fast path only `application/json`, so
# this one always reaches the route: the reference the fast path is held to.
ROUTED = {"Content-Type": "application/json; charset=utf-8"}


@pytest.fixture
async def sim() -> AsyncIterator[httpx.AsyncClient]:
    async with simulator_http() as client:
        yield client


async def both(
    sim: httpx.AsyncClient, path: str, body: Any, **headers: str
) -> tuple[httpx.Response, httpx.Response]:
    """The answer of the fast path (if it takes the request) and the route's."""
    fast = await sim.post(path, json=body, headers=headers)
    routed = await sim.post(path, json=body, headers={**headers, **ROUTED})
    return fast, routed


async def test_a_look_up_is_answered_as_the_route_answers_it(sim: httpx.AsyncClient) -> None:
    renter = next(p for p in Population().personas if p.key == "renter")
    for path in ("/gjj/datasets/fund-account/lookup", "/bdc/datasets/property-ownership/lookup",
                 "/court/datasets/judgment-defaulters/lookup"):  # fmt: skip
        fast, routed = await both(sim, path, {"subject": {"id_number": renter.id_number}})
        assert fast.status_code == routed.status_code == 200, fast.text
        assert fast.json() == routed.json()
        assert fast.json()["found"] is True
        assert fast.headers["content-type"] == routed.headers["content-type"]
        assert fast.headers["content-length"] == str(len(fast.content))
    unknown, routed = await both(sim, "/gjj/datasets/fund-account/lookup",
                                 {"subject": {"id_number": "370202199001011234"}})  # fmt: skip
    assert unknown.json() == routed.json()
    assert unknown.json()["found"] is False
    # Every one counted as the department's, whoever answered it.
    admin = {"Authorization": f"Bearer {SimulatorSettings().admin_token}"}
    stats = (await sim.get("/_admin/stats", headers=admin)).json()
    assert stats["departments"]["gjj"]["total"] == 4


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "code"),
    [
        # No purpose may read a department that does not exist.
        ("/nope/datasets/x/lookup", {"subject": {"id_number": "1"}}, {}, 403,
         "simulator.purpose_refused"),
        ("/gjj/datasets/nope/lookup", {"subject": {"id_number": "1"}}, {}, 404,
         "simulator.dataset_unknown"),
        ("/gjj/datasets/fund-account/lookup", {"subject": {"id_number": "1"}},
         {"Authorization": "Bearer nope"}, 401, "simulator.unauthenticated"),
        ("/gjj/datasets/fund-account/lookup", {"subject": {"id_number": "1"}},
         {"X-Caller-System": "other"}, 400, "simulator.caller_mismatch"),
        ("/gjj/datasets/fund-account/lookup", {"subject": {"id_number": "1"}},
         {"X-Purpose": "curiosity"}, 403, "simulator.purpose_refused"),
        ("/gjj/datasets/fund-account/lookup", {"subject": {"uscc": "x"}}, {}, 422,
         "request.invalid"),
        ("/gjj/datasets/fund-account/lookup", {"nobody": 1}, {}, 422, "request.invalid"),
        ("/gjj/datasets/fund-account/lookup", [1, 2], {}, 422, "request.invalid"),
    ],
)  # fmt: skip
async def test_a_look_up_the_route_refuses_is_refused_as_the_route_refuses_it(
    sim: httpx.AsyncClient,
    path: str,
    body: Any,
    headers: dict[str, str],
    status: int,
    code: str,
) -> None:
    fast, routed = await both(sim, path, body, **headers)
    assert fast.status_code == routed.status_code == status, fast.text
    assert fast.json() == routed.json()
    assert fast.json()["code"] == code


async def test_a_body_that_is_not_json_is_refused_by_the_route(sim: httpx.AsyncClient) -> None:
    path = "/gjj/datasets/fund-account/lookup"
    json_type = {"Content-Type": "application/json"}
    response = await sim.post(path, content=b"{not json", headers=json_type)
    assert response.status_code == 422
    assert response.json()["code"] == "request.invalid"
    # The route's other methods and the batch route are the router's, as before.
    assert (await sim.get(path)).status_code == 405
    batch = await sim.post("/gjj/datasets/fund-account/batch",
                           json={"subjects": [{"id_number": "370202199001011234"}]})  # fmt: skip
    assert batch.status_code == 200, batch.text


async def test_only_what_the_fast_path_cannot_grant_reaches_the_router() -> None:
    app = create_simulator_app(SimulatorSettings())
    routed: list[tuple[str, bytes]] = []

    async def router(scope: Scope, receive: Receive, send: Send) -> None:
        message = await receive()  # the body, replayed as the server sent it
        routed.append((scope["path"], message["body"]))
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    simulator = app.state.simulator
    fast = FastLookupMiddleware(
        router, caller=simulator.caller_system, answer=simulator.lookup_answer
    )
    async with simulator_http(fast) as c:
        body = {"subject": {"id_number": "370202199001011234"}}
        granted = await c.post("/gjj/datasets/fund-account/lookup", json=body)
        assert granted.status_code == 200
        assert routed == []
        refused = await c.post("/gjj/datasets/fund-account/lookup", json=body,
                               headers={"X-Purpose": "curiosity"})  # fmt: skip
        assert refused.status_code == 418
        other = await c.post("/gjj/datasets/fund-account/batch", json={"subjects": [body]})
        assert other.status_code == 418
    assert [path for path, _ in routed] == [
        "/gjj/datasets/fund-account/lookup",
        "/gjj/datasets/fund-account/batch",
    ]
    assert json.loads(routed[0][1]) == body
