"""The provider's machine-facing endpoints: discovery, JWKS, token, userinfo, revoke, introspect.

These answer errors the way OAuth 2.0 says (`{"error", "error_description"}`, RFC 6749 §5.2 and
RFC 6750 §3), because that is what every OAuth client library understands. Token responses are
never cached.
"""

from __future__ import annotations

import binascii
from base64 import b64decode
from typing import Annotated, Any
from urllib.parse import unquote_plus

from fastapi import APIRouter, Form, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from app.auth import (
    access,
    clients,
    discovery,
    forms,
    grants,
    keys,
    revocation,
    token_ledger,
    userinfo,
)
from app.auth.errors import (
    OAuthError,
    invalid_client,
    invalid_request,
    unsupported_grant_type,
)
from app.auth.models import OAuthClient
from app.auth.schemas import (
    Introspection,
    IntrospectionRequest,
    Jwks,
    OAuthErrorBody,
    TokenRequest,
    TokenResponse,
    UserInfo,
)
from app.dependencies import (
    AutocommitSessionDep,
    DatabaseDep,
    SessionDep,
    SettingsDep,
    autocommit_unit_of_work,
    database_of_request,
    request_unit_of_work,
    settings_of,
)

router = APIRouter(tags=["oidc"])

_NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
_PUBLISHED = {"Cache-Control": f"public, max-age={keys.JWKS_MAX_AGE_SECONDS}"}
_OAUTH_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": OAuthErrorBody, "description": "OAuth error (RFC 6749 §5.2)"},
    401: {"model": OAuthErrorBody, "description": "Client authentication failed"},
}
_BEARER_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": OAuthErrorBody, "description": "Missing, invalid or expired access token"},
    403: {"model": OAuthErrorBody, "description": "The token lacks the `openid` scope"},
}

FormField = Annotated[str | None, Form()]


def _answered(answer: BaseModel) -> Response:
    """A token or introspection answer, uncacheable: the compact UTF-8 JSON that JSONResponse
    would write, rendered by pydantic in one step (the machines' hot path)."""
    body = answer.model_dump_json(exclude_none=True)
    return Response(body, media_type="application/json", headers=_NO_STORE)


def _error(error: OAuthError) -> JSONResponse:
    headers = dict(_NO_STORE)
    if error.status_code == 401:
        # RFC 6749 §5.2: a 401 names the authentication scheme the client should use.
        headers["WWW-Authenticate"] = 'Basic realm="qingeban"'
    body = {"error": error.error, "error_description": error.description}
    return JSONResponse(body, status_code=error.status_code, headers=headers)


def _client_credentials(
    request: Request, client_id: str | None, client_secret: str | None
) -> tuple[str | None, str | None]:
    """(client_id, secret) from client_secret_basic or client_secret_post."""
    header = request.headers.get("authorization")
    if header is None or header[:6].lower() != "basic ":
        return client_id, client_secret
    try:
        decoded = b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError) as exc:
        raise invalid_client("malformed Basic credentials") from exc
    name, separator, secret = decoded.partition(":")
    if not separator:
        raise invalid_client("malformed Basic credentials")
    # RFC 6749 §2.3.1: both parts are form-urlencoded before they are joined.
    name, secret = unquote_plus(name), unquote_plus(secret)
    if client_secret is not None or (client_id is not None and client_id != name):
        raise invalid_request("use exactly one client authentication method")
    return name, secret


async def _authenticated_client(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    client_id: str | None,
    client_secret: str | None,
) -> OAuthClient:
    name, secret = _client_credentials(request, client_id, client_secret)
    return await clients.authenticate(session, settings, name, secret)


@router.get(
    "/.well-known/openid-configuration",
    response_model=dict[str, Any],
    summary="OpenID Connect discovery",
)
async def openid_configuration(settings: SettingsDep) -> JSONResponse:
    """The provider's metadata: issuer, endpoints, supported flows, algorithms and claims."""
    return JSONResponse(discovery.metadata(settings), headers=_PUBLISHED)


