"""A lean HTTP/1.1 keep-alive transport for httpx, for the department look-ups.

Why: a look-up through httpx's default transport (httpcore + anyio + h11) costs about 1 ms of
CPU, and a 秒批 burst of 50 gatherings × 6 datasets queues 300 of them on one core
(bench/fanout.py). This transport keeps httpx's client API — requests, responses, errors — and
replaces only the connection layer: asyncio streams, the httptools parser (C, the one uvicorn
uses) and a small pool of idle connections per origin. `send` takes a request already encoded,
for the look-ups, which skip httpx's objects altogether (app.adapters.client).

What it does: HTTP/1.1 with keep-alive, Content-Length and chunked responses, TLS through an
`ssl.SSLContext`, `max_connections` per origin (callers queue for a free connection), the
request's connect/read timeouts. What it does not: HTTP/2, proxies, streaming responses (a
department answer is a small JSON document read whole). A connection that fails, is cancelled
mid-exchange or was closed by the server is never reused; a reused connection that the server
had already closed (it answers nothing at all) is retried once on a fresh one, as httpcore does.
"""

from __future__ import annotations

import asyncio
import ssl
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httptools
import httpx

# A request extension naming the connection pool: departments sharing a host keep separate pools.
POOL_EXTENSION = "qingeban.pool"
PoolKey = tuple[str, str, int, str]
_DEFAULT_PORTS = {"http": 80, "https": 443}


class _Parsed:
    """httptools callbacks collecting one response."""

    __slots__ = ("body", "complete", "headers", "keep_alive", "parser")

    def __init__(self) -> None:
        self.headers: list[tuple[bytes, bytes]] = []
        self.body: list[bytes] = []
        self.complete = False
        self.keep_alive = False
        self.parser = httptools.HttpResponseParser(self)

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_headers_complete(self) -> None:
        # Asked here: once the message is complete the parser has reset for the next one.
        self.keep_alive = self.parser.should_keep_alive()

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        self.complete = True


