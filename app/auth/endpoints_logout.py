"""RP-initiated logout (GET and POST, as OpenID Connect RP-Initiated Logout 1.0 asks)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from app.auth import authorization, logout, sessions
from app.auth.endpoints_login import message_page, wants_english
from app.dependencies import SettingsDep, WriteSessionDep

router = APIRouter(tags=["oidc"])

QueryParam = Annotated[str | None, Query()]
FormField = Annotated[str | None, Form()]


async def _logout(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    params: logout.LogoutRequest,
    ui_locales: str | None,
) -> Response:
    locale = authorization.locale_of(ui_locales, wants_english(request))
    cookie_name = sessions.cookie_name(settings)
    try:
        outcome = await logout.logout(session, settings, params, request.cookies.get(cookie_name))
    except logout.LogoutRefused as refused:
        return message_page(locale, "logout_refused", status=400, detail=str(refused))
    response: Response
    if outcome.redirect is not None:
        response = RedirectResponse(
            outcome.redirect, status_code=302, headers={"Cache-Control": "no-store"}
        )
    else:
        response = message_page(locale, "logged_out", status=200)
    response.delete_cookie(
        cookie_name,
        path="/",
        secure=sessions.secure_cookies(settings),
        httponly=True,
        samesite="lax",
    )
    return response


_LOGOUT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "The signed-out page"},
    302: {"description": "To the registered post-logout redirect URI, with `state`"},
    400: {"content": {"text/html": {}}, "description": "Invalid logout request"},
}


@router.get(
    "/oauth/logout",
    response_class=HTMLResponse,
    summary="RP-initiated logout",
    responses=_LOGOUT_RESPONSES,
)
async def end_session(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    id_token_hint: QueryParam = None,
    post_logout_redirect_uri: QueryParam = None,
    state: QueryParam = None,
    client_id: QueryParam = None,
    ui_locales: QueryParam = None,
) -> Response:
    """End the SSO session (the browser's, and the one `id_token_hint` names), tell every client
    of the session by back-channel logout (queued, retried), and return to a registered
    `post_logout_redirect_uri` with `state`, or show the signed-out page."""
    params = logout.LogoutRequest(
        id_token_hint=id_token_hint,
        post_logout_redirect_uri=post_logout_redirect_uri,
        state=state,
        client_id=client_id,
    )
    return await _logout(request, session, settings, params, ui_locales)


@router.post(
    "/oauth/logout",
    response_class=HTMLResponse,
    summary="RP-initiated logout (POST)",
    responses=_LOGOUT_RESPONSES,
)
async def end_session_post(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    id_token_hint: FormField = None,
    post_logout_redirect_uri: FormField = None,
    state: FormField = None,
    client_id: FormField = None,
    ui_locales: FormField = None,
) -> Response:
    """The same as GET, with the parameters in a form (RP-Initiated Logout §2)."""
    params = logout.LogoutRequest(
        id_token_hint=id_token_hint,
        post_logout_redirect_uri=post_logout_redirect_uri,
        state=state,
        client_id=client_id,
    )
    return await _logout(request, session, settings, params, ui_locales)
