"""RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0) and back-channel logout tokens.

The ID token hint is verified with our keys (an expired one is fine: logging out late is still
logging out); a post-logout redirect URI is followed only when it is registered, exactly, for
the client the hint or `client_id` names. Otherwise the user sees a page instead of a redirect.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import access, clients, issuance, repository, sessions, tokens
from app.auth.models import OAuthClient, SsoSession
from app.config import Settings


class LogoutRefused(Exception):
    """The logout request is malformed: shown to the user, never redirected."""


@dataclass(frozen=True, slots=True)
class LogoutRequest:
    """The parameters of a logout request."""

    id_token_hint: str | None = None
    post_logout_redirect_uri: str | None = None
    state: str | None = None
    client_id: str | None = None


@dataclass(frozen=True, slots=True)
class LogoutOutcome:
    """Where to send the browser (None: show the signed-out page) and what was ended."""

    redirect: str | None
    sessions_ended: int
    clients_notified: int


async def _hinted(
    session: AsyncSession, settings: Settings, hint: str
) -> tuple[OAuthClient, dict[str, object]]:
    try:
        audience = tokens.unverified_claims(hint).get("aud")
    except tokens.TokenError as exc:
        raise LogoutRefused("id_token_hint is not a valid ID token") from exc
    if isinstance(audience, list) and len(audience) == 1:
        audience = audience[0]
    client = await clients.find(session, audience if isinstance(audience, str) else None)
    if client is None:
        raise LogoutRefused("id_token_hint is not a valid ID token")
    try:
        claims = await access.verified_claims(
            session,
            settings,
            hint,
            typ=tokens.ID_TOKEN_TYP,
            audience=client.client_id,
            allow_expired=True,
        )
    except access.TokenRejected as exc:
        raise LogoutRefused("id_token_hint is not a valid ID token") from exc
    return client, claims


async def logout(
    session: AsyncSession, settings: Settings, request: LogoutRequest, cookie: str | None
) -> LogoutOutcome:
    """End the browser's session (and the hinted one), then say where to go."""
    client: OAuthClient | None = None
    hinted_sso: SsoSession | None = None
    if request.id_token_hint:
        client, claims = await _hinted(session, settings, request.id_token_hint)
        sid = claims.get("sid")
        if isinstance(sid, str):
            candidate = await repository.sso_session(session, sid)
            if candidate is not None and issuance.session_subject(
                settings, client, candidate
            ) == claims.get("sub"):
                hinted_sso = candidate
    if request.client_id is not None:
        if client is not None and client.client_id != request.client_id:
            raise LogoutRefused("client_id does not match the id_token_hint")
        client = client or await clients.find(session, request.client_id)
        if client is None:
            raise LogoutRefused("unknown client_id")
    redirect = None
    if request.post_logout_redirect_uri is not None:
        if client is None:
            raise LogoutRefused("post_logout_redirect_uri needs id_token_hint or client_id")
        if request.post_logout_redirect_uri not in client.post_logout_redirect_uris:
            raise LogoutRefused("post_logout_redirect_uri is not registered for this client")
        redirect = request.post_logout_redirect_uri
    ended = notified = 0
    current = await sessions.from_cookie(session, settings, cookie)
    for sso in {s.id: s for s in (current, hinted_sso) if s is not None}.values():
        if sso.ended_at is None:
            notified += await sessions.end(session, sso)
            ended += 1
    if redirect is not None and request.state is not None:
        separator = "&" if "?" in redirect else "?"
        redirect = f"{redirect}{separator}{urlencode({'state': request.state})}"
    return LogoutOutcome(redirect, ended, notified)


async def backchannel_logout_token(
    session: AsyncSession, settings: Settings, *, client_id: str, sid: str, jti: str
) -> tuple[str, str] | None:
    """The logout token for one client of an ended session and where to post it; None when
    there is nothing (left) to deliver."""
    client = await repository.client(session, client_id)
    sso = await repository.sso_session(session, sid)
    if client is None or sso is None or client.backchannel_logout_uri is None:
        return None
    token = await issuance.logout_token(session, settings, client=client, sso=sso, jti=jti)
    return token, client.backchannel_logout_uri