class _Connection:
    """One keep-alive connection to an origin."""

    __slots__ = ("reader", "used", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer
        self.used = False

    @property
    def closed(self) -> bool:
        return self.writer.is_closing() or self.reader.at_eof()

    def close(self) -> None:
        self.writer.close()

    async def exchange(self, head: bytes, body: bytes, read_timeout: float | None) -> Answer:
        """Send one request and read its whole response."""
        self.used = True
        self.writer.write(head + body if len(body) < 65536 else head)
        if len(body) >= 65536:
            self.writer.write(body)
        await self.writer.drain()
        parsed = _Parsed()
        parser = parsed.parser
        received = 0
        async with asyncio.timeout(read_timeout):
            while not parsed.complete:
                data = await self.reader.read(65536)
                if not data:
                    if received == 0:
                        raise _ClosedBeforeResponse
                    raise httpx.RemoteProtocolError("the department closed the connection")
                received += len(data)
                try:
                    parser.feed_data(data)
                except httptools.HttpParserError as exc:
                    raise httpx.RemoteProtocolError(f"malformed response: {exc}") from exc
        return Answer(parser.get_status_code(), parsed.headers, b"".join(parsed.body),
                      parsed.keep_alive)  # fmt: skip


@dataclass(slots=True)
class Answer:
    """A response read whole: status, raw headers, body (de-chunked), keep-alive."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    keep_alive: bool


class _ClosedBeforeResponse(Exception):
    """The server closed the connection without answering (an idle keep-alive race)."""


@dataclass
class _Pool:
    """Idle connections of one origin and a bound on how many exist."""

    slots: asyncio.Semaphore
    idle: deque[_Connection] = field(default_factory=deque)


class LeanTransport(httpx.AsyncBaseTransport):
    """HTTP/1.1 keep-alive over asyncio streams and httptools; see the module docstring."""

    def __init__(
        self, *, max_connections: int = 64, ssl_context: ssl.SSLContext | None = None
    ) -> None:
        self.max_connections = max_connections
        self._ssl = ssl_context
        self._pools: dict[PoolKey, _Pool] = {}

    def _pool(self, key: PoolKey) -> _Pool:
        pool = self._pools.get(key)
        if pool is None:
            pool = self._pools[key] = _Pool(asyncio.Semaphore(self.max_connections))
        return pool

    async def _connect(self, key: PoolKey, connect_seconds: float | None) -> _Connection:
        scheme, host, port, _ = key
        tls = None
        if scheme == "https":
            # One context for every connection: building one loads the CA bundle (~20 ms).
            tls = self._ssl = self._ssl or ssl.create_default_context()
        try:
            async with asyncio.timeout(connect_seconds):
                reader, writer = await asyncio.open_connection(host, port, ssl=tls)
        except TimeoutError as exc:
            raise httpx.ConnectTimeout(f"connecting to {host}:{port} timed out") from exc
        except OSError as exc:
            raise httpx.ConnectError(f"cannot connect to {host}:{port}: {exc}") from exc
        return _Connection(reader, writer)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Send the request on an idle or new connection of its origin."""
        body = await request.aread()
        answer = await self.send(
            request.url,
            str(request.extensions.get(POOL_EXTENSION, "")),
            _head(request, body),
            body,
            request.extensions.get("timeout", {}),
        )
        # A stream, not `content=`: the latter re-derives Content-Length and friends.
        return httpx.Response(answer.status, headers=answer.headers,
                              stream=httpx.ByteStream(answer.body),
                              extensions={"http_version": b"HTTP/1.1"})  # fmt: skip

    async def send(
        self, url: httpx.URL, pool_name: str, head: bytes, body: bytes, timeouts: Mapping[str, Any]
    ) -> Answer:
        """Send a request whose head (request line and headers, Host and Content-Length among
        them) is encoded already, on an idle or new connection of `url`'s origin in the pool
        `pool_name`; the answer read whole. For callers that need none of httpx's request and
        response objects (app.adapters.client: about a third of a look-up's CPU); raises
        httpx's transport errors, as `handle_async_request` does."""
        port = url.port or _DEFAULT_PORTS.get(url.scheme, 80)
        key = (url.scheme, url.host, port, pool_name)
        pool = self._pool(key)
        async with pool.slots:
            for _ in range(2):
                connection = _take_idle(pool)
                if connection is None:
                    connection = await self._connect(key, timeouts.get("connect"))
                reused = connection.used
                try:
                    answer = await connection.exchange(head, body, timeouts.get("read"))
                except _ClosedBeforeResponse:
                    connection.close()
                    if reused:
                        continue  # the server dropped an idle connection: once more, fresh
                    raise httpx.RemoteProtocolError(
                        "the department closed the connection"
                    ) from None
                except TimeoutError as exc:
                    connection.close()
                    raise httpx.ReadTimeout("the department did not answer in time") from exc
                except OSError as exc:
                    connection.close()
                    raise httpx.ReadError(f"connection to the department failed: {exc}") from exc
                except BaseException:
                    connection.close()  # cancelled or failed mid-exchange: never reuse
                    raise
                if answer.keep_alive:
                    pool.idle.append(connection)
                else:
                    connection.close()
                return answer
        raise httpx.RemoteProtocolError("the department closed the connection")  # pragma: no cover

    async def aclose(self) -> None:
        """Close every idle connection."""
        for pool in self._pools.values():
            while pool.idle:
                pool.idle.popleft().close()


def _take_idle(pool: _Pool) -> _Connection | None:
    while pool.idle:
        connection = pool.idle.pop()
        if not connection.closed:
            return connection
        connection.close()
    return None


def _head(request: httpx.Request, body: bytes) -> bytes:
    """The request line and headers; Host and Content-Length are set by httpx already."""
    lines = [request.method.encode(), b" ", request.url.raw_path, b" HTTP/1.1\r\n"]
    for name, value in request.headers.raw:
        lines += [name, b": ", value, b"\r\n"]
    if body and "content-length" not in request.headers:
        lines += [b"Content-Length: ", str(len(body)).encode(), b"\r\n"]
    lines.append(b"\r\n")
    return b"".join(lines)
