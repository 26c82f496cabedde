"""The platform's HTTP client for department systems: one per process, typed look-ups.

One `DepartmentClient` per process wraps one httpx client. Real departments are reached through
`LeanTransport` (transport.py: keep-alive HTTP/1.1 on httptools, about half the CPU per look-up
of httpx's default transport), with a pool of at most `QE_EXCHANGE_CALLS_PER_DEPARTMENT`
connections per department, so one slow department cannot hold the connections the others
need; a look-up hands it the request's bytes as httpx would build them and reads the answer
whole, without httpx's request and response objects (`LeanTransport.send`: a quarter to a third
less CPU per read, bench/fanout.py). The in-process simulator is mounted by the registry and
answers through httpx. `lookup` performs exactly one request; retries, deadlines and breakers
are the service's business.
"""

from __future__ import annotations

import json
import ssl
import zlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import httpx
from pydantic import BaseModel, ConfigDict

from app.adapters.records import Record, parse_record
from app.adapters.registry import DepartmentRegistry, Endpoint
from app.adapters.transport import POOL_EXTENSION, LeanTransport
from app.config import get_settings
from app.kit.clock import utcnow

SubjectKind = Literal["person", "enterprise", "address"]
_SUBJECT_FIELD: dict[SubjectKind, str] = {
    "person": "id_number",
    "enterprise": "uscc",
    "address": "address",
}
# Gateway-type answers mean "try again"; anything else from the department is its answer.
TRANSIENT_STATUSES = frozenset({502, 503, 504})
# As many connections as the bulkhead has slots (QE_EXCHANGE_CALLS_PER_DEPARTMENT, whose
# default this is): an admitted call never waits for one.
CONNECTIONS_PER_DEPARTMENT = 128
# Every request is bounded by the caller's deadline; this only stops a forgotten socket.
_BACKSTOP_TIMEOUT = httpx.Timeout(30.0)
_BACKSTOP = _BACKSTOP_TIMEOUT.as_dict()


@dataclass(frozen=True, slots=True)
class Subject:
    """Whose data: an ID number, a USCC or an address, plus dataset fields (e.g. `name`)."""

    kind: SubjectKind
    value: str
    fields: dict[str, str] = field(default_factory=dict)

    @classmethod
    def person(cls, id_number: str, **fields: str) -> Subject:
        """A person by resident ID number."""
        return cls("person", id_number, dict(fields))

    @classmethod
    def enterprise(cls, uscc: str, **fields: str) -> Subject:
        """An enterprise by Unified Social Credit Code."""
        return cls("enterprise", uscc, dict(fields))

    def body(self) -> dict[str, Any]:
        """The look-up request body of the exchange contract."""
        return {"subject": {_SUBJECT_FIELD[self.kind]: self.value}, **self.fields}


@dataclass(frozen=True, slots=True)
class Fact:
    """A department's answer with its provenance; `record` is None when it has no record."""

    department: str
    dataset: str
    found: bool
    record: Record | None
    source: str
    as_of: datetime
    fetched_at: datetime


class DepartmentHTTPError(Exception):
    """The department answered with an error status."""

    def __init__(self, department: str, dataset: str, status: int) -> None:
        super().__init__(f"{department}/{dataset} answered HTTP {status}")
        self.status = status


class _Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    department: str
    dataset: str
    source: str
    as_of: datetime
    found: bool
    record: dict[str, Any] | None = None


def is_transient(exc: BaseException) -> bool:
    """Whether a failed read is worth retrying: connection trouble, resets, 502/503/504."""
    if isinstance(exc, DepartmentHTTPError):
        return exc.status in TRANSIENT_STATUSES
    # httpx.TransportError covers connect/read errors and timeouts; OSError covers resets
    # surfacing from an in-process transport.
    return isinstance(exc, httpx.TransportError | OSError)


