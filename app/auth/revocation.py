"""Token revocation (RFC 7009) and introspection (RFC 7662).

Both look at access tokens (JWTs) and refresh tokens (opaque), whatever the hint says, and only
ever at the calling client's own tokens: another client's token reads as inactive and is left
alone, so a client learns nothing about tokens it was not issued.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import access, issuance, opaque, repository, tokens
from app.auth.models import Grant, OAuthClient, RefreshToken
from app.auth.schemas import Introspection
from app.config import Settings
from app.kit.clock import utcnow


def _looks_like_jwt(token: str) -> bool:
    return token.count(".") == 2


async def _refresh_grant(
    session: AsyncSession, settings: Settings, client: OAuthClient, token: str
) -> tuple[RefreshToken, Grant] | None:
    if len(token) > 200:
        return None
    stored = await repository.refresh_token(
        session, opaque.digest(settings, issuance.REFRESH_KIND, token)
    )
    if stored is None:
        return None
    grant = await repository.grant(session, stored.grant_id)
    if grant is None or grant.client_id != client.client_id:
        return None
    return stored, grant


async def revoke(
    session: AsyncSession, settings: Settings, client: OAuthClient, token: str
) -> None:
    """Revoke the client's token: a refresh token revokes its whole grant."""
    if _looks_like_jwt(token):
        try:
            claims = await access.verified_claims(
                session,
                settings,
                token,
                typ=tokens.ACCESS_TOKEN_TYP,
                audience=settings.issuer_url,
            )
        except access.TokenRejected:
            return  # expired or not ours: nothing left to revoke
        if claims.get("client_id") == client.client_id and isinstance(claims.get("jti"), str):
            digest = tokens.claims_digest(claims)
            await repository.revoke_access_token(session, claims["jti"], digest, utcnow())
        return
    found = await _refresh_grant(session, settings, client, token)
    if found is not None:
        await repository.revoke_grant(session, found[1].id, utcnow(), reason="revoked")


async def introspect(
    session: AsyncSession, settings: Settings, client: OAuthClient, token: str
) -> Introspection:
    """Whether the client's token is active, and what it carries."""
    inactive = Introspection(active=False)
    if _looks_like_jwt(token):
        try:
            principal, claims = await access.inspect(session, settings, token)
        except access.TokenRejected:
            return inactive
        if principal.client_id != client.client_id:
            return inactive
        return Introspection(
            active=True,
            scope=claims.get("scope"),
            client_id=principal.client_id,
            sub=principal.subject,
            token_type="Bearer",  # noqa: S106 - a token type, not a secret
            exp=claims.get("exp"),
            iat=claims.get("iat"),
            nbf=claims.get("nbf"),
            iss=claims.get("iss"),
            aud=claims.get("aud"),
            jti=principal.token_id,
            sid=principal.session_id,
            act=claims.get("act"),
        )
    found = await _refresh_grant(session, settings, client, token)
    if found is None:
        return inactive
    stored, grant = found
    now = utcnow()
    sso = await repository.sso_session(session, grant.session_id)
    if (
        stored.used_at is not None
        or stored.expires_at <= now
        or grant.revoked_at is not None
        or sso is None
        or sso.ended_at is not None
    ):
        return inactive
    return Introspection(
        active=True,
        scope=grant.scope,
        client_id=client.client_id,
        sub=issuance.session_subject(settings, client, sso),
        token_type="refresh_token",  # noqa: S106 - a token type
        exp=int(stored.expires_at.timestamp()),
        iat=int(stored.issued_at.timestamp()),
        iss=settings.issuer_url,
        sid=sso.id,
    )
