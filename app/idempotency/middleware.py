"""Idempotency-Key on the creating POSTs, as plain ASGI around the routes (see service.py).

Only the routes in `CREATING_ROUTES` take part: those that create something a retry must not
create twice. Answers carrying tokens (login, act-as) are deliberately not among them: they are
not creations, and their tokens must not be stored.

Keys belong to whom the bearer token speaks for (service.owner_of), so the token is verified
here, exactly as the route's principal dependency verifies it, before its subject is trusted: an
unverified `sub` would let a forged token replay another caller's stored answer. A request
without a verified bearer token takes no part (nothing is claimed, stored or replayed) and the
route answers as usual (401 where a token is needed): a key row is 24 hours of storage, which
no one may make the platform keep before they have proven who they are. The verified principal
is kept in the request's state, and the route's dependency takes it from there instead of
verifying the token again.

The route's answer is held here until it is stored, and only then sent: a client retrying the
moment the answer arrives finds it stored (a replay), never still "in flight". Creating routes
answer with a small JSON document, so holding it costs nothing; no other route passes here.
"""

from __future__ import annotations

import json
import logging
import re
from typing import Any

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.auth import guards
from app.auth.errors import InvalidToken, MissingToken
from app.errors import PROBLEM_JSON, prefers_english, problem_body
from app.idempotency import service
from app.idempotency.service import Claimed, Refused, Replay

logger = logging.getLogger("qingeban.idempotency")

# Registration is not among them: it has no token to key by (see the module's docstring), and
# needs none, since it cannot create twice — the phone and the ID number have one account each
# and the SMS code works once, so a retry is told the phone is registered, and signs in.
CREATING_ROUTES = (
    re.compile(r"^/api/v1/applications$"),
    re.compile(r"^/api/v1/bundles/[^/]+/applications$"),
    re.compile(r"^/api/v1/admin/clients$"),
    re.compile(r"^/api/v1/admin/staff$"),
    re.compile(r"^/api/v1/licenses$"),
)

_REFUSALS = {
    # code, status, zh title, en title
    "key_invalid": ("idempotency.key_invalid", 422, "幂等键格式不正确",
                    "The Idempotency-Key must be 1-255 visible ASCII characters"),
    "body_differs": ("idempotency.key_reused", 422, "该幂等键已用于内容不同的请求",
                     "This Idempotency-Key was used with a different request body"),
    "in_flight": ("idempotency.in_flight", 409, "使用该幂等键的请求仍在处理中",
                  "A request with this Idempotency-Key is still being processed"),
}  # fmt: skip


async def _read_body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


def _replaying(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _send_json(send: Send, status: int, content_type: str, body: bytes, **extra: str) -> None:
    headers = [(b"content-type", content_type.encode("latin-1")),
               (b"content-length", str(len(body)).encode())]  # fmt: skip
    headers += [(name.encode(), value.encode()) for name, value in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class IdempotencyMiddleware:
    """Answer a repeated creating POST from its stored answer instead of running it again."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if (
            scope["type"] != "http"
            or scope["method"] != "POST"
            or not any(route.match(path) for route in CREATING_ROUTES)
        ):
            await self.app(scope, receive, send)
            return
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
        key = headers.get("idempotency-key")
        if key is None:
            await self.app(scope, receive, send)
            return
        owner = await self._owner(scope)
        if owner is None:
            await self.app(scope, receive, send)
            return
        if not service.KEY_PATTERN.match(key):
            await self._refuse(scope, send, headers, "key_invalid")
            return
        body = await _read_body(receive)
        caller = service.caller_of(owner, "POST", path)
        state = scope["app"].state
        decision = await service.begin(
            state.database, state.settings, caller=caller, key=key, body=body
        )
        if isinstance(decision, Replay):
            await _send_json(send, decision.status, decision.content_type, decision.body,
                             **{"idempotent-replayed": "true"})  # fmt: skip
            return
        if isinstance(decision, Refused):
            await self._refuse(scope, send, headers, decision.reason)
            return
        await self._run(scope, send, body, decision, caller=caller, key=key)

    @staticmethod
    async def _owner(scope: Scope) -> str | None:
        """Whose keys the request uses; None without a bearer token that verifies."""
        # Read as the route reads it (the first Authorization header), so that the principal
        # kept for the route is the one of the header the route would verify.
        authorization = Headers(scope=scope).get("authorization")
        if authorization is None:
            return None
        state = scope["app"].state
        try:
            async with state.database.session(write=False) as session:
                principal = await guards.authenticate_bearer(session, state.settings, authorization)
        except (MissingToken, InvalidToken):
            return None
        guards.keep_verified(scope.setdefault("state", {}), authorization, principal)
        return service.owner_of(principal)

    async def _run(
        self, scope: Scope, send: Send, body: bytes, claimed: Claimed, *, caller: str, key: str
    ) -> None:
        state = scope["app"].state
        held: list[Message] = []

        async def hold(message: Message) -> None:
            held.append(message)

        try:
            await self.app(scope, _replaying(body), hold)
        except BaseException:
            await service.release(state.database, claimed)
            raise
        start = next((m for m in held if m["type"] == "http.response.start"), None)
        if start is None or start["status"] >= 500:
            await service.release(state.database, claimed)
        else:
            await self._remember(scope, start, held, claimed, caller=caller, key=key)
        for message in held:
            await send(message)

    @staticmethod
    async def _remember(
        scope: Scope,
        start: Message,
        held: list[Message],
        claimed: Claimed,
        *,
        caller: str,
        key: str,
    ) -> None:
        state = scope["app"].state
        content_type = Headers(raw=start.get("headers", [])).get("content-type", "")
        answer = b"".join(m.get("body", b"") for m in held if m["type"] == "http.response.body")
        try:
            await service.remember(state.database, state.settings, claimed, caller=caller,
                                   key=key, status=start["status"], content_type=content_type,
                                   body=answer)  # fmt: skip
        except Exception:
            # The route's work is committed: its answer goes out all the same, for the caller
            # to learn what was done. The claim stays "in flight" until LOCK_SECONDS, as when
            # a process dies between the two (service.py).
            logger.exception("idempotency answer not stored", extra={"path": scope["path"]})

    @staticmethod
    async def _refuse(scope: Scope, send: Send, headers: dict[str, str], reason: str) -> None:
        code, status, title_zh, title_en = _REFUSALS[reason]
        english = prefers_english(headers.get("accept-language"))
        document: dict[str, Any] = problem_body(
            None, status=status, code=code, title=title_en if english else title_zh,
            detail=None, extra={"instance": scope["path"],
                                "request_id": scope.get("state", {}).get("request_id")},
        )  # fmt: skip
        await _send_json(send, status, PROBLEM_JSON, json.dumps(document).encode())


# For the creating routes' OpenAPI (`openapi_extra=IDEMPOTENCY_KEY_DOC`): the header is handled
# here, before the route, so no route declares it as a parameter.
IDEMPOTENCY_KEY_DOC: dict[str, Any] = {
    "parameters": [
        {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "schema": {"type": "string", "minLength": 1, "maxLength": 255},
            "description": (
                "Retry safely: the same key and body within 24 hours give the first answer "
                "again (header `Idempotent-Replayed: true`); the same key with another body is "
                "422 `idempotency.key_reused`; while the first is still running, 409 "
                "`idempotency.in_flight`. Keys belong to whom the access token speaks for (the "
                "person, the enterprise acted for, the staff member or the client) and the "
                "client application, not to the token: a retry with a refreshed token is "
                "recognised. Without a valid access token the key is not used."
            ),
        }
    ]
}
