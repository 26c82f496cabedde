"""Request-derived audit context for endpoints to hand to services."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.audit.schemas import AuditContext


async def get_audit_context(request: Request) -> AuditContext:
    """The request id (set by the request middleware) and the client's address.

    Behind a load balancer the address is the proxy's unless the server trusts its forwarded
    headers (uvicorn `--proxy-headers --forwarded-allow-ips`).
    """
    return audit_context_of(request)


def audit_context_of(request: Request) -> AuditContext:
    """`get_audit_context` outside dependency injection (for the busiest routes)."""
    request_id = getattr(request.state, "request_id", None)
    client = request.client
    return AuditContext(
        request_id=request_id if isinstance(request_id, str) else None,
        client_address=client.host[:64] if client is not None else None,
    )


AuditContextDep = Annotated[AuditContext, Depends(get_audit_context)]
