"""Job handlers of the identity domain: back-channel logout delivery.

A logout token is posted to the client's back-channel logout URI (OpenID Connect Back-Channel
Logout 1.0 §2.5). Anything but a 2xx answer fails the attempt, and the job is retried with
backoff; the token's `jti` is the same on every attempt, so the client can drop repeats.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import logout
from app.auth.sessions import BACKCHANNEL_LOGOUT_JOB
from app.config import get_settings
from app.jobs.registry import job_handler

logger = logging.getLogger("qingeban.auth")

_TIMEOUT = httpx.Timeout(5.0)


class BackchannelLogoutRefused(Exception):
    """The client did not accept the logout token (the job is retried)."""


@job_handler(BACKCHANNEL_LOGOUT_JOB)
async def deliver_backchannel_logout(session: AsyncSession, payload: dict[str, Any]) -> None:
    """Post one client's logout token for an ended session."""
    found = await logout.backchannel_logout_token(
        session,
        get_settings(),
        client_id=str(payload["client_id"]),
        sid=str(payload["sid"]),
        jti=str(payload["jti"]),
    )
    if found is None:
        return  # the client or its logout URI is gone: nothing to tell
    token, uri = found
    # No redirects: the token goes to the registered URI or nowhere.
    async with httpx.AsyncClient(timeout=_TIMEOUT, follow_redirects=False) as http:
        response = await http.post(
            uri, data={"logout_token": token}, headers={"Cache-Control": "no-store"}
        )
    if not response.is_success:
        raise BackchannelLogoutRefused(f"{payload['client_id']} answered {response.status_code}")
    logger.info("back-channel logout delivered", extra={"client_id": payload["client_id"]})
