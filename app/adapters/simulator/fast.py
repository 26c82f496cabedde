"""The simulator's look-up route answered before FastAPI's router.

Why: the 秒批 benchmark (bench/approval.py) runs the simulated departments on the very machine
it measures, where in production they are other departments' systems on machines of their own.
Routing among the simulator's routes and solving the route's dependencies were two thirds of a
look-up's CPU in the simulator, taken from the platform under test.

What: a POST to `/{dept}/datasets/{dataset}/lookup` with a JSON body is answered here with the
same checks (the caller, its X-Road headers and purpose) and the same answer as the route's. A
look-up the route would refuse — an unknown department or dataset, a refused caller or purpose,
a body that does not validate — is handed to the route with its body, and the route answers it
as before (the same problem documents). Faults and request counts (faults.py) wrap both.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import ValidationError
from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from app.adapters.simulator.endpoints_admin import SimulatorError
from app.adapters.simulator.schemas import LookupRequest
from app.ops.edge import read_body, replaying

Caller = Callable[[Mapping[str, str], Mapping[str, Any]], str]
Answer = Callable[[str, str, LookupRequest], bytes]


class FastLookupMiddleware:
    """Answer well-formed look-ups; pass everything else on."""

    def __init__(self, app: ASGIApp, *, caller: Caller, answer: Answer) -> None:
        self.app = app
        self.caller = caller
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        parts = scope["path"].split("/") if scope["type"] == "http" else []
        if (
            scope.get("method") != "POST"
            or len(parts) != 5
            or parts[0] != ""
            or parts[2] != "datasets"
            or parts[4] != "lookup"
        ):
            await self.app(scope, receive, send)
            return
        body = await read_body(receive, sys.maxsize)
        if body == "gone":
            return  # the caller went away: no one to answer
        assert isinstance(body, bytes)
        answer = self._answer(scope, parts[1], parts[3], body)
        if answer is None:
            await self.app(scope, replaying(body, receive), send)
            return
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    def _answer(self, scope: Scope, dept: str, dataset: str, body: bytes) -> bytes | None:
        """The route's answer to a look-up it would grant; None for any other."""
        headers = Headers(scope=scope)
        if not dept or not dataset or headers.get("content-type") != "application/json":
            return None
        try:
            self.caller(headers, {"dept": dept, "dataset": dataset})
            return self.answer(dept, dataset, LookupRequest.model_validate_json(body))
        except (SimulatorError, ValidationError):
            return None
