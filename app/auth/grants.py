"""The token endpoint's grants: authorization code (PKCE), refresh token (rotating), client
credentials; and issuing a session's tokens to a client (also for the first-party login API)."""

from __future__ import annotations

import hashlib
import logging

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import issuance, opaque, repository, scopes, sessions
from app.auth.errors import invalid_grant, invalid_request, invalid_scope, unauthorized_client
from app.auth.models import Grant, OAuthClient, SsoSession
from app.auth.schemas import TokenResponse
from app.auth.token_ledger import TokenLedger
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.crypto import constant_time_equals
from app.kit.encoding import b64url_encode

logger = logging.getLogger("qingeban.auth")

CODE_KIND = "authorization-code"
CODE_SECONDS = 60


def pkce_s256(verifier: str) -> str:
    """The S256 code challenge of a code verifier (RFC 7636 §4.2)."""
    return b64url_encode(hashlib.sha256(verifier.encode("ascii")).digest())


def _valid_verifier(verifier: str | None) -> bool:
    # RFC 7636 §4.1: 43-128 characters of [A-Z a-z 0-9 - . _ ~].
    allowed = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    return verifier is not None and 43 <= len(verifier) <= 128 and set(verifier) <= allowed


async def issue(
    session: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    sso: SsoSession,
    scope: str,
    *,
    nonce: str | None = None,
) -> TokenResponse:
    """A new grant of `scope` to `client` in session `sso`, and its first tokens."""
    grant = await issuance.new_grant(session, settings, client, sso, scope)
    await sessions.join(session, sso, client.client_id)
    return await _respond(session, settings, client, sso, grant, scope, nonce=nonce)


async def _respond(
    session: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    sso: SsoSession,
    grant: Grant,
    scope: str,
    *,
    nonce: str | None,
) -> TokenResponse:
    subject = issuance.session_subject(settings, client, sso)
    access, lifetime = await issuance.access_token(
        session, settings, client=client, subject=subject, scope=scope, sso=sso, grant=grant
    )
    refresh = None
    if "refresh_token" in client.grant_types:
        refresh = await issuance.refresh_token(session, settings, grant)
    id_token = None
    if scopes.OPENID in scope.split(" "):
        id_token = await issuance.id_token(
            session, settings, client=client, sso=sso, nonce=nonce, access=access
        )
    return TokenResponse(
        access_token=access,
        expires_in=lifetime,
        refresh_token=refresh,
        id_token=id_token,
        scope=scope,
    )


async def exchange_code(
    session: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    *,
    code: str | None,
    redirect_uri: str | None,
    code_verifier: str | None,
) -> TokenResponse:
    """Redeem an authorization code once; a second redemption revokes what the first got."""
    if "authorization_code" not in client.grant_types:
        raise unauthorized_client("this client may not use authorization_code")
    if not code or len(code) > 200:
        raise invalid_request("code is required")
    now = utcnow()
    stored = await repository.authorization_code(session, opaque.digest(settings, CODE_KIND, code))
    if stored is None or stored.client_id != client.client_id:
        raise invalid_grant("unknown authorization code")
    if stored.used_at is not None:
        # RFC 6749 §4.1.2 / OAuth 2.0 Security BCP: a replayed code means it leaked, so what
        # it was exchanged for is revoked too.
        if stored.grant_id is not None:
            await repository.revoke_grant(session, stored.grant_id, now, reason="code_reuse")
        logger.warning("authorization code reused", extra={"client_id": client.client_id})
        raise invalid_grant("authorization code already used")
    if stored.expires_at <= now:
        raise invalid_grant("authorization code expired")
    if redirect_uri is None or not constant_time_equals(redirect_uri, stored.redirect_uri):
        raise invalid_grant("redirect_uri does not match the authorization request")
    if not _valid_verifier(code_verifier) or not constant_time_equals(
        pkce_s256(code_verifier or ""), stored.code_challenge
    ):
        raise invalid_grant("code_verifier does not match the code challenge")
    # Spent atomically: of two concurrent redemptions, one wins and the other is a reuse.
    if not await repository.spend_authorization_code(session, stored.code_hash, now):
        raise invalid_grant("authorization code already used")
    sso = await repository.sso_session(session, stored.session_id)
    if sso is None or sso.ended_at is not None:
        raise invalid_grant("the session of this code has ended")
    grant = await issuance.new_grant(session, settings, client, sso, stored.scope)
    await repository.set_code_grant(session, stored.code_hash, grant.id)
    await sessions.join(session, sso, client.client_id)
    return await _respond(session, settings, client, sso, grant, stored.scope, nonce=stored.nonce)


