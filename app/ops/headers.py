"""Headers every answer carries unless its route says otherwise.

`Cache-Control: no-store` is the default because most answers are someone's tokens or personal
data, and a shared cache or a browser's back button must not keep them; the few public,
cacheable answers (key sets, status lists, documentation assets) set their own. The rest keep
browsers from sniffing types, leaking URLs in referrers, framing the login page, and (over
https) from ever using plain http again.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_ALWAYS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
)
_HSTS = (b"strict-transport-security", b"max-age=31536000; includeSubDomains")
_NO_STORE = (b"cache-control", b"no-store")


class SecurityHeadersMiddleware:
    """Add the default headers to each response that does not set them itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        defaults = [*_ALWAYS, _NO_STORE]
        if scope.get("scheme") == "https":
            defaults.append(_HSTS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(item for item in defaults if item[0] not in present)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
