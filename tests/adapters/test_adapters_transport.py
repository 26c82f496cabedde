"""LeanTransport against real TCP servers: keep-alive, framing, closes, timeouts, limits."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from app.adapters.transport import POOL_EXTENSION, LeanTransport

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\n\r\n{"ok":true}'


class Server:
    """A raw HTTP/1.1 server whose answers each test scripts; counts connections."""

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.connections = 0
        self.requests: list[bytes] = []
        self.url = ""
        self._server: asyncio.Server | None = None

    async def __aenter__(self) -> Server:
        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            self.connections += 1
            try:
                await self.handler(reader, writer)
            except (ConnectionError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()

        self._server = await asyncio.start_server(serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *_: object) -> None:
        assert self._server is not None
        self._server.close()

    async def read_request(self, reader: asyncio.StreamReader) -> bytes:
        head = await reader.readuntil(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n"):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        request = head + await reader.readexactly(length)
        self.requests.append(request)
        return request


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    client = httpx.AsyncClient(transport=LeanTransport(max_connections=2))
    yield client
    await client.aclose()


async def _keep_alive(server: Server) -> Handler:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            await server.read_request(reader)
            writer.write(OK)
            await writer.drain()

    return handler


async def test_requests_reuse_one_keep_alive_connection(http: httpx.AsyncClient) -> None:
    server = Server(None)  # type: ignore[arg-type]
    server.handler = await _keep_alive(server)
    async with server:
        for n in range(3):
            response = await http.post(f"{server.url}/gaj/lookup?n={n}", json={"n": n})
            assert response.status_code == 200
            assert response.json() == {"ok": True}
    assert server.connections == 1
    first = server.requests[0]
    assert first.startswith(b"POST /gaj/lookup?n=0 HTTP/1.1\r\n")
    assert b"\r\ncontent-type: application/json\r\n" in first.lower()
    assert first.endswith(b'{"n":0}')


async def test_chunked_response_is_decoded(http: httpx.AsyncClient) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                     b"4\r\n{\"a\"\r\n3\r\n:1}\r\n0\r\n\r\n")  # fmt: skip
        await writer.drain()

    server = Server(handler)
    async with server:
        response = await http.get(f"{server.url}/x")
    assert response.json() == {"a": 1}


async def test_idle_connection_closed_by_the_server_is_replaced(http: httpx.AsyncClient) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(OK)
        await writer.drain()  # then close: the client's idle connection is dead

    server = Server(handler)
    async with server:
        assert (await http.get(f"{server.url}/1")).status_code == 200
        await asyncio.sleep(0.05)
        assert (await http.get(f"{server.url}/2")).status_code == 200
    assert server.connections == 2


async def test_connection_close_header_is_honoured(http: httpx.AsyncClient) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}")
        await writer.drain()
        await asyncio.sleep(0.2)  # keep the socket open: only the header says "close"

    server = Server(handler)
    async with server:
        await http.get(f"{server.url}/1")
        await http.get(f"{server.url}/2")
    assert server.connections == 2


async def test_reset_mid_response_is_a_transport_error(http: httpx.AsyncClient) -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{"trunc')
        await writer.drain()

    server = Server(handler)
    async with server:
        with pytest.raises(httpx.RemoteProtocolError):
            await http.get(f"{server.url}/x")


async def test_silence_is_a_read_timeout_and_the_connection_is_dropped() -> None:
    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await server.read_request(reader)
        if len(server.requests) == 1:
            await asyncio.sleep(1)  # hang on the first request only
        writer.write(OK)
        await writer.drain()
        await asyncio.sleep(1)

    server = Server(handler)
    async with (
        server,
        httpx.AsyncClient(transport=LeanTransport(), timeout=httpx.Timeout(0.1)) as http,
    ):
        with pytest.raises(httpx.ReadTimeout):
            await http.get(f"{server.url}/x")
        assert (await http.get(f"{server.url}/y")).status_code == 200
    assert server.connections == 2, "a timed-out connection is never reused"


async def test_refused_connection_is_a_connect_error(http: httpx.AsyncClient) -> None:
    server = Server(None)  # type: ignore[arg-type]
    async with server:
        url = server.url
    with pytest.raises(httpx.ConnectError):
        await http.get(f"{url}/x")


async def test_connections_are_bounded_per_pool(http: httpx.AsyncClient) -> None:
    in_flight = 0
    most = 0

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal in_flight, most
        while True:
            await server.read_request(reader)
            in_flight += 1
            most = max(most, in_flight)
            await asyncio.sleep(0.02)
            in_flight -= 1
            writer.write(OK)
            await writer.drain()

    server = Server(handler)
    async with server:
        answers = await asyncio.gather(*(http.get(f"{server.url}/{n}") for n in range(8)))
        assert all(a.status_code == 200 for a in answers)
        assert most == 2, "max_connections=2 per pool"
        assert server.connections == 2
        # Another pool (another department on the same host) has its own connections.
        await asyncio.gather(
            *(http.get(f"{server.url}/b{n}", extensions={POOL_EXTENSION: "b"}) for n in range(4))
        )
        assert server.connections == 4
