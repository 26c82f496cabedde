"""Checks on answers shared by every test client."""

from __future__ import annotations

import httpx


def designed_unavailable(response: httpx.Response) -> bool:
    """A 503 the service means: a problem+json "try again later" (e.g. a department is down)."""
    content_type = response.headers.get("content-type", "")
    return response.status_code == 503 and content_type.startswith("application/problem+json")
