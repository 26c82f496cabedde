"""A partner's webhook receiver served over real HTTP, verifying every delivery with the
`standardwebhooks` reference library (never the server's signing code): signature, timestamp
tolerance, and `webhook-id` dedupe. It can be taken down (503) and brought back up."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from standardwebhooks.webhooks import Webhook, WebhookVerificationError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route


@dataclass
class Receiver:
    """What the receiver saw: verified events by `webhook-id`, repeats, refusals."""

    secrets: list[str] = field(default_factory=list)
    down: bool = False
    port: int = 0
    events: dict[str, dict[str, Any]] = field(default_factory=dict)
    repeats: list[str] = field(default_factory=list)
    refused: int = 0
    calls: int = 0
    last_headers: dict[str, str] = field(default_factory=dict)
    last_body: bytes = b""
    # Every verified arrival's `webhook-id`, repeats included, in order.
    arrivals: list[str] = field(default_factory=list)
    # When set, the first verified request is held unanswered (its sender dies meanwhile).
    hold_first: bool = False
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def verify(self, body: bytes, headers: dict[str, str]) -> dict[str, Any]:
        """The payload if any configured secret verifies it (WebhookVerificationError if not)."""
        for secret in self.secrets:
            try:
                return dict(Webhook(secret).verify(body, headers))
            except WebhookVerificationError:
                continue
        raise WebhookVerificationError("no secret verifies the message")

    async def handle(self, request: Request) -> Response:
        self.calls += 1
        if self.down:
            return Response(status_code=503)
        body = await request.body()
        headers = {k: v for k, v in request.headers.items() if k.startswith("webhook-")}
        try:
            payload = self.verify(body, headers)
        except WebhookVerificationError:
            self.refused += 1
            return Response(status_code=400)
        webhook_id = headers["webhook-id"]
        self.arrivals.append(webhook_id)
        self.arrived.set()
        if self.hold_first and len(self.arrivals) == 1:
            await self.released.wait()  # until the receiver shuts down
        if webhook_id in self.events:
            self.repeats.append(webhook_id)  # dropped: already processed
        else:
            self.events[webhook_id] = payload
        self.last_headers, self.last_body = headers, body
        return Response(status_code=204)


@asynccontextmanager
async def serving(receiver: Receiver) -> AsyncIterator[Receiver]:
    """Serve `receiver` on a free loopback port until the block ends."""
    application = Starlette(routes=[Route("/hook", receiver.handle, methods=["POST"])])
    config = uvicorn.Config(
        application, host="127.0.0.1", port=receiver.port, log_level="warning", lifespan="off"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers a flag, not an event
        await asyncio.sleep(0.01)
    receiver.port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield receiver
    finally:
        receiver.released.set()
        server.should_exit = True
        await asyncio.wait_for(task, timeout=10)


def types_of(receiver: Receiver) -> list[str]:
    """The event types received, in no particular order."""
    return sorted(str(e["type"]) for e in receiver.events.values())


def dumps(payload: dict[str, Any]) -> bytes:
    """A JSON body as the tests tamper with it."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
