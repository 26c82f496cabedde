"""The client's address behind a load balancer.

Rate limits, lockouts and audit records count against `request.client`. Behind a load balancer
that is the balancer's address unless `X-Forwarded-For` is read — and read only from the
proxies the operator names (`QE_TRUSTED_PROXIES`), or any client could pick the address its
guesses are counted against. The list is walked from the right (the nearest hop) past the
trusted proxies; the first address that is not one of them is the client.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from starlette.types import ASGIApp, Receive, Scope, Send

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _address(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


class TrustedProxiesMiddleware:
    """Rewrite the client address (and scheme) from the headers of trusted proxies only."""

    def __init__(self, app: ASGIApp, *, trusted: Sequence[Network]) -> None:
        self.app = app
        self.trusted = tuple(trusted)

    def _is_trusted(self, value: str) -> bool:
        address = _address(value)
        return address is not None and any(address in network for network in self.trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        client = scope.get("client")
        if scope["type"] in {"http", "websocket"} and client and self._is_trusted(client[0]):
            forwarded_for: list[str] = []
            proto: str | None = None
            for name, value in scope["headers"]:
                if name == b"x-forwarded-for":
                    forwarded_for.extend(value.decode("latin-1").split(","))
                elif name == b"x-forwarded-proto":
                    # The first proxy saw the scheme the client used.
                    proto = value.decode("latin-1").split(",")[0].strip().lower()
            origin = self._origin(forwarded_for)
            if origin is not None:
                scope["client"] = (origin, 0)
            if proto in {"http", "https"}:
                scope["scheme"] = proto
        await self.app(scope, receive, send)

    def _origin(self, hops: list[str]) -> str | None:
        """The rightmost hop that is not a trusted proxy; None when the list is unusable."""
        addresses = [_address(hop) for hop in hops]
        if not addresses or any(address is None for address in addresses):
            return None  # a malformed list is ignored whole rather than half believed
        for address in reversed(addresses):
            assert address is not None
            if not any(address in network for network in self.trusted):
                return str(address)
        return str(addresses[0])  # every hop is ours: the farthest one is the client
