"""The console's sign-in as an OpenID Connect client of the platform (authorization code with
PKCE S256), its sign-out and back-channel logout, the home page, and `install`, which mounts
every console route and the console's static files on the application."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, FastAPI, Form, Query, Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.staticfiles import StaticFiles

from app.auth import console_client
from app.config import Settings
from app.console import dependencies as deps
from app.console import i18n, rendering
from app.console.endpoints_admin import router as admin_router
from app.console.endpoints_dashboard import router as dashboard_router
from app.console.endpoints_workbench import router as workbench_router
from app.dependencies import SettingsDep, WriteSessionDep
from app.kit.encoding import b64url_encode

router = APIRouter(prefix="/console", include_in_schema=False)
_LOGIN_SECONDS = 600
_STATIC_DIR = rendering.TEMPLATES.parent / "static"


def _seal(settings: Settings, payload: dict[str, str]) -> str:
    body = b64url_encode(json.dumps(payload, separators=(",", ":")).encode())
    key = settings.secret_key.get_secret_value().encode()
    mac = hmac.new(key, f"console-login:{body}".encode(), hashlib.sha256).hexdigest()
    return f"{body}.{mac}"


def _unseal(settings: Settings, value: str | None) -> dict[str, str] | None:
    if not value or value.count(".") != 1 or len(value) > 2048:
        return None
    body, mac = value.split(".")
    key = settings.secret_key.get_secret_value().encode()
    expected = hmac.new(key, f"console-login:{body}".encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(mac, expected):
        return None
    try:
        loaded = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        return None
    return loaded if isinstance(loaded, dict) else None


def _safe_next(target: str | None) -> str:
    # Only a console path of this origin: never an open redirect.
    if target and target.startswith("/console/") and not target.startswith("/console//"):
        return target
    return "/console/"


@router.get("/login")
async def login(
    request: Request, settings: SettingsDep, next: Annotated[str | None, Query()] = None
) -> Response:
    """Start the sign-in: to the provider's authorization endpoint with a PKCE S256 challenge."""
    verifier = secrets.token_urlsafe(48)
    state = secrets.token_urlsafe(24)
    page_locale = deps.locale(request)
    query = {
        "response_type": "code", "client_id": console_client.CLIENT_ID,
        "redirect_uri": console_client.redirect_uri(settings), "scope": console_client.SCOPE,
        "state": state, "nonce": secrets.token_urlsafe(16),
        "code_challenge": b64url_encode(hashlib.sha256(verifier.encode()).digest()),
        "code_challenge_method": "S256", "ui_locales": "en" if page_locale == "en" else "zh-CN",
    }  # fmt: skip
    response = RedirectResponse(f"/oauth/authorize?{urlencode(query)}", status_code=303)
    sealed = _seal(settings, {"state": state, "verifier": verifier, "next": _safe_next(next),
                              "lang": page_locale})  # fmt: skip
    deps.set_cookie(response, settings, deps.login_cookie(settings), sealed, _LOGIN_SECONDS)
    return response


@router.get("/callback")
async def callback(
    request: Request,
    session: WriteSessionDep,
    settings: SettingsDep,
    code: Annotated[str | None, Query(max_length=200)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """Back from the provider: check the state, redeem the code with the verifier, and open the
    console session (a staff member's only)."""
    held = _unseal(settings, request.cookies.get(deps.login_cookie(settings)))
    page_locale = (held or {}).get("lang") or deps.locale(request)
    t = i18n.translator(page_locale)
    if held is None or not state or not hmac.compare_digest(state, held.get("state", "")):
        return rendering.message(page_locale, t["signin_failed"], None, status=400, again=True)
    tokens = await console_client.redeem(session, settings, code=code or "",
                                         verifier=held.get("verifier", ""))  # fmt: skip
    principal = (
        await console_client.principal(session, settings, tokens.access_token) if tokens else None
    )
    if tokens is None or principal is None:
        return rendering.message(page_locale, t["signin_failed"], None, status=400, again=True)
    if principal.kind != "staff":
        response: Response = deps.no_console(page_locale).response
    else:
        response = RedirectResponse(held.get("next") or "/console/", status_code=303)
        deps.set_cookie(
            response, settings, deps.session_cookie(settings), tokens.access_token,
            tokens.expires_in,
        )  # fmt: skip
    response.delete_cookie(deps.login_cookie(settings), path="/")
    return response


@router.post("/logout")
async def logout(
    user: deps.FormUserDep, session: WriteSessionDep, settings: SettingsDep
) -> Response:
    """Sign out: the SSO session ends (every system that took part is told) and the cookie goes."""
    await console_client.sign_out(session, user.principal.session_id)
    response = RedirectResponse(f"{console_client.SIGNED_OUT_PATH}?lang={user.locale}", 303)
    response.delete_cookie(deps.session_cookie(settings), path="/")
    return response


@router.get("/signed-out")
async def signed_out(request: Request, settings: SettingsDep) -> Response:
    """Signed out."""
    page_locale = deps.locale(request)
    t = i18n.translator(page_locale)
    response = rendering.message(
        page_locale, t["signed_out_title"], t["signed_out_text"], status=200, again=True
    )
    response.delete_cookie(deps.session_cookie(settings), path="/")
    return response


@router.post("/backchannel-logout")
async def backchannel_logout(
    session: WriteSessionDep,
    settings: SettingsDep,
    logout_token: Annotated[str | None, Form(max_length=4096)] = None,
) -> Response:
    """OpenID Connect Back-Channel Logout: the provider says a session ended; it is ended here
    too (idempotent), so the console's cookie for it stops working."""
    if not logout_token or not await console_client.back_channel_logout(
        session, settings, logout_token
    ):
        return JSONResponse({"error": "invalid_request"}, status_code=400,
                            headers={"Cache-Control": "no-store"})  # fmt: skip
    return Response(status_code=200, headers={"Cache-Control": "no-store"})


@router.get("/")
async def home(user: deps.UserDep) -> Response:
    """The console's home: where each role's work is."""
    return rendering.render("home.html", {"user": user}, locale=user.locale)


@router.get("/review")
async def review() -> Response:
    """The clerks' workbench by the name the platform's contract gives it (DESIGN §5)."""
    return RedirectResponse("/console/cases", status_code=308)


async def _on_console_page(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, rendering.ConsolePage)
    return exc.response


def install(app: FastAPI) -> None:
    """Mount the console: its pages, its static files, and the pages it answers instead."""
    app.mount(rendering.STATIC_PATH, StaticFiles(directory=_STATIC_DIR), name="console-static")
    app.include_router(router)
    app.include_router(workbench_router)
    app.include_router(dashboard_router)
    app.include_router(admin_router)
    app.add_exception_handler(rendering.ConsolePage, _on_console_page)
