"""An httpx transport that serves the ASGI app the way a server does.

httpx's ASGITransport answers only once the app's coroutine has returned, so whatever the app
does after sending its answer is over before the test sees the answer. A server (uvicorn) writes
each message to the socket as the app sends it: the client has the answer, and may act on it,
while the app is still running. This transport hands the answer over the moment its last byte is
sent and lets the app finish in the background (`aclose` waits for it).

With `hold_after_answer` the app is held right after its last byte until the transport closes:
the retry a client sends at once always arrives before the app does anything more — what a busy
server (another request's CPU, a GC pause) makes happen now and then, made certain.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
from starlette.types import ASGIApp, Message


class ServerTransport(httpx.AsyncBaseTransport):
    """Answers as soon as the app has sent its last byte, as a server would."""

    def __init__(self, app: ASGIApp, *, hold_after_answer: bool = False) -> None:
        self.app = app
        self.hold_after_answer = hold_after_answer
        self.released = asyncio.Event()
        self.running: set[asyncio.Task[None]] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        scope: dict[str, Any] = {
            "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1",
            "method": request.method, "scheme": request.url.scheme,
            "headers": [(k.lower(), v) for k, v in request.headers.raw],
            "path": request.url.path, "raw_path": request.url.raw_path.split(b"?")[0],
            "query_string": request.url.query, "root_path": "",
            "server": (request.url.host, request.url.port), "client": ("127.0.0.1", 50000),
        }  # fmt: skip
        loop = asyncio.get_running_loop()
        answered: asyncio.Future[tuple[int, list[Any], bytes]] = loop.create_future()
        finished = asyncio.Event()
        received = False
        status, headers, parts = 500, [], []

        async def receive() -> Message:
            nonlocal received
            if received:
                await finished.wait()
                return {"type": "http.disconnect"}
            received = True
            return {"type": "http.request", "body": body, "more_body": False}

        async def send(message: Message) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status, headers = message["status"], list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                parts.append(message.get("body", b""))
                if not message.get("more_body", False) and not answered.done():
                    answered.set_result((status, headers, b"".join(parts)))
                    if self.hold_after_answer:
                        await self.released.wait()

        async def serve() -> None:
            try:
                await self.app(scope, receive, send)
            except Exception as exc:
                if not answered.done():
                    answered.set_exception(exc)
            finally:
                finished.set()

        task = asyncio.create_task(serve())
        self.running.add(task)
        task.add_done_callback(self.running.discard)
        code, raw_headers, content = await answered
        return httpx.Response(code, headers=raw_headers, content=content, request=request)

    async def aclose(self) -> None:
        self.released.set()
        await asyncio.gather(*self.running)