class DepartmentClient:
    """Typed look-ups against the departments of a registry, over one connection pool."""

    def __init__(
        self, registry: DepartmentRegistry, *, connections: int = CONNECTIONS_PER_DEPARTMENT
    ) -> None:
        self.registry = registry
        self.closed = False
        self.connections = connections  # at most, to each department
        self._transport = LeanTransport(
            max_connections=connections, ssl_context=ssl.create_default_context()
        )
        self._mounts = registry.mounts()
        self._urls: dict[tuple[str, str, str], httpx.URL] = {}
        # For anything but look-ups (e.g. the simulator's admin API in tests and benchmarks);
        # it owns the transports and closes them.
        self.http = httpx.AsyncClient(
            transport=self._transport, timeout=_BACKSTOP_TIMEOUT, mounts=self._mounts
        )

    def _transport_for(self, base_url: str) -> httpx.AsyncBaseTransport:
        return self._mounts.get(base_url, self._transport)

    def _lookup_url(self, base_url: str, department: str, dataset: str) -> httpx.URL:
        # Parsed once per dataset: httpx parses a URL string on every request otherwise.
        key = (base_url, department, dataset)
        url = self._urls.get(key)
        if url is None:
            url = self._urls[key] = httpx.URL(f"{base_url}/{department}/datasets/{dataset}/lookup")
        return url

    def headers(
        self, endpoint: Endpoint, *, purpose: str, end_user: str, case_id: str | None
    ) -> dict[str, str]:
        """What every call to a department carries: the platform's credential for it and the
        X-Road-style caller, end user, purpose and case."""
        headers = {
            "Authorization": f"Bearer {endpoint.token}",
            "X-Caller-System": self.registry.caller_system,
            "X-End-User": end_user,
            "X-Purpose": purpose,
        }
        if case_id is not None:
            headers["X-Case-Id"] = case_id
        return headers

    async def lookup(
        self,
        department: str,
        dataset: str,
        subject: Subject,
        *,
        purpose: str,
        end_user: str,
        case_id: str | None = None,
    ) -> Fact:
        """Read one dataset about one subject (one request; the caller bounds its time)."""
        endpoint = self.registry.endpoint(department)
        headers = self.headers(endpoint, purpose=purpose, end_user=end_user, case_id=case_id)
        url = self._lookup_url(endpoint.base_url, department, dataset)
        transport = self._transport_for(endpoint.base_url)
        if transport is self._transport:
            status, content = await self._post_lean(url, department, headers, subject.body())
        else:
            status, content = await _post(transport, url, department, headers, subject.body())
        if status != 200:
            raise DepartmentHTTPError(department, dataset, status)
        envelope = _Envelope.model_validate_json(content)
        record = None
        if envelope.found and envelope.record is not None:
            record = parse_record(department, dataset, envelope.record)
        return Fact(department=department, dataset=dataset, found=envelope.found,
                    record=record, source=envelope.source, as_of=envelope.as_of,
                    fetched_at=utcnow())  # fmt: skip

    async def _post_lean(
        self, url: httpx.URL, pool: str, headers: dict[str, str], payload: dict[str, Any]
    ) -> tuple[int, bytes]:
        """POST `payload` as JSON through the lean transport with no httpx request or response
        objects (they were about a third of a look-up's CPU), sent as httpx would send it."""
        body = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
        answer = await self._transport.send(url, pool, _head(url, headers, body), body, _BACKSTOP)
        return answer.status, _decoded(answer.headers, answer.body)

    async def aclose(self) -> None:
        """Close every connection."""
        self.closed = True
        await self.http.aclose()


async def _post(
    transport: httpx.AsyncBaseTransport,
    url: httpx.URL,
    pool: str,
    headers: dict[str, str],
    payload: dict[str, Any],
) -> tuple[int, bytes]:
    """POST `payload` as JSON through an httpx transport (a mounted one: the simulator)."""
    extensions = {POOL_EXTENSION: pool, "timeout": _BACKSTOP}
    request = httpx.Request("POST", url, json=payload, headers=headers, extensions=extensions)
    # Straight to the transport, past the client's cookie jar, auth and redirect machinery:
    # a look-up uses none of them, and they were a third of its CPU (bench/fanout.py).
    response = await transport.handle_async_request(request)
    try:
        await response.aread()
    finally:
        await response.aclose()
    return response.status_code, response.content


def _head(url: httpx.URL, headers: dict[str, str], body: bytes) -> bytes:
    """The request line and headers of a look-up as httpx.Request builds them: Host, the
    exchange's headers (ASCII, as httpx requires), Content-Length and Content-Type."""
    lines = [b"POST ", url.raw_path, b" HTTP/1.1\r\nHost: ", url.netloc, b"\r\n"]
    for name, value in headers.items():
        if "\r" in value or "\n" in value:  # the exchange's own values never do
            raise ValueError(f"the {name} header holds a line break")
        lines += [name.encode("ascii"), b": ", value.encode("ascii"), b"\r\n"]
    lines += [b"Content-Length: ", str(len(body)).encode(), b"\r\n"]
    lines.append(b"Content-Type: application/json\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


def _decoded(headers: list[tuple[bytes, bytes]], body: bytes) -> bytes:
    """The body without its content coding: none is asked for (no Accept-Encoding), but gzip
    and deflate are undone as httpx would undo them."""
    for name, value in headers:
        if name.lower() == b"content-encoding":
            coding = value.strip().lower()
            if coding in (b"gzip", b"deflate"):
                return zlib.decompress(body, 47)  # 47: a gzip or a zlib header
            if coding != b"identity":
                raise httpx.DecodingError(f"unsupported content coding {coding.decode()!r}")
    return body


_shared: DepartmentClient | None = None


def shared_client() -> DepartmentClient:
    """The process-wide client, configured from settings on first use."""
    global _shared
    if _shared is None or _shared.closed:
        settings = get_settings()
        _shared = DepartmentClient(
            DepartmentRegistry.from_settings(settings),
            connections=settings.exchange_calls_per_department,
        )
    return _shared


async def close_shared_client() -> None:
    """Close the process-wide client (at shutdown); the next use opens a new one."""
    global _shared
    client, _shared = _shared, None
    if client is not None:
        await client.aclose()