async def refresh(
    session: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    *,
    refresh_token: str | None,
    scope: str | None,
) -> TokenResponse:
    """Trade a refresh token for new tokens; it is spent, and spending it twice kills its family."""
    if "refresh_token" not in client.grant_types:
        raise unauthorized_client("this client may not use refresh_token")
    if not refresh_token or len(refresh_token) > 200:
        raise invalid_request("refresh_token is required")
    now = utcnow()
    token_hash = opaque.digest(settings, issuance.REFRESH_KIND, refresh_token)
    stored = await repository.refresh_token(session, token_hash)
    if stored is None:
        raise invalid_grant("unknown refresh token")
    grant = await repository.grant(session, stored.grant_id)
    if grant is None or grant.client_id != client.client_id:
        raise invalid_grant("unknown refresh token")
    if stored.used_at is not None:
        # A spent token presented again: it was stolen, or the thief already used it. Either
        # way the whole family is revoked (OAuth 2.0 Security BCP §4.14.2).
        await repository.revoke_grant(session, grant.id, now, reason="refresh_reuse")
        logger.warning("refresh token reused", extra={"client_id": client.client_id})
        raise invalid_grant("refresh token already used")
    sso = await repository.sso_session(session, grant.session_id)
    if grant.revoked_at is not None or sso is None or sso.ended_at is not None:
        raise invalid_grant("refresh token revoked")
    if stored.expires_at <= now or grant.expires_at <= now:
        raise invalid_grant("refresh token expired")
    granted = grant.scope.split(" ")
    narrowed = grant.scope
    if scope is not None:
        try:
            asked = scopes.parse(scope)
        except scopes.InvalidScope as exc:
            raise invalid_scope(str(exc)) from exc
        if not set(asked) <= set(granted):
            raise invalid_scope("a refresh cannot widen the granted scope")
        narrowed = scopes.render(asked)
    if not await repository.spend_refresh_token(session, token_hash, now):
        await repository.revoke_grant(session, grant.id, now, reason="refresh_reuse")
        raise invalid_grant("refresh token already used")
    return await _respond(session, settings, client, sso, grant, narrowed, nonce=None)


async def client_credentials(
    session: AsyncSession,
    settings: Settings,
    client: OAuthClient,
    *,
    scope: str | None,
    ledger: TokenLedger | None = None,
) -> TokenResponse:
    """An access token for the client itself: no refresh token, no ID token; recorded by
    `ledger` when one is given (app.auth.token_ledger)."""
    if "client_credentials" not in client.grant_types or client.secret_hash is None:
        raise unauthorized_client("this client may not use client_credentials")
    machine = [name for name in client.scopes if not scopes.SCOPES[name].user_bound]
    try:
        asked = scopes.parse(scope) if scope is not None else tuple(machine)
    except scopes.InvalidScope as exc:
        raise invalid_scope(str(exc)) from exc
    if not asked or not set(asked) <= set(machine):
        raise invalid_scope("client credentials carry only the client's own API scopes")
    rendered = scopes.render(asked)
    access, lifetime = await issuance.access_token(
        session, settings, client=client, subject=client.client_id, scope=rendered, ledger=ledger
    )
    return TokenResponse(access_token=access, expires_in=lifetime, scope=rendered)
