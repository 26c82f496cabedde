"""The console (app/console) as a relying party of this provider: its registration, and the
token operations it performs as a confidential client.

The console is served by the same application, but it signs staff in exactly as a department
system does: authorization code with PKCE S256 through /oauth/authorize and the login page, an
exactly registered redirect URI, a client secret, back-channel logout. Only the transport is
short-circuited: the code is redeemed by calling the token endpoint's grant in-process instead
of over HTTP, because the server cannot assume it can reach its own public address. The secret
is derived from QE_SECRET_KEY, so every process of a deployment knows it and none stores it.
"""

from __future__ import annotations

import hashlib
import hmac

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import (
    access,
    clients,
    grants,
    issuance,
    keys,
    opaque,
    repository,
    scopes,
    sessions,
    tokens,
)
from app.auth.errors import OAuthError
from app.auth.models import ClientKind, OAuthClient, SubjectType
from app.auth.principals import Principal
from app.auth.schemas import TokenResponse
from app.config import Settings
from app.kit.clock import utcnow

CLIENT_ID = "qingeban-console"
CLIENT_NAME = "青e办 工作台 / Console"
SCOPE = "openid profile staff"
CALLBACK_PATH = "/console/callback"
BACKCHANNEL_PATH = "/console/backchannel-logout"
SIGNED_OUT_PATH = "/console/signed-out"
_SECRET_KIND = "client-secret"  # noqa: S105 - the same digest domain as every client's secret


def client_secret(settings: Settings) -> str:
    """The console's client secret: derived from the deployment's secret key."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, b"qingeban-console-client-secret", hashlib.sha256).hexdigest()


def redirect_uri(settings: Settings) -> str:
    """Where the provider sends the browser back with a code."""
    return f"{settings.issuer_url}{CALLBACK_PATH}"


async def ensure(session: AsyncSession, settings: Settings) -> bool:
    """Register the console client, or bring its URIs and secret in line with the settings (the
    issuer may have moved); whether anything changed."""
    secret_hash = opaque.digest(settings, _SECRET_KIND, client_secret(settings))
    uris = {
        "redirect_uris": [redirect_uri(settings)],
        "post_logout_redirect_uris": [f"{settings.issuer_url}{SIGNED_OUT_PATH}"],
        "backchannel_logout_uri": f"{settings.issuer_url}{BACKCHANNEL_PATH}",
    }
    existing = await repository.client(session, CLIENT_ID)
    if existing is None:
        await repository.add(
            session,
            OAuthClient(
                client_id=CLIENT_ID, name=CLIENT_NAME, kind=ClientKind.DEPARTMENT.value,
                secret_hash=secret_hash, subject_type=SubjectType.PUBLIC.value,
                sector_identifier=CLIENT_ID, grant_types=["authorization_code", "refresh_token"],
                scopes=list(scopes.parse(SCOPE)), created_at=utcnow(), **uris,
            ),
        )  # fmt: skip
        return True
    changed = existing.secret_hash != secret_hash or any(
        getattr(existing, name) != value for name, value in uris.items()
    )
    if changed:
        existing.secret_hash = secret_hash
        for name, value in uris.items():
            setattr(existing, name, value)
        await session.flush()
    return changed


async def _client(session: AsyncSession, settings: Settings) -> OAuthClient:
    return await clients.authenticate(session, settings, CLIENT_ID, client_secret(settings))


async def redeem(
    session: AsyncSession, settings: Settings, *, code: str, verifier: str
) -> TokenResponse | None:
    """The tokens an authorization code (with its PKCE verifier) is worth; None if refused."""
    try:
        client = await _client(session, settings)
        return await grants.exchange_code(
            session, settings, client, code=code, redirect_uri=redirect_uri(settings),
            code_verifier=verifier,
        )  # fmt: skip
    except OAuthError:
        return None


async def refresh(
    session: AsyncSession, settings: Settings, refresh_token: str
) -> TokenResponse | None:
    """New tokens for a refresh token (rotated); None once the grant or session has ended."""
    try:
        client = await _client(session, settings)
        return await grants.refresh(
            session, settings, client, refresh_token=refresh_token, scope=None
        )
    except OAuthError:
        return None


async def principal(session: AsyncSession, settings: Settings, token: str) -> Principal | None:
    """Who a live access token issued to the console belongs to; None for any other token."""
    try:
        found = await access.verify(session, settings, token)
    except access.TokenRejected:
        return None
    return found if found.client_id == CLIENT_ID else None


async def back_channel_logout(session: AsyncSession, settings: Settings, token: str) -> bool:
    """End the session a logout token names (OpenID Connect Back-Channel Logout §2.6): its
    grants are revoked, so the console's cookie stops working. Whether the token was valid."""
    try:
        claims = await access.verified_claims(
            session, settings, token, typ=tokens.LOGOUT_TOKEN_TYP, audience=CLIENT_ID
        )
    except access.TokenRejected:
        return False
    events = claims.get("events")
    sid = claims.get("sid")
    if not isinstance(events, dict) or issuance.LOGOUT_EVENT not in events or "nonce" in claims:
        return False
    if not isinstance(sid, str):
        return False
    sso = await repository.sso_session(session, sid)
    if sso is not None:
        await sessions.end(session, sso)
    return True


async def sign_out(session: AsyncSession, sid: str | None) -> None:
    """The console's own sign-out ends the single sign-on session (every system is told)."""
    if sid is None:
        return
    sso = await repository.sso_session(session, sid)
    if sso is not None:
        await sessions.end(session, sso)


async def bearer_principal(
    session: AsyncSession, settings: Settings, token: str
) -> Principal | None:
    """Who any live access token belongs to (a wall screen's `stats.read` client); None if dead."""
    try:
        return await access.verify(session, settings, token)
    except access.TokenRejected:
        return None


async def signing_keys(session: AsyncSession) -> list[tuple[str, str, str]]:
    """Every signing key as (kid, state, algorithm), newest first: what admins are shown."""
    return [(key.kid, key.state, key.algorithm) for key in await keys.list_keys(session)]
