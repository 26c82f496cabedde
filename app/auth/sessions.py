"""SSO sessions: start one at sign-in, find it from the browser cookie, end it (logout).

The browser holds only a random cookie; the database holds its digest, the session id (`sid`)
and who signed in, how and when. Ending a session revokes what was granted in it and queues a
back-channel logout token for every client that took part, in the same transaction.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import opaque, repository
from app.auth.logins import VerifiedLogin
from app.auth.models import SsoSession, SubjectKind
from app.config import Settings
from app.jobs import service as jobs
from app.kit.clock import utcnow

logger = logging.getLogger("qingeban.auth")

BACKCHANNEL_LOGOUT_JOB = "auth.backchannel_logout"
_COOKIE_KIND = "sso-cookie"


def cookie_name(settings: Settings) -> str:
    """The session cookie's name; `__Host-` (Secure, Path=/, no Domain) when served over https."""
    return "__Host-qe_sso" if secure_cookies(settings) else "qe_sso"


def secure_cookies(settings: Settings) -> bool:
    """Cookies are Secure when the issuer is https."""
    return settings.issuer_url.startswith("https://")


async def start(
    session: AsyncSession, settings: Settings, login: VerifiedLogin, *, browser: bool
) -> tuple[SsoSession, str | None]:
    """A new session; with `browser`, also the cookie value that finds it again."""
    now = utcnow()
    cookie = opaque.new_secret() if browser else None
    # A browser session lasts a working day; an app login as long as its refresh tokens.
    lifetime = settings.sso_session_seconds if browser else settings.refresh_token_seconds
    sso = SsoSession(
        id=opaque.new_id_token(),
        cookie_hash=opaque.digest(settings, _COOKIE_KIND, cookie) if cookie else None,
        subject_kind=login.kind.value,
        account_id=login.principal_id if login.kind == SubjectKind.PERSON else None,
        staff_id=login.principal_id if login.kind == SubjectKind.STAFF else None,
        auth_time=login.authenticated_at,
        amr=list(login.amr),
        acr=login.acr,
        created_at=now,
        expires_at=now + timedelta(seconds=lifetime),
    )
    await repository.add(session, sso)
    return sso, cookie


def same_subject(sso: SsoSession, login: VerifiedLogin) -> bool:
    """Whether a session belongs to the person or staff member of `login`."""
    principal = sso.account_id if sso.subject_kind == SubjectKind.PERSON else sso.staff_id
    return sso.subject_kind == login.kind.value and principal == login.principal_id


async def reauthenticate(session: AsyncSession, sso: SsoSession, login: VerifiedLogin) -> None:
    """The same user signed in again in this session (prompt=login, max_age): refresh it."""
    sso.auth_time = login.authenticated_at
    sso.amr = list(login.amr)
    sso.acr = login.acr
    await session.flush()


async def from_cookie(
    session: AsyncSession, settings: Settings, cookie: str | None
) -> SsoSession | None:
    """The live session of a browser cookie, if any."""
    if not cookie or len(cookie) > 100:
        return None
    sso = await repository.session_by_cookie(session, opaque.digest(settings, _COOKIE_KIND, cookie))
    if sso is None or sso.ended_at is not None or sso.expires_at <= utcnow():
        return None
    return sso


async def join(session: AsyncSession, sso: SsoSession, client_id: str) -> None:
    """Note that a client received tokens in this session (it will be told of the logout)."""
    await repository.add_session_client(session, sso.id, client_id, utcnow())


async def end(session: AsyncSession, sso: SsoSession) -> int:
    """End a session: revoke its grants and queue back-channel logout tokens to its clients.

    Returns how many clients will be notified. Idempotent: a session ends once.
    """
    if sso.ended_at is not None:
        return 0
    now = utcnow()
    sso.ended_at = now
    await repository.revoke_session_grants(session, sso.id, now, reason="logout")
    notified = 0
    for client in await repository.session_clients(session, sso.id):
        if client.backchannel_logout_uri is None:
            continue
        await jobs.enqueue(
            session,
            BACKCHANNEL_LOGOUT_JOB,
            {"client_id": client.client_id, "sid": sso.id, "jti": opaque.new_id_token()},
            # One notification per client and session, however often logout is asked for.
            dedupe_key=f"{BACKCHANNEL_LOGOUT_JOB}:{sso.id}:{client.client_id}",
        )
        notified += 1
    await session.flush()
    logger.info("session ended", extra={"sid": sso.id, "clients_notified": notified})
    return notified