@router.get(
    "/.well-known/oauth-authorization-server",
    response_model=dict[str, Any],
    summary="OAuth 2.0 authorization server metadata",
)
async def oauth_authorization_server(settings: SettingsDep) -> JSONResponse:
    """The same metadata for OAuth 2.0 clients (RFC 8414)."""
    return JSONResponse(discovery.metadata(settings), headers=_PUBLISHED)


@router.get("/oauth/jwks", response_model=Jwks, summary="Public signing keys (JWKS)")
async def jwks(session: SessionDep) -> JSONResponse:
    """The keys tokens are verified with: the signing key, the next key (published before it
    signs) and retired keys whose tokens may still be valid; each with `kid`, `use` and `alg`."""
    return JSONResponse({"keys": await keys.published(session)}, headers=_PUBLISHED)


@router.post(
    "/oauth/token",
    response_model=TokenResponse,
    response_model_exclude_none=True,
    summary="Token endpoint",
    responses=_OAUTH_ERRORS,
    openapi_extra=forms.documented(TokenRequest),
)
async def token(request: Request, database: DatabaseDep, settings: SettingsDep) -> Response:
    """Exchange an authorization code (with its PKCE verifier), a refresh token (rotated: the
    old one is spent, and spending it again revokes the family) or client credentials (no
    refresh token, no ID token) for tokens. Clients authenticate with `client_secret_basic` or
    `client_secret_post`; public clients send only `client_id` and rely on PKCE."""
    form = await forms.read(request)
    grant_type = form.get("grant_type")
    # Client credentials write one row, the token's record, which needs no transaction around
    # it: on PostgreSQL the process's token ledger inserts it with the records of concurrent
    # requests, without a unit of work's BEGIN and COMMIT round trips (the machines' hot
    # path). Codes and refresh tokens change several rows together.
    opened = (
        autocommit_unit_of_work(request)
        if grant_type == "client_credentials"
        else request_unit_of_work(request, write=True)
    )
    async with opened as session:
        try:
            client = await _authenticated_client(
                request, session, settings, form.get("client_id"), form.get("client_secret")
            )
            if grant_type == "authorization_code":
                answer = await grants.exchange_code(
                    session,
                    settings,
                    client,
                    code=form.get("code"),
                    redirect_uri=form.get("redirect_uri"),
                    code_verifier=form.get("code_verifier"),
                )
            elif grant_type == "refresh_token":
                answer = await grants.refresh(
                    session,
                    settings,
                    client,
                    refresh_token=form.get("refresh_token"),
                    scope=form.get("scope"),
                )
            elif grant_type == "client_credentials":
                answer = await grants.client_credentials(
                    session,
                    settings,
                    client,
                    scope=form.get("scope"),
                    ledger=token_ledger.ledger_for(database),
                )
            elif grant_type is None:
                raise invalid_request("grant_type is required")
            else:
                raise unsupported_grant_type(f"grant_type {grant_type!r} is not supported")
        except OAuthError as error:
            # Answered, not raised: what the attempt revoked (a reused code's tokens, a reused
            # refresh token's family) must be committed with the refusal.
            return _error(error)
    return _answered(answer)


