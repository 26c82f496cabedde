"""Verifying access tokens: signature and claims, then their state in the database.

A token is refused when its key is unknown or retired past publication, its signature, type,
issuer, audience or times are wrong, it was never issued with exactly these claims (a signature
alone proves only the key: were the key to leak, it must not be enough to mint sessions or widen
a real token's scope), it was revoked (RFC 7009), its grant was revoked (logout, code or
refresh-token reuse), its session ended, its client was disabled, or its staff member was
disabled. One query answers all the database questions.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import keys, token_states, tokens
from app.auth.models import ClientKind, StaffRole, SubjectKind
from app.auth.principals import Principal
from app.config import Settings
from app.kit.clock import utcnow

_MAX_TOKEN_CHARS = 4096


class TokenRejected(Exception):
    """The access token cannot be used."""


async def verified_claims(
    session: AsyncSession,
    settings: Settings,
    token: str,
    *,
    typ: str,
    audience: str,
    allow_expired: bool = False,
) -> dict[str, Any]:
    """The claims of a token this provider signed, checked as `typ` for `audience`."""
    if not token or len(token) > _MAX_TOKEN_CHARS:
        raise TokenRejected("no token")
    try:
        kid = tokens.header(token)["kid"]
        verifier = await keys.verifier(session, kid)
        if verifier is None:
            raise TokenRejected("unknown key")
        return tokens.verify(
            token,
            verifier.key,
            algorithm=verifier.algorithm,
            typ=typ,
            issuer=settings.issuer_url,
            audience=audience,
            allow_expired=allow_expired,
        )
    except tokens.TokenError as exc:
        raise TokenRejected(str(exc)) from exc


async def verify(session: AsyncSession, settings: Settings, token: str) -> Principal:
    """The principal of a live access token, or TokenRejected."""
    principal, _ = await inspect(session, settings, token)
    return principal


async def inspect(
    session: AsyncSession, settings: Settings, token: str
) -> tuple[Principal, dict[str, Any]]:
    """The principal and the claims of a live access token, or TokenRejected."""
    claims = await verified_claims(
        session, settings, token, typ=tokens.ACCESS_TOKEN_TYP, audience=settings.issuer_url
    )
    try:
        jti = str(claims["jti"])
        client_id = str(claims["client_id"])
        subject = str(claims["sub"])
        scope = str(claims.get("scope", ""))
        expires_at = datetime.fromtimestamp(int(claims["exp"]), UTC)
        grant_id = uuid.UUID(str(claims["gid"])) if "gid" in claims else None
        act = claims.get("act")
        if act is not None and not (isinstance(act, dict) and isinstance(act.get("sub"), str)):
            raise ValueError("act must name the acting party")
    except (KeyError, TypeError, ValueError) as exc:
        raise TokenRejected("malformed claims") from exc
    state = await token_states.read(
        session,
        token_states.TokenLookup(
            jti=jti, claims_digest=tokens.claims_digest(claims), client_id=client_id,
            grant_id=grant_id,
        ),
    )  # fmt: skip
    now = utcnow()
    if state is None or not state.live or state.client_disabled_at is not None:
        raise TokenRejected("not issued, or revoked")
    common: dict[str, Any] = {
        "subject": subject,
        "client_id": client_id,
        "client_kind": ClientKind(state.client_kind),
        "scopes": frozenset(scope.split()),
        "token_id": jti,
        "expires_at": expires_at,
    }
    if grant_id is None:
        # Client credentials: the client is the subject, acting for its department (if any).
        if subject != client_id:
            raise TokenRejected("malformed claims")
        client = Principal(
            kind="client", id=client_id, department_code=state.client_department_code, **common
        )
        return client, claims
    if (
        state.grant_revoked_at is not None
        or state.grant_expires_at is None
        or state.grant_expires_at <= now
        or state.session_ended_at is not None
    ):
        raise TokenRejected("revoked")
    if state.subject_kind == SubjectKind.STAFF:
        if state.staff_id is None or state.staff_disabled_at is not None or state.role is None:
            raise TokenRejected("revoked")
        staff = Principal(
            kind="staff",
            id=str(state.staff_id),
            session_id=state.session_id,
            grant_id=grant_id,
            role=StaffRole(state.role),
            department_code=state.department_code,
            **common,
        )
        return staff, claims
    if state.account_id is None:
        raise TokenRejected("revoked")
    person = Principal(
        kind="person",
        id=str(state.account_id),
        session_id=state.session_id,
        grant_id=grant_id,
        enterprise=subject if act is not None else None,
        **common,
    )
    return person, claims
