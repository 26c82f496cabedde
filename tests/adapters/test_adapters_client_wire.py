"""A look-up on the wire: against a real department (a real TCP server here), DepartmentClient
sends through the lean transport without httpx's request and response objects. The request is
byte for byte the one httpx builds, and the answer is read as httpx would read it."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator

import httpx
import pytest

from app.adapters.client import DepartmentClient, DepartmentHTTPError, Subject, is_transient
from app.adapters.registry import DepartmentRegistry

ENVELOPE = {
    "department": "test",
    "dataset": "thing",
    "source": "测试系统",
    "as_of": "2026-11-30T08:00:00+00:00",
    "found": True,
    "record": {"name": "张三", "count": 3},
}


class Department:
    """A raw HTTP/1.1 server: records each request, answers with `answer` (status, extra
    headers, body)."""

    def __init__(self) -> None:
        self.requests: list[bytes] = []
        self.answer: tuple[int, list[str], bytes] = (200, [], json.dumps(ENVELOPE).encode())
        self.url = ""

    async def serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = next(
                    int(line.split(b":")[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                )
                self.requests.append(head + await reader.readexactly(length))
                status, headers, body = self.answer
                lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}", *headers]
                writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()


@pytest.fixture
async def department() -> AsyncIterator[Department]:
    found = Department()
    server = await asyncio.start_server(found.serve, "127.0.0.1", 0)
    found.url = f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"
    yield found
    server.close()


@pytest.fixture
async def client(department: Department) -> AsyncIterator[DepartmentClient]:
    registry = DepartmentRegistry(urls={"test": department.url}, tokens={"test": "t0ken"})
    found = DepartmentClient(registry)
    yield found
    await found.aclose()


async def _look_up(client: DepartmentClient) -> object:
    return await client.lookup("test", "thing", Subject.person("110101199001011234", name="张三"),
                               purpose="application:x.y", end_user="person:abc",
                               case_id="c-1")  # fmt: skip


async def test_a_look_up_sends_what_httpx_sends_and_reads_the_answer(
    department: Department, client: DepartmentClient
) -> None:
    fact = await _look_up(client)
    assert fact.found  # type: ignore[attr-defined]
    assert fact.record == {"name": "张三", "count": 3}  # type: ignore[attr-defined]
    assert fact.source == "测试系统"  # type: ignore[attr-defined]
    assert fact.as_of.isoformat() == "2026-11-30T08:00:00+00:00"  # type: ignore[attr-defined]
    # The same request through httpx, on the same transport.
    endpoint = client.registry.endpoint("test")
    headers = client.headers(endpoint, purpose="application:x.y", end_user="person:abc",
                             case_id="c-1")  # fmt: skip
    body = {"subject": {"id_number": "110101199001011234"}, "name": "张三"}
    async with httpx.AsyncClient(transport=client._transport) as http:
        request = httpx.Request("POST", f"{department.url}/test/datasets/thing/lookup",
                                json=body, headers=headers)  # fmt: skip
        await http._transport.handle_async_request(request)
    lean, through_httpx = department.requests
    assert lean == through_httpx
    assert lean.startswith(b"POST /test/datasets/thing/lookup HTTP/1.1\r\n")
    assert b"\r\nAuthorization: Bearer t0ken\r\n" in lean
    assert b"\r\nX-Case-Id: c-1\r\n" in lean
    # The connection is kept and reused.
    await _look_up(client)
    assert len(department.requests) == 3


async def test_a_gzip_coded_answer_is_decoded(
    department: Department, client: DepartmentClient
) -> None:
    department.answer = (
        200,
        ["Content-Encoding: gzip"],
        gzip.compress(json.dumps(ENVELOPE).encode()),
    )
    fact = await _look_up(client)
    assert fact.record == {"name": "张三", "count": 3}  # type: ignore[attr-defined]


async def test_an_unknown_content_coding_is_an_error(
    department: Department, client: DepartmentClient
) -> None:
    department.answer = (200, ["Content-Encoding: br"], b"\x00")
    with pytest.raises(httpx.DecodingError):
        await _look_up(client)


async def test_a_gateway_error_is_transient_and_a_refusal_is_not(
    department: Department, client: DepartmentClient
) -> None:
    department.answer = (503, [], b"busy")
    with pytest.raises(DepartmentHTTPError) as unavailable:
        await _look_up(client)
    assert unavailable.value.status == 503
    assert is_transient(unavailable.value)
    department.answer = (403, [], b"no")
    with pytest.raises(DepartmentHTTPError) as refused:
        await _look_up(client)
    assert not is_transient(refused.value)


async def test_a_header_with_a_line_break_is_never_sent(
    department: Department, client: DepartmentClient
) -> None:
    with pytest.raises(ValueError, match="line break"):
        await client.lookup("test", "thing", Subject.person("1"), purpose="p\r\nX-Evil: 1",
                            end_user="person:abc")  # fmt: skip
    assert department.requests == []
