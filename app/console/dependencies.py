"""Who is using the console: the staff member behind the console's session cookie.

The cookie holds the access token the platform's provider issued to the console client, and
nothing else: every request verifies it as the API verifies a bearer token, so the session ends
the moment its single sign-on session does (logout here or in any other system, back-channel
logout, a disabled staff member). There is no refresh token to race over: when the token lapses
the browser goes back through /oauth/authorize, which answers at once while the SSO session
lives. Forms carry a CSRF token bound to the SSO session (HMAC with the secret key).
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Form, Request
from starlette.responses import RedirectResponse, Response

from app.auth import console_client
from app.auth import service as auth
from app.auth import staff as staff_members
from app.auth.errors import RoleRequired
from app.auth.models import StaffRole
from app.auth.principals import Principal, Staff
from app.config import Settings
from app.console import i18n, rendering
from app.dependencies import SettingsDep, WriteSessionDep

CSRF_HEADER = "X-CSRF-Token"
CLERKS = (StaffRole.CLERK, StaffRole.DEPARTMENT_ADMIN)
DEPARTMENT_ADMINS = (StaffRole.DEPARTMENT_ADMIN, StaffRole.PLATFORM_ADMIN)
PLATFORM_ADMINS = (StaffRole.PLATFORM_ADMIN,)
SCREEN_READERS = (StaffRole.PLATFORM_ADMIN, StaffRole.AUDITOR)
STATS_READ = "stats.read"


def secure(settings: Settings) -> bool:
    """Cookies are Secure (and `__Host-`) when the platform is served over https."""
    return settings.issuer_url.startswith("https://")


def session_cookie(settings: Settings) -> str:
    """The console session cookie's name."""
    return "__Host-qe_console" if secure(settings) else "qe_console"


def login_cookie(settings: Settings) -> str:
    """The cookie holding a sign-in in progress (state, PKCE verifier, where to go back)."""
    return "__Host-qe_console_login" if secure(settings) else "qe_console_login"


def set_cookie(response: Response, settings: Settings, name: str, value: str, max_age: int) -> None:
    """An HttpOnly, SameSite=Lax cookie on the whole origin (Secure over https)."""
    response.set_cookie(
        name, value, max_age=max_age, path="/", httponly=True, secure=secure(settings),
        samesite="lax",
    )  # fmt: skip


def csrf_token(settings: Settings, sid: str) -> str:
    """The CSRF token of a console session: an HMAC of its SSO session id."""
    key = settings.secret_key.get_secret_value().encode()
    return hmac.new(key, f"console-csrf:{sid}".encode(), hashlib.sha256).hexdigest()


def locale(request: Request) -> str:
    """The page's language: `?lang=`, then Accept-Language (zh-CN by default)."""
    return i18n.locale_of(request.query_params.get("lang"), request.headers.get("accept-language"))


@dataclass(frozen=True, slots=True)
class ConsoleUser:
    """A signed-in staff member and what the pages need of the request."""

    staff: Staff
    principal: Principal
    name: str
    locale: str
    csrf: str
    path: str

    def has(self, *roles: StaffRole) -> bool:
        """Whether the member holds one of `roles`."""
        return self.staff.role in roles


def _sign_in(request: Request) -> rendering.ConsolePage:
    if request.headers.get("hx-request"):
        # htmx swaps fragments: a lapsed session reloads the whole page, which signs in again.
        return rendering.ConsolePage(Response(status_code=204, headers={"HX-Refresh": "true"}))
    target = request.url.path
    if request.url.query:
        target += f"?{request.url.query}"
    return rendering.ConsolePage(
        RedirectResponse(f"/console/login?next={quote(target, safe='')}", status_code=303)
    )


async def console_user(
    request: Request, session: WriteSessionDep, settings: SettingsDep
) -> ConsoleUser:
    """The staff member of the console session; to sign-in when there is none, and a refusal
    page for a citizen's session (the console is for staff only)."""
    page_locale = locale(request)
    token = request.cookies.get(session_cookie(settings))
    principal = await console_client.principal(session, settings, token) if token else None
    if principal is None:
        raise _sign_in(request)
    try:
        staff = auth.require_staff(principal)
    except RoleRequired as refused:
        raise no_console(page_locale) from refused
    assert principal.session_id is not None
    name = (await staff_members.get(session, staff.staff_id)).name
    return ConsoleUser(
        staff=staff, principal=principal, name=name, locale=page_locale,
        csrf=csrf_token(settings, principal.session_id), path=request.url.path,
    )  # fmt: skip


def no_console(page_locale: str) -> rendering.ConsolePage:
    """403: a session that is not a staff member's (a citizen signed in through the console)."""
    t = i18n.translator(page_locale)
    return rendering.ConsolePage(
        rendering.message(page_locale, t["no_console_title"], t["no_console_text"], status=403)
    )


UserDep = Annotated[ConsoleUser, Depends(console_user)]


class RequireRole:
    """The console user, if they hold one of the roles (403 page otherwise)."""

    def __init__(self, *roles: StaffRole) -> None:
        self.roles = roles

    async def __call__(self, user: UserDep) -> ConsoleUser:
        return require(user, *self.roles)


def require(user: ConsoleUser, *roles: StaffRole) -> ConsoleUser:
    """The user, if they hold one of `roles`; a 403 page otherwise."""
    if not user.has(*roles):
        t = i18n.translator(user.locale)
        raise rendering.ConsolePage(
            rendering.render(
                "message.html",
                {"title": t["forbidden_title"], "text": None, "user": user},
                locale=user.locale,
                status=403,
            )
        )
    return user


async def checked_form(
    request: Request, user: UserDep, csrf_token: Annotated[str | None, Form()] = None
) -> ConsoleUser:
    """The user of a form post whose CSRF token (field or htmx header) is the session's."""
    sent = csrf_token or request.headers.get(CSRF_HEADER) or ""
    if not hmac.compare_digest(sent.encode(), user.csrf.encode()):
        t = i18n.translator(user.locale)
        raise rendering.ConsolePage(
            rendering.render(
                "message.html",
                {"title": t["csrf_title"], "text": t["csrf_text"], "user": user},
                locale=user.locale,
                status=403,
            )
        )
    return user


FormUserDep = Annotated[ConsoleUser, Depends(checked_form)]
ClerkDep = Annotated[ConsoleUser, Depends(RequireRole(*CLERKS))]
DepartmentAdminDep = Annotated[ConsoleUser, Depends(RequireRole(*DEPARTMENT_ADMINS))]
PlatformAdminDep = Annotated[ConsoleUser, Depends(RequireRole(*PLATFORM_ADMINS))]
