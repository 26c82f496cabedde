"""The outermost layer of every request: request id, access log, metrics, and the last-resort 500.

Written as plain ASGI rather than `BaseHTTPMiddleware` so it adds no task per request and sees an
exception before Starlette's ServerErrorMiddleware would answer it with a bare text page.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.errors import PROBLEM_JSON, InternalError, prefers_english, problem_body
from app.ops.logging import request_id_var
from app.ops.metrics import count_request

logger = logging.getLogger("qingeban.http")

_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _route_template(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "unmatched"


class RequestContextMiddleware:
    """Assign the request id, time the request, log it, count it, and contain crashes."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        # Only the request id is read on every request (header names arrive lower-cased).
        incoming = next(
            (v.decode("latin-1") for k, v in scope["headers"] if k == b"x-request-id"), ""
        )
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        # When the request arrived, on the monotonic clock: budgets such as 秒批's deadline
        # count from here, not from when the endpoint started.
        state["received_at"] = time.monotonic()
        token = request_id_var.set(request_id)
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                response_started = True
                status = message["status"]
                message.setdefault("headers", [])
                message["headers"] = [
                    *message["headers"],
                    (b"x-request-id", request_id.encode("latin-1")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        except Exception:
            incident_id = uuid.uuid4().hex
            logger.exception(
                "unhandled error", extra={"incident_id": incident_id, "path": scope["path"]}
            )
            if not response_started:
                await self._send_incident(scope, send_with_id, incident_id)
        finally:
            elapsed = time.perf_counter() - started
            route = _route_template(scope)
            method = scope["method"]
            count_request(method, route, status, elapsed)
            logger.info(
                "request",
                extra={
                    "method": method,
                    "route": route,
                    "status": status,
                    "duration_ms": round(elapsed * 1000, 2),
                },
            )
            request_id_var.reset(token)

    @staticmethod
    async def _send_incident(scope: Scope, send: Send, incident_id: str) -> None:
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        english = prefers_english(headers.get("accept-language"))
        body: dict[str, Any] = problem_body(
            None,
            status=500,
            code=InternalError.code,
            title=InternalError.title_en if english else InternalError.title_zh,
            detail=(
                f"Quote incident {incident_id} when contacting support."
                if english
                else f"请联系客服并提供事件编号 {incident_id}。"
            ),
            extra={
                "incident_id": incident_id,
                "instance": scope["path"],
                "request_id": scope["state"]["request_id"],
            },
        )
        payload = json.dumps(body, ensure_ascii=False).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 500,
                "headers": [
                    (b"content-type", PROBLEM_JSON.encode()),
                    (b"content-length", str(len(payload)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": payload})