async def _userinfo(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    header = request.headers.get("authorization") or ""
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return JSONResponse(
            {"error": "invalid_request", "error_description": "send a bearer access token"},
            status_code=401,
            headers={**_NO_STORE, "WWW-Authenticate": 'Bearer realm="qingeban"'},
        )
    try:
        principal = await access.verify(session, settings, value.strip())
    except access.TokenRejected:
        return JSONResponse(
            {"error": "invalid_token", "error_description": "invalid, expired or revoked token"},
            status_code=401,
            headers={
                **_NO_STORE,
                "WWW-Authenticate": 'Bearer realm="qingeban", error="invalid_token"',
            },
        )
    if principal.kind == "client" or "openid" not in principal.scopes:
        return JSONResponse(
            {"error": "insufficient_scope", "error_description": "the token lacks openid"},
            status_code=403,
            headers={
                **_NO_STORE,
                "WWW-Authenticate": (
                    'Bearer realm="qingeban", error="insufficient_scope", scope="openid"'
                ),
            },
        )
    claims = await userinfo.claims(session, settings, principal)
    return JSONResponse(claims.model_dump(exclude_none=True), headers=_NO_STORE)


@router.get(
    "/oauth/userinfo",
    response_model=UserInfo,
    response_model_exclude_none=True,
    summary="UserInfo",
    responses=_BEARER_ERRORS,
)
async def userinfo_get(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """Claims about the signed-in user by granted scope; `sub` equals the ID token's.

    `profile`: name; `phone`: phone_number, phone_number_verified; `realname`: name,
    id_number_masked, realname_level and realname_verified_at; `staff`: staff_role, department.
    """
    return await _userinfo(request, session, settings)


@router.post(
    "/oauth/userinfo",
    response_model=UserInfo,
    response_model_exclude_none=True,
    summary="UserInfo (POST)",
    responses=_BEARER_ERRORS,
)
async def userinfo_post(request: Request, session: SessionDep, settings: SettingsDep) -> Response:
    """The same as GET, for clients that POST (OpenID Connect Core §5.3.1)."""
    return await _userinfo(request, session, settings)


@router.post(
    "/oauth/revoke",
    status_code=200,
    summary="Revoke a token (RFC 7009)",
    response_class=Response,
    responses={200: {"description": "Revoked, or nothing to revoke"}, **_OAUTH_ERRORS},
)
async def revoke(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    token: FormField = None,
    token_type_hint: FormField = None,
    client_id: FormField = None,
    client_secret: FormField = None,
) -> Response:
    """Revoke one of the client's tokens: an access token, or a refresh token with its whole
    grant. Answers 200 for unknown, expired and foreign tokens alike (RFC 7009 §2.2)."""
    try:
        client = await _authenticated_client(request, session, settings, client_id, client_secret)
        if not token:
            raise invalid_request("token is required")
    except OAuthError as error:
        return _error(error)
    await revocation.revoke(session, settings, client, token)
    return Response(status_code=200, headers=_NO_STORE)


@router.post(
    "/oauth/introspect",
    response_model=Introspection,
    response_model_exclude_none=True,
    summary="Introspect a token (RFC 7662)",
    responses=_OAUTH_ERRORS,
    openapi_extra=forms.documented(IntrospectionRequest),
)
async def introspect(
    request: Request, session: AutocommitSessionDep, settings: SettingsDep
) -> Response:
    """Whether one of the calling client's tokens is active, and its scope, subject and times.
    Confidential clients only; any other token is `{"active": false}`."""
    # It only reads, so its session needs no transaction: read committed gives each statement
    # its own snapshot either way, and the BEGIN and COMMIT round trips are saved.
    form = await forms.read(request)
    token = form.get("token")
    try:
        client = await _authenticated_client(
            request, session, settings, form.get("client_id"), form.get("client_secret")
        )
        if client.secret_hash is None:
            raise invalid_client("introspection needs a confidential client")
        if not token:
            raise invalid_request("token is required")
    except OAuthError as error:
        return _error(error)
    answer = await revocation.introspect(session, settings, client, token)
    return _answered(answer)


async def _token_directly(request: Request) -> Response:
    return await token(request, database_of_request(request), settings_of(request))


async def _introspect_directly(request: Request) -> Response:
    async with autocommit_unit_of_work(request) as session:
        return await introspect(request, session, settings_of(request))


# The machines' hot path, called without the router (app.ops.direct_routes): these two take
# only the request, reading their forms themselves.
direct_endpoints = {"/oauth/token": _token_directly, "/oauth/introspect": _introspect_directly}
