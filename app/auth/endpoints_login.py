"""The provider's browser-facing sign-in: authorize and the login form.

They answer with HTML pages and redirects rather than JSON. An error that cannot be trusted to
the client's redirect URI (unknown client, unregistered redirect URI, a bad logout request) is
shown to the user; later errors go back to the client as `error` parameters. Logout is in
endpoints_logout.py.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import (
    authorization,
    login_page,
    logins,
    opaque,
    repository,
    sessions,
)
from app.auth.authorization import AuthorizeParams, RedirectedError, RequestRefused
from app.auth.dependencies import client_address
from app.auth.errors import InvalidPhoneNumber, LoginFailed, SmsUnavailable, TooManyAttempts
from app.auth.models import AuthorizationRequest, OAuthClient
from app.config import Settings
from app.dependencies import SessionDep, SettingsDep, WriteSessionDep
from app.errors import prefers_english
from app.kit.clock import utcnow

router = APIRouter(tags=["oidc"])

QueryParam = Annotated[str | None, Query()]
FormField = Annotated[str | None, Form()]
_HTML: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "An HTML page"}
}
_LOGIN_RESPONSES: dict[int | str, dict[str, Any]] = {
    **_HTML,
    303: {"description": "Signed in: back to the client with a code"},
    400: {"content": {"text/html": {}}, "description": "The form again, with the error"},
    429: {"content": {"text/html": {}}, "description": "Too many attempts from this address"},
}


def _csrf_cookie(settings: Settings) -> str:
    return "__Host-qe_csrf" if sessions.secure_cookies(settings) else "qe_csrf"


def _set_cookie(
    response: Response, settings: Settings, name: str, value: str, *, max_age: int
) -> None:
    """Every cookie of the login flow: HttpOnly, SameSite=Lax, Secure when the issuer is https."""
    response.set_cookie(name, value, max_age=max_age, path="/", httponly=True, samesite="lax",
                        secure=sessions.secure_cookies(settings))  # fmt: skip


def wants_english(request: Request) -> bool:
    return prefers_english(request.headers.get("accept-language"))


def _page(
    body: str,
    *,
    status: int = 200,
    redirect_uri: str | None = None,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    merged = {**login_page.security_headers(redirect_uri), **(headers or {})}
    return HTMLResponse(body, status_code=status, headers=merged)


def message_page(locale: str, key: str, *, status: int, detail: str | None = None) -> HTMLResponse:
    text = login_page.texts(locale)
    body = login_page.message(
        locale=locale,
        heading=text[f"{key}_heading"],
        text=text[f"{key}_text"],
        detail=detail,
        alert=status >= 400,
    )
    return _page(body, status=status)


def _login_form(
    settings: Settings,
    held: AuthorizationRequest,
    client: OAuthClient,
    csrf: str,
    *,
    locale: str | None = None,
    status: int = 200,
    error: str | None = None,
    notice: str | None = None,
    phone: str = "",
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    locale = locale or held.locale
    body = login_page.login(
        locale=locale,
        client_name=client.name,
        request_id=held.id,
        csrf_token=csrf,
        error=error,
        notice=notice,
        phone=phone,
    )
    response = _page(body, status=status, redirect_uri=held.redirect_uri, headers=headers)
    _set_cookie(response, settings, _csrf_cookie(settings), csrf,
                max_age=authorization.LOGIN_REQUEST_SECONDS)  # fmt: skip
    return response


@router.get(
    "/oauth/authorize",
    response_class=HTMLResponse,
    summary="Authorization endpoint",
    responses={
        **_HTML,
        302: {"description": "Back to the client with a code or an error"},
        400: {"content": {"text/html": {}}, "description": "Unknown client or redirect URI"},
    },
)
async def authorize(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    response_type: QueryParam = None,
    client_id: QueryParam = None,
    redirect_uri: QueryParam = None,
    scope: QueryParam = None,
    state: QueryParam = None,
    nonce: QueryParam = None,
    code_challenge: QueryParam = None,
    code_challenge_method: QueryParam = None,
    prompt: QueryParam = None,
    max_age: QueryParam = None,
    ui_locales: QueryParam = None,
    response_mode: QueryParam = None,
    request_object: Annotated[str | None, Query(alias="request")] = None,
    request_uri: QueryParam = None,
) -> Response:
    """Start a sign-in: authorization code flow with PKCE (S256 only; plain is refused) and an
    exactly registered redirect URI. With a live SSO session the browser goes straight back to
    the client with a code; otherwise the login page is shown (zh-CN, or English when the
    browser or `ui_locales` prefers it)."""
    params = AuthorizeParams(
        response_type=response_type,
        client_id=client_id,
        redirect_uri=redirect_uri,
        scope=scope,
        state=state,
        nonce=nonce,
        code_challenge=code_challenge,
        code_challenge_method=code_challenge_method,
        prompt=prompt,
        max_age=max_age,
        ui_locales=ui_locales,
        response_mode=response_mode,
        request=request_object,
        request_uri=request_uri,
    )
    try:
        valid = await authorization.validate(
            session, settings, params, english=wants_english(request)
        )
    except RequestRefused as refused:
        locale = authorization.locale_of(ui_locales, wants_english(request))
        return message_page(locale, "refused", status=400, detail=refused.description)
    except RedirectedError as error:
        target = authorization.redirect_to(
            settings,
            error.redirect_uri,
            error=error.error,
            error_description=error.description,
            state=error.state,
        )
        return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
    sso = await sessions.from_cookie(
        session, settings, request.cookies.get(sessions.cookie_name(settings))
    )
    if authorization.needs_login(valid, sso, utcnow()):
        if "none" in valid.prompt:
            target = authorization.redirect_to(
                settings,
                valid.redirect_uri,
                error="login_required",
                error_description="the user is not signed in",
                state=valid.state,
            )
            return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})
        # One CSRF token per browser, so that several login tabs all keep working.
        csrf = request.cookies.get(_csrf_cookie(settings)) or ""
        if not 40 <= len(csrf) <= 64:
            csrf = opaque.new_secret()
        held = await authorization.hold(session, settings, valid, csrf)
        return _login_form(settings, held, valid.client, csrf)
    assert sso is not None
    code = await authorization.issue_code(
        session,
        settings,
        client=valid.client,
        redirect_uri=valid.redirect_uri,
        scope=valid.scope,
        nonce=valid.nonce,
        code_challenge=valid.code_challenge,
        sso=sso,
    )
    target = authorization.redirect_to(settings, valid.redirect_uri, code=code, state=valid.state)
    return RedirectResponse(target, status_code=302, headers={"Cache-Control": "no-store"})


@router.get(
    "/oauth/login",
    response_class=HTMLResponse,
    summary="The login page of a sign-in in progress",
    responses={**_HTML, 400: {"content": {"text/html": {}}, "description": "Expired"}},
)
async def login_form(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    request_id: QueryParam = None,
    lang: QueryParam = None,
) -> Response:
    """The login page again (e.g. in the other language, `lang=en` or `lang=zh-CN`)."""
    csrf = request.cookies.get(_csrf_cookie(settings))
    found = await authorization.held(session, settings, request_id, csrf, csrf)
    locale = authorization.locale_of(lang, wants_english(request))
    if found is None or csrf is None:
        return message_page(locale, "expired", status=400)
    held, client = found
    return _login_form(settings, held, client, csrf, locale=locale)


@router.post(
    "/oauth/login",
    response_class=HTMLResponse,
    summary="Sign in (the login form's target)",
    responses=_LOGIN_RESPONSES,
)
async def login(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    request_id: FormField = None,
    csrf_token: FormField = None,
    login: FormField = None,
    password: FormField = None,
    phone: FormField = None,
    otp: FormField = None,
) -> Response:
    """Check a password (`login`, `password`) or SMS code (`phone`, `otp`) for the sign-in
    `request_id` (CSRF-protected by `csrf_token`), then go back to the client with a code.

    Every failed attempt gets the same answer, whether or not the account exists."""
    csrf_cookie = request.cookies.get(_csrf_cookie(settings))
    found = await authorization.held(session, settings, request_id, csrf_token, csrf_cookie)
    if found is None or csrf_token is None:
        return message_page(
            authorization.locale_of(None, wants_english(request)), "expired", status=400
        )
    held, client = found
    address = await client_address(request)
    try:
        if login is not None and password is not None:
            verified = await logins.password_login(
                session, settings, login=login[:64], password=password[:128], client_address=address
            )
        elif phone is not None and otp is not None:
            verified = await logins.sms_login(
                session, settings, phone=phone[:20], otp=otp[:12], client_address=address
            )
        else:
            raise LoginFailed
    except (LoginFailed, TooManyAttempts) as failure:
        # Answered, not raised: the failed attempt must be committed (lockout, limits).
        english = held.locale == "en"
        limited = isinstance(failure, TooManyAttempts)
        return _login_form(
            settings,
            held,
            client,
            csrf_token,
            status=429 if limited else 400,
            error=(failure.detail_en if english else failure.detail_zh) or "",
            phone=(phone or "")[:20],
            headers=failure.headers,
        )
    if not await repository.complete_authorization_request(session, held.id, utcnow()):
        return message_page(held.locale, "expired", status=400)
    current = await sessions.from_cookie(
        session, settings, request.cookies.get(sessions.cookie_name(settings))
    )
    cookie = None
    if current is not None and sessions.same_subject(current, verified):
        await sessions.reauthenticate(session, current, verified)
        sso = current
    else:
        if current is not None:
            # Someone else signs in on this browser: the previous user is signed out everywhere.
            await sessions.end(session, current)
        sso, cookie = await sessions.start(session, settings, verified, browser=True)
    code = await authorization.issue_code(
        session,
        settings,
        client=client,
        redirect_uri=held.redirect_uri,
        scope=held.scope,
        nonce=held.nonce,
        code_challenge=held.code_challenge,
        sso=sso,
    )
    target = authorization.redirect_to(settings, held.redirect_uri, code=code, state=held.state)
    response = RedirectResponse(target, status_code=303, headers={"Cache-Control": "no-store"})
    if cookie is not None:
        _set_cookie(response, settings, sessions.cookie_name(settings), cookie,
                    max_age=settings.sso_session_seconds)  # fmt: skip
    return response


@router.post(
    "/oauth/login/otp",
    response_class=HTMLResponse,
    summary="Send an SMS code from the login page",
    responses=_LOGIN_RESPONSES,
)
async def login_otp(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    request_id: FormField = None,
    csrf_token: FormField = None,
    phone: FormField = None,
) -> Response:
    """Text a login code to `phone` and show the login page again (the same answer whether or
    not the phone has an account)."""
    csrf_cookie = request.cookies.get(_csrf_cookie(settings))
    found = await authorization.held(session, settings, request_id, csrf_token, csrf_cookie)
    if found is None or csrf_token is None:
        return message_page(
            authorization.locale_of(None, wants_english(request)), "expired", status=400
        )
    held, client = found
    english = held.locale == "en"
    typed = (phone or "")[:20]
    try:
        await logins.send_sms_code(
            session, settings, phone=typed, client_address=await client_address(request)
        )
    except (InvalidPhoneNumber, TooManyAttempts, SmsUnavailable) as failure:
        status = {InvalidPhoneNumber: 400, TooManyAttempts: 429}.get(type(failure), 503)
        return _login_form(
            settings,
            held,
            client,
            csrf_token,
            status=status,
            error=(failure.detail_en if english else failure.detail_zh) or failure.title_zh,
            phone=typed,
            headers=failure.headers,
        )
    notice = login_page.texts(held.locale)["code_sent"]
    return _login_form(settings, held, client, csrf_token, notice=notice, phone=typed)
