"""Which endpoint URLs a subscription may name: https on a public address; plain http to the
loopback address only outside production (a developer's local receiver). No private, link-local
or otherwise internal address, checked on the name's resolution, so that webhooks cannot be
used to reach the platform's own network (SSRF)."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from app.config import Settings


class UnsafeUrl(ValueError):
    """The URL may not be called."""


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return address.is_global and not address.is_multicast


async def _addresses(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise UnsafeUrl(f"the host {host!r} does not resolve") from exc
    return [ipaddress.ip_address(info[4][0]) for info in infos]


async def check(url: str, settings: Settings) -> None:
    """Raise UnsafeUrl unless the platform may call `url`."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise UnsafeUrl("the URL must be absolute, https")
    if parts.username or parts.password:
        raise UnsafeUrl("the URL may not carry credentials")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise UnsafeUrl("the port is not valid") from exc
    addresses = await _addresses(parts.hostname, port)
    if not addresses:
        raise UnsafeUrl("the host has no address")
    loopback = all(address.is_loopback for address in addresses)
    if loopback and settings.env != "production":
        return
    if parts.scheme != "https":
        raise UnsafeUrl("the URL must be https")
    if not all(_public(address) for address in addresses):
        raise UnsafeUrl("the host is not a public address")
