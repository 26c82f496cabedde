"""The authorization endpoint's logic: check a request, hold it for the login form, issue codes.

Errors come in two kinds (RFC 6749 §4.1.2.1): while the client or its redirect URI is not
established, nothing may be sent to the redirect URI, and the browser is shown the error
(`RequestRefused`); after that, errors go back to the client (`RedirectedError`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlencode

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import clients, opaque, repository, scopes
from app.auth.grants import CODE_KIND, CODE_SECONDS
from app.auth.models import AuthorizationCode, AuthorizationRequest, OAuthClient, SsoSession
from app.config import Settings
from app.kit.clock import utcnow
from app.kit.crypto import constant_time_equals

LOGIN_REQUEST_SECONDS = 600
CSRF_KIND = "login-csrf"
_CHALLENGE = re.compile(r"[A-Za-z0-9_-]{43}")  # base64url of a SHA-256 digest
_PROMPTS = frozenset({"none", "login", "consent", "select_account"})


class RequestRefused(Exception):
    """An error shown to the user: the redirect URI cannot be trusted with it."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(description)
        self.error = error
        self.description = description


class RedirectedError(Exception):
    """An error returned to the client at its redirect URI."""

    def __init__(self, error: str, description: str, redirect_uri: str, state: str | None) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.redirect_uri = redirect_uri
        self.state = state


@dataclass(frozen=True, slots=True)
class AuthorizeParams:
    """The query of an authorization request, as received."""

    response_type: str | None = None
    client_id: str | None = None
    redirect_uri: str | None = None
    scope: str | None = None
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    prompt: str | None = None
    max_age: str | None = None
    ui_locales: str | None = None
    response_mode: str | None = None
    request: str | None = None
    request_uri: str | None = None


@dataclass(frozen=True, slots=True)
class ValidAuthorization:
    """A checked authorization request."""

    client: OAuthClient
    redirect_uri: str
    scope: str
    state: str | None
    nonce: str | None
    code_challenge: str
    prompt: frozenset[str]
    max_age: int | None
    locale: str


def locale_of(ui_locales: str | None, accept_language: bool) -> str:
    """ "en" when the client or browser asks for English first, else "zh-CN"."""
    if ui_locales:
        first = ui_locales.split()[0].lower() if ui_locales.split() else ""
        return "en" if first.startswith("en") else "zh-CN"
    return "en" if accept_language else "zh-CN"


async def validate(
    session: AsyncSession, settings: Settings, params: AuthorizeParams, *, english: bool
) -> ValidAuthorization:
    """Check a request; RequestRefused or RedirectedError when it cannot be served."""
    client = await clients.find(session, params.client_id)
    if client is None:
        raise RequestRefused("invalid_client", "unknown client_id")
    if params.redirect_uri is None or not clients.is_registered_redirect(
        client, params.redirect_uri
    ):
        raise RequestRefused("invalid_request", "redirect_uri is not registered for this client")
    redirect_uri, state = params.redirect_uri, params.state

    def refuse(error: str, description: str) -> RedirectedError:
        return RedirectedError(error, description, redirect_uri, state)

    if params.request is not None:
        raise refuse("request_not_supported", "request objects are not supported")
    if params.request_uri is not None:
        raise refuse("request_uri_not_supported", "request_uri is not supported")
    if params.response_mode not in (None, "query"):
        raise refuse("invalid_request", "only response_mode=query is supported")
    if params.response_type != "code":
        raise refuse("unsupported_response_type", "only response_type=code is supported")
    if "authorization_code" not in client.grant_types:
        raise refuse("unauthorized_client", "this client may not use authorization_code")
    if params.code_challenge is None:
        raise refuse("invalid_request", "PKCE is required: send code_challenge (S256)")
    if params.code_challenge_method != "S256":
        raise refuse("invalid_request", "code_challenge_method must be S256 (plain is refused)")
    if not _CHALLENGE.fullmatch(params.code_challenge):
        raise refuse("invalid_request", "code_challenge is not an S256 challenge")
    if not params.scope:
        raise refuse("invalid_request", "scope is required")
    try:
        asked = scopes.parse(params.scope)
    except scopes.InvalidScope as exc:
        raise refuse("invalid_scope", str(exc)) from exc
    if not set(asked) <= set(client.scopes):
        raise refuse("invalid_scope", "the client may not ask for this scope")
    if not all(scopes.SCOPES[name].user_bound for name in asked):
        raise refuse("invalid_scope", "API scopes are granted by client credentials only")
    prompt = frozenset((params.prompt or "").split())
    if not prompt <= _PROMPTS or ("none" in prompt and len(prompt) > 1):
        raise refuse("invalid_request", "unsupported prompt value")
    max_age = None
    if params.max_age is not None:
        if not params.max_age.isdigit() or len(params.max_age) > 9:
            raise refuse("invalid_request", "max_age must be a number of seconds")
        max_age = int(params.max_age)
    for name, value, limit in (("state", state, 1000), ("nonce", params.nonce, 500)):
        if value is not None and len(value) > limit:
            raise refuse("invalid_request", f"{name} is too long")
    return ValidAuthorization(
        client=client,
        redirect_uri=redirect_uri,
        scope=scopes.render(asked),
        state=state,
        nonce=params.nonce,
        code_challenge=params.code_challenge,
        prompt=prompt,
        max_age=max_age,
        locale=locale_of(params.ui_locales, english),
    )


