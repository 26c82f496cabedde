"""The edge: what a request may be before anything of the platform works for it.

Plain ASGI, inside the request context (request id, access log, metrics) and outside the rest —
idempotency keys, authentication, routing — so that a refusal here costs no database round trip
and no body is read past its limit. The guards, cheapest first:

1. The request target and the header fields against `max_header_bytes` (414, 431). They are
   counted as the server parsed them, so this bounds the work done for them here, not what the
   server buffered: that is the server's limit (uvicorn's h11 one, the load balancer's).
2. A NUL character in the path, query string, header fields or cookies (422, naming each):
   PostgreSQL's text types refuse U+0000, which failed deep in a route as a 500.
3. The body against `max_body_bytes` (413): refused from its Content-Length before a byte is
   read; otherwise read as it streams and cut off past the limit. Routes that stream their own
   body under their own limit (uploads) are handed it untouched, unread.
4. A NUL in the body (422): JSON strings and keys at any depth, url-encoded and multipart
   fields. The body read for it is handed on to the app as the server would have.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from itertools import islice
from typing import Literal

from starlette.datastructures import Headers
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import AppError, send_problem
from app.kit import nul
from app.ops.errors import body_too_large, headers_too_large, nul_found, uri_too_long

# Methods whose requests carry a body only when their headers announce one.
_BODILESS = frozenset({"GET", "HEAD", "OPTIONS"})
# Enough to show a client where its NULs are; a flood of them is not echoed back in full.
_MAX_NAMES = 20
# ": " and CRLF around each header field on the wire.
_FIELD_OVERHEAD = 4


class EdgeMiddleware:
    """Refuse oversized requests and NUL characters before any handler or database sees them."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        max_header_bytes: int,
        streaming_paths: frozenset[str] = frozenset(),
        path_templates: Callable[[], Iterable[str]] = tuple,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.max_header_bytes = max_header_bytes
        self.streaming_paths = streaming_paths
        # The routes' path templates, to name a path parameter holding a NUL: asked for only
        # when one does, since building them (the OpenAPI document) is not free.
        self._path_templates = path_templates
        self._templates: tuple[str, ...] | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = self._refuse_head(scope)
        if refusal is not None:
            await send_problem(scope, send, refusal)
            return
        headers = Headers(scope=scope)
        if scope["path"] in self.streaming_paths or not _may_have_body(scope, headers):
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.max_body_bytes:
            await send_problem(scope, send, body_too_large(self.max_body_bytes))
            return
        body = await read_body(receive, self.max_body_bytes)
        if isinstance(body, str):
            # Past the limit; or the client went away mid-body, and no one is left to answer.
            if body == "too_large":
                await send_problem(scope, send, body_too_large(self.max_body_bytes))
            return
        names = list(islice(_nul_in_body(headers.get("content-type", ""), body), _MAX_NAMES))
        if names:
            await send_problem(scope, send, nul_found(names))
            return
        await self.app(scope, replaying(body, receive), send)

    def _refuse_head(self, scope: Scope) -> AppError | None:
        """The refusal of what came before the body, if any."""
        query: bytes = scope.get("query_string", b"")
        target = len(scope.get("raw_path") or scope["path"].encode()) + len(query)
        if target > self.max_header_bytes:
            return uri_too_long(self.max_header_bytes)
        fields = scope["headers"]
        if sum(len(name) + len(value) + _FIELD_OVERHEAD for name, value in fields) > (
            self.max_header_bytes
        ):
            return headers_too_large(self.max_header_bytes)
        names = list(islice(self._nul_in_head(scope), _MAX_NAMES))
        return nul_found(names) if names else None

    def _nul_in_head(self, scope: Scope) -> Iterator[str]:
        if nul.in_text(scope["path"]):
            yield from self._path_names(scope["path"])
        yield from nul.in_pairs(scope.get("query_string", b""), "query")
        for name, value in scope["headers"]:
            if b"\x00" in value or (name == b"authorization" and nul.in_basic_credentials(value)):
                yield f"header.{nul.shown(name.decode('latin-1'))}"
            elif name == b"cookie" and b"\\" in value:
                # A quoted cookie value may spell a NUL as the octal escape \000, which the
                # cookie parser the routes use turns into one.
                for key, text in cookie_parser(value.decode("latin-1")).items():
                    if nul.in_text(key) or nul.in_text(text):
                        yield f"cookie.{nul.shown(key)}"

    def _path_names(self, path: str) -> list[str]:
        """`path.<parameter>` for each parameter of the matching route that holds a NUL."""
        if self._templates is None:
            self._templates = tuple(self._path_templates())
        segments = path.split("/")
        for template in self._templates:
            parts = template.split("/")
            if len(parts) != len(segments):
                continue
            if all(p == s or _is_parameter(p) for p, s in zip(parts, segments, strict=True)):
                names = [f"path.{p[1:-1].partition(':')[0]}"
                         for p, s in zip(parts, segments, strict=True)
                         if _is_parameter(p) and nul.in_text(s)]  # fmt: skip
                if names:
                    return names
        return ["path"]


def _is_parameter(part: str) -> bool:
    return part.startswith("{") and part.endswith("}")


def _may_have_body(scope: Scope, headers: Headers) -> bool:
    return (
        scope["method"] not in _BODILESS
        or "content-length" in headers
        or "transfer-encoding" in headers
    )


async def read_body(receive: Receive, limit: int) -> bytes | Literal["too_large", "gone"]:
    """The whole body; "too_large" as soon as it passes `limit` (the rest is never read), or
    "gone" when the client disconnected first."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return "gone"
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return "too_large"
        chunks.append(chunk)
        if not message.get("more_body", False):
            return b"".join(chunks)


def _nul_in_body(content_type: str, body: bytes) -> Iterator[str]:
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type == "application/x-www-form-urlencoded":
        return nul.in_pairs(body, "body")
    if media_type == "multipart/form-data":
        return nul.in_multipart(body, content_type)
    # JSON, and anything else: FastAPI reads a body without a content type as JSON too.
    return nul.in_json(body)


def replaying(body: bytes, receive: Receive) -> Receive:
    """The body as one message, then the server's own messages (a disconnect, say)."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if delivered:
            return await receive()
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay
