"""Minting tokens: access tokens (RFC 9068 JWTs), ID tokens, logout tokens and refresh tokens."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import keys, opaque, repository, tokens
from app.auth.errors import NoSigningKeyAvailable
from app.auth.models import (
    Grant,
    OAuthClient,
    RefreshToken,
    SsoSession,
    SubjectKind,
)
from app.auth.subjects import subject_for
from app.auth.token_ledger import TokenLedger
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.ids import new_id

REFRESH_KIND = "refresh-token"
LOGOUT_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_SECONDS = 120


def principal_of(sso: SsoSession) -> tuple[str, str]:
    """(kind, id) of the person or staff member a session belongs to."""
    principal = sso.account_id if sso.subject_kind == SubjectKind.PERSON else sso.staff_id
    return sso.subject_kind, str(principal)


def session_subject(settings: Settings, client: OAuthClient, sso: SsoSession) -> str:
    """The `sub` the client sees for the session's user."""
    kind, principal = principal_of(sso)
    return subject_for(settings, client, kind, principal)


async def _sign(
    session: AsyncSession,
    settings: Settings,
    claims: dict[str, Any],
    typ: str,
    algorithm: str = tokens.ID_TOKEN_ALGORITHM,
) -> str:
    try:
        kid, key = await keys.signer(session, settings, algorithm)
    except keys.NoSigningKey as exc:
        raise NoSigningKeyAvailable(
            "请运行 qingeban migrate 或 qingeban keys rotate", "run `qingeban migrate` first"
        ) from exc
    return tokens.sign(claims, key, kid=kid, typ=typ, algorithm=algorithm)


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


async def access_token(
    session: AsyncSession,
    settings: Settings,
    *,
    client: OAuthClient,
    subject: str,
    scope: str,
    sso: SsoSession | None = None,
    grant: Grant | None = None,
    act: dict[str, str] | None = None,
    ledger: TokenLedger | None = None,
) -> tuple[str, int]:
    """A signed access token for the platform's API and its lifetime in seconds, recorded as
    issued (app.auth.access accepts no other): by `ledger` when one is given, committed with
    other requests' records before this returns, otherwise in `session`.

    `act` (RFC 8693 §4.1) names the person acting when `subject` is an enterprise.
    """
    now = utcnow()
    lifetime = settings.access_token_seconds
    claims: dict[str, Any] = {
        "iss": settings.issuer_url,
        "sub": subject,
        # The platform is its own resource server; `typ` at+jwt keeps ID tokens out.
        "aud": settings.issuer_url,
        "client_id": client.client_id,
        "scope": scope,
        "iat": _epoch(now),
        "nbf": _epoch(now),
        "exp": _epoch(now) + lifetime,
        "jti": opaque.new_id_token(),
    }
    if sso is not None and grant is not None:
        claims.update(sid=sso.id, gid=str(grant.id), auth_time=_epoch(sso.auth_time))
    if act is not None:
        claims["act"] = act
    token = await _sign(
        session, settings, claims, tokens.ACCESS_TOKEN_TYP, settings.access_token_algorithm
    )
    record = {
        "jti": claims["jti"],
        "claims_digest": tokens.claims_digest(claims),
        "expires_at": now + timedelta(seconds=lifetime),
    }
    if ledger is not None:
        # The ledger writes on a pooled connection of its own: a request waiting for it must
        # not hold one, or as many waiting requests as the pool has connections would hold
        # every one of them (the session is then used for nothing else).
        if session.in_transaction():  # nothing to release when the client and key were cached
            await session.commit()
        await ledger.record(**record)
    else:
        await repository.record_access_token(session, **record)
    return token, lifetime


async def id_token(
    session: AsyncSession,
    settings: Settings,
    *,
    client: OAuthClient,
    sso: SsoSession,
    nonce: str | None,
    access: str,
) -> str:
    """An ID token: who signed in, when, how, in which session; `nonce` only when one was sent."""
    now = utcnow()
    claims: dict[str, Any] = {
        "iss": settings.issuer_url,
        "sub": session_subject(settings, client, sso),
        "aud": client.client_id,
        "azp": client.client_id,
        "iat": _epoch(now),
        "exp": _epoch(now) + settings.access_token_seconds,
        "auth_time": _epoch(sso.auth_time),
        "sid": sso.id,
        "acr": sso.acr,
        "amr": list(sso.amr),
        "at_hash": tokens.at_hash(access),
    }
    if nonce is not None:
        claims["nonce"] = nonce
    return await _sign(session, settings, claims, tokens.ID_TOKEN_TYP)


async def logout_token(
    session: AsyncSession, settings: Settings, *, client: OAuthClient, sso: SsoSession, jti: str
) -> str:
    """A back-channel logout token (typ logout+jwt, the logout event, sid, never a nonce)."""
    now = utcnow()
    claims = {
        "iss": settings.issuer_url,
        "aud": client.client_id,
        "sub": session_subject(settings, client, sso),
        "sid": sso.id,
        "iat": _epoch(now),
        "exp": _epoch(now) + LOGOUT_TOKEN_SECONDS,
        "jti": jti,
        "events": {LOGOUT_EVENT: {}},
    }
    return await _sign(session, settings, claims, tokens.LOGOUT_TOKEN_TYP)


async def refresh_token(session: AsyncSession, settings: Settings, grant: Grant) -> str:
    """A new refresh token of the grant's family, valid as long as the grant."""
    value = opaque.new_secret()
    await repository.add(
        session,
        RefreshToken(
            token_hash=opaque.digest(settings, REFRESH_KIND, value),
            grant_id=grant.id,
            issued_at=utcnow(),
            expires_at=grant.expires_at,
        ),
    )
    return value


async def new_grant(
    session: AsyncSession, settings: Settings, client: OAuthClient, sso: SsoSession, scope: str
) -> Grant:
    """What the client was granted in this session; its refresh tokens form one family."""
    now = utcnow()
    grant = Grant(
        id=new_id(),
        client_id=client.client_id,
        session_id=sso.id,
        scope=scope,
        created_at=now,
        expires_at=now + timedelta(seconds=settings.refresh_token_seconds),
    )
    await repository.add(session, grant)
    return grant