def needs_login(request: ValidAuthorization, sso: SsoSession | None, now: datetime) -> bool:
    """Whether the user must sign in (again) before a code can be issued."""
    if sso is None or "login" in request.prompt or "select_account" in request.prompt:
        return True
    return request.max_age is not None and (now - sso.auth_time).total_seconds() > request.max_age


async def hold(
    session: AsyncSession, settings: Settings, request: ValidAuthorization, csrf_token: str
) -> AuthorizationRequest:
    """Keep the request for the login form; its id goes into the form, bound to `csrf_token`."""
    now = utcnow()
    held_request = AuthorizationRequest(
        id=opaque.new_id_token(),
        csrf_hash=opaque.digest(settings, CSRF_KIND, csrf_token),
        client_id=request.client.client_id,
        redirect_uri=request.redirect_uri,
        scope=request.scope,
        state=request.state,
        nonce=request.nonce,
        code_challenge=request.code_challenge,
        locale=request.locale,
        created_at=now,
        expires_at=now + timedelta(seconds=LOGIN_REQUEST_SECONDS),
    )
    await repository.add(session, held_request)
    return held_request


async def held(
    session: AsyncSession,
    settings: Settings,
    request_id: str | None,
    csrf_form: str | None,
    csrf_cookie: str | None,
) -> tuple[AuthorizationRequest, OAuthClient] | None:
    """The held request of a login form, if it is live and the form came from this browser.

    The form's CSRF token must equal the browser's cookie and the token bound to the request:
    another site can make a browser post the form, but it cannot read the cookie.
    """
    if not request_id or not csrf_form or not csrf_cookie or len(request_id) > 64:
        return None
    if not constant_time_equals(csrf_form, csrf_cookie):
        return None
    held_request = await repository.authorization_request(session, request_id)
    if held_request is None or held_request.completed_at is not None:
        return None
    if held_request.expires_at <= utcnow():
        return None
    if not opaque.matches(settings, CSRF_KIND, csrf_form, held_request.csrf_hash):
        return None
    client = await clients.find(session, held_request.client_id)
    if client is None:
        return None
    return held_request, client


async def issue_code(
    session: AsyncSession,
    settings: Settings,
    *,
    client: OAuthClient,
    redirect_uri: str,
    scope: str,
    nonce: str | None,
    code_challenge: str,
    sso: SsoSession,
) -> str:
    """A fresh authorization code for the session (stored as a digest, 60 s, single use)."""
    code = opaque.new_secret()
    now = utcnow()
    await repository.add(
        session,
        AuthorizationCode(
            code_hash=opaque.digest(settings, CODE_KIND, code),
            client_id=client.client_id,
            session_id=sso.id,
            redirect_uri=redirect_uri,
            scope=scope,
            nonce=nonce,
            code_challenge=code_challenge,
            created_at=now,
            expires_at=now + timedelta(seconds=CODE_SECONDS),
        ),
    )
    return code


def redirect_to(settings: Settings, redirect_uri: str, **params: str | None) -> str:
    """The redirect URI with response parameters added (and `iss`, RFC 9207)."""
    values = {name: value for name, value in params.items() if value is not None}
    values["iss"] = settings.issuer_url
    separator = "&" if "?" in redirect_uri else "?"
    return f"{redirect_uri}{separator}{urlencode(values)}"
