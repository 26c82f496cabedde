"""OAuth clients: registration with least privilege, secrets, and client authentication."""

from __future__ import annotations

import ipaddress
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit import service as audit
from app.audit.schemas import AuditContext
from app.auth import opaque, repository, scopes
from app.auth.accounts import Actor
from app.auth.errors import ClientNotFound, InvalidClient, invalid_client
from app.auth.models import ClientKind, OAuthClient, SubjectType
from app.auth.schemas import ClientCreate, ClientCreated, ClientRead
from app.config import Settings
from app.db import database_of
from app.errors import InvalidCursor
from app.kit import pagination
from app.kit.clock import utcnow
from app.services.catalog import service as catalog

# The mobile app and mini-program: public, PKCE, present in every database (app/seed.py).
FIRST_PARTY_APP_ID = "qingeban-app"
FIRST_PARTY_APP_REDIRECT = "qingeban://oauth/callback"
_SECRET_KIND = "client-secret"  # noqa: S105 - the digest's domain label, not a secret
_ID_PREFIX = {
    ClientKind.DEPARTMENT: "dept",
    ClientKind.FIRST_PARTY: "app",
    ClientKind.PARTNER: "partner",
}
_DEFAULT_GRANTS = {
    ClientKind.DEPARTMENT: ["authorization_code", "refresh_token"],
    ClientKind.FIRST_PARTY: ["authorization_code", "refresh_token"],
    ClientKind.PARTNER: ["client_credentials"],
}
_LOOPBACK_HOSTS = frozenset({"localhost"})
# Client authentication runs on every token, introspection and revocation request, and a
# client's record changes only when an admin resets its secret. So each process keeps the
# records it authenticated for a few seconds (by database and client id): a reset in this
# process drops its entry at once; a secret that does not match the kept record is checked
# against the database again (a reset done by another process), and an old secret works in
# other processes at most this long after a reset.
_CACHE_SECONDS = 10.0
# The kept record is one detached copy that every request in the window shares (building an
# ORM object per request was a twentieth of a token's CPU): it belongs to no session and is
# only read.
_authenticated: dict[tuple[str, str], tuple[float, OAuthClient]] = {}
_COLUMNS = tuple(column.key for column in OAuthClient.__table__.columns)


def _refuse(zh: str, en: str, field: str) -> InvalidClient:
    return InvalidClient(
        zh, en, extra={"invalid_params": [{"name": f"body.{field}", "reason": en}]}
    )


def _is_loopback(host: str) -> bool:
    if host in _LOOPBACK_HOSTS:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_uri(settings: Settings, uri: str, *, field: str, custom_scheme: bool) -> str:
    """An absolute URI without fragment; https, or http on loopback (any host outside production).

    A first-party app may use its own scheme (RFC 8252 §7.1), e.g. `qingeban://oauth/callback`.
    """
    try:
        parts = urlsplit(uri)
    except ValueError as exc:
        raise _refuse("地址格式不正确", f"{uri!r} is not a URI", field) from exc
    if parts.fragment or "#" in uri:
        raise _refuse("地址不能包含片段（#）", "a redirect URI has no fragment", field)
    scheme = parts.scheme.lower()
    if scheme == "https" and parts.hostname:
        return uri
    if scheme == "http" and parts.hostname:
        if _is_loopback(parts.hostname) or settings.env != "production":
            return uri
        raise _refuse("生产环境须使用 https 地址", "production needs https URIs", field)
    if custom_scheme and scheme and scheme not in {"http", "https", "javascript", "data", "file"}:
        return uri
    raise _refuse("地址须为 https 绝对地址", f"{uri!r} is not an absolute https URI", field)


def _checked(settings: Settings, data: ClientCreate) -> tuple[list[str], list[str], SubjectType]:
    kind = data.kind
    grants = list(dict.fromkeys(data.grant_types or _DEFAULT_GRANTS[kind]))
    if kind == ClientKind.FIRST_PARTY and "client_credentials" in grants:
        raise _refuse(
            "公共客户端不能使用客户端凭证模式",
            "a public client cannot use client credentials",
            "grant_types",
        )
    if "refresh_token" in grants and "authorization_code" not in grants:
        raise _refuse(
            "刷新令牌须与授权码模式一起使用",
            "refresh_token goes with authorization_code",
            "grant_types",
        )
    if "authorization_code" in grants and not data.redirect_uris:
        raise _refuse(
            "授权码模式须登记回调地址", "authorization_code needs a redirect URI", "redirect_uris"
        )
    if "authorization_code" not in grants and (
        data.redirect_uris or data.post_logout_redirect_uris or data.backchannel_logout_uri
    ):
        raise _refuse(
            "不使用授权码模式的客户端无需登记回调或注销地址",
            "redirect and logout URIs are for clients that sign users in",
            "redirect_uris",
        )
    requested = list(dict.fromkeys(data.scopes or scopes.DEFAULT_SCOPES[kind]))
    for name in requested:
        scope = scopes.SCOPES.get(name)
        if scope is None:
            raise _refuse(f"未知的授权范围 {name}", f"unknown scope {name!r}", "scopes")
        if kind not in scope.client_kinds:
            raise _refuse(
                f"{kind.value} 类客户端不能持有授权范围 {name}",
                f"a {kind.value} client cannot hold the scope {name!r}",
                "scopes",
            )
    if data.department_code is not None and kind != ClientKind.DEPARTMENT:
        raise _refuse(
            "只有部门系统可以登记所属部门",
            "only department clients belong to a department",
            "department_code",
        )
    if scopes.LICENSES_ISSUE in requested and data.department_code is None:
        raise _refuse(
            f"持有 {scopes.LICENSES_ISSUE} 的客户端须登记所属部门",
            f"a client holding {scopes.LICENSES_ISSUE!r} needs its department_code",
            "department_code",
        )
    subject_type = data.subject_type or (
        SubjectType.PAIRWISE if kind == ClientKind.PARTNER else SubjectType.PUBLIC
    )
    return grants, requested, subject_type


async def register(
    session: AsyncSession,
    settings: Settings,
    data: ClientCreate,
    *,
    audit_context: AuditContext,
    actor: Actor,
    client_id: str | None = None,
) -> ClientCreated:
    """Register a client; a confidential one gets a secret, returned this once."""
    grants, allowed_scopes, subject_type = _checked(settings, data)
    if data.department_code is not None:
        await catalog.require_department(
            session, data.department_code, param="body.department_code"
        )
    custom = data.kind == ClientKind.FIRST_PARTY
    redirect_uris = [
        check_uri(settings, uri, field="redirect_uris", custom_scheme=custom)
        for uri in data.redirect_uris
    ]
    logout_uris = [
        check_uri(settings, uri, field="post_logout_redirect_uris", custom_scheme=custom)
        for uri in data.post_logout_redirect_uris
    ]
    backchannel = None
    if data.backchannel_logout_uri is not None:
        backchannel = check_uri(
            settings,
            data.backchannel_logout_uri,
            field="backchannel_logout_uri",
            custom_scheme=False,
        )
    confidential = data.kind != ClientKind.FIRST_PARTY
    client_id = client_id or f"{_ID_PREFIX[data.kind]}-{secrets.token_hex(8)}"
    secret = opaque.new_secret() if confidential else None
    client = OAuthClient(
        client_id=client_id,
        name=data.name,
        kind=data.kind.value,
        secret_hash=opaque.digest(settings, _SECRET_KIND, secret) if secret else None,
        subject_type=subject_type.value,
        # Every client is a sector of its own: two partners never share a pairwise subject.
        sector_identifier=client_id,
        redirect_uris=redirect_uris,
        post_logout_redirect_uris=logout_uris,
        backchannel_logout_uri=backchannel,
        grant_types=grants,
        scopes=allowed_scopes,
        department_code=data.department_code,
        created_at=utcnow(),
    )
    await repository.add(session, client)
    await audit.record(
        session,
        audit_context.entry(
            actor_type=actor[0],
            actor_id=actor[1],
            action="auth.client_registered",
            subject_type="oauth_client",
            subject_id=client_id,
            after={
                "kind": client.kind,
                "grant_types": grants,
                "scopes": allowed_scopes,
                "department": client.department_code,
            },
        ),
    )
    return ClientCreated(**read(client).model_dump(), client_secret=secret)


async def reset_secret(
    session: AsyncSession,
    settings: Settings,
    client_id: str,
    *,
    audit_context: AuditContext,
    actor: Actor,
) -> ClientCreated:
    """Replace a confidential client's secret; the new one is returned this once."""
    client = await get(session, client_id)
    if client.secret_hash is None:
        raise InvalidClient("公共客户端没有密钥", "a public client has no secret")
    secret = opaque.new_secret()
    client.secret_hash = opaque.digest(settings, _SECRET_KIND, secret)
    await session.flush()
    _authenticated.pop((database_of(session), client_id), None)
    await audit.record(
        session,
        audit_context.entry(
            actor_type=actor[0],
            actor_id=actor[1],
            action="auth.client_secret_reset",
            subject_type="oauth_client",
            subject_id=client_id,
        ),
    )
    return ClientCreated(**read(client).model_dump(), client_secret=secret)


async def get(session: AsyncSession, client_id: str) -> OAuthClient:
    """A client by id, or ClientNotFound."""
    client = await repository.client(session, client_id)
    if client is None:
        raise ClientNotFound(f"客户端 {client_id} 不存在", f"no client {client_id!r}")
    return client


async def find(session: AsyncSession, client_id: str | None) -> OAuthClient | None:
    """An enabled client by id, or None."""
    if not client_id or len(client_id) > 64:
        return None
    client = await repository.client(session, client_id)
    if client is None or client.disabled_at is not None:
        return None
    return client


def _copy(value: Any) -> Any:
    return list(value) if isinstance(value, list) else value


async def _kept(
    session: AsyncSession, client_id: str | None, *, reload: bool
) -> OAuthClient | None:
    """An enabled client as this process last read it (a detached copy, shared), or freshly
    read."""
    if not client_id or len(client_id) > 64:
        return None
    key = (database_of(session), client_id)
    kept = _authenticated.get(key)
    if kept is not None and not reload and time.monotonic() - kept[0] < _CACHE_SECONDS:
        return kept[1]
    client = await find(session, client_id)
    if client is None:
        _authenticated.pop(key, None)  # unknown ids are never kept: callers choose them
        return None
    detached = OAuthClient(**{name: _copy(getattr(client, name)) for name in _COLUMNS})
    _authenticated[key] = (time.monotonic(), detached)
    return client


async def authenticate(
    session: AsyncSession, settings: Settings, client_id: str | None, secret: str | None
) -> OAuthClient:
    """The client that presented `client_id` and `secret` (None for a public client).

    The record may be a few seconds old (see `_CACHE_SECONDS`); callers only read it."""
    client = await _kept(session, client_id, reload=False)
    if client is not None and client.secret_hash is not None and secret is not None:
        if opaque.matches(settings, _SECRET_KIND, secret, client.secret_hash):
            return client
        # A secret the kept record refuses may be one set seconds ago: ask the database.
        client = await _kept(session, client_id, reload=True)
    if client is None:
        raise invalid_client()
    if client.secret_hash is None:
        if secret is not None:
            raise invalid_client("a public client has no secret")
        return client
    if secret is None or not opaque.matches(settings, _SECRET_KIND, secret, client.secret_hash):
        raise invalid_client()
    return client


def read(client: OAuthClient) -> ClientRead:
    """The client as admins see it."""
    return ClientRead(
        client_id=client.client_id,
        name=client.name,
        kind=ClientKind(client.kind),
        confidential=client.secret_hash is not None,
        subject_type=SubjectType(client.subject_type),
        redirect_uris=list(client.redirect_uris),
        post_logout_redirect_uris=list(client.post_logout_redirect_uris),
        backchannel_logout_uri=client.backchannel_logout_uri,
        grant_types=list(client.grant_types),
        scopes=list(client.scopes),
        department_code=client.department_code,
        created_at=client.created_at,
    )


async def list_page(
    session: AsyncSession, *, cursor: str | None, limit: int
) -> pagination.Page[ClientRead]:
    """Clients ordered by id."""
    after: str | None = None
    if cursor is not None:
        try:
            (value,) = pagination.decode_cursor(cursor, arity=1)
        except pagination.InvalidCursor as exc:
            raise InvalidCursor("分页游标无效", "the cursor is malformed") from exc
        if not isinstance(value, str):
            raise InvalidCursor("分页游标无效", "the cursor does not belong to this list")
        after = value
    rows = await repository.list_clients(session, after=after, limit=limit + 1)
    page = [read(row) for row in rows[:limit]]
    next_cursor = pagination.encode_cursor([page[-1].client_id]) if len(rows) > limit else None
    return pagination.Page[ClientRead](items=page, next_cursor=next_cursor)


async def ensure_first_party_app(session: AsyncSession) -> bool:
    """Register the first-party app client if it is missing; whether it was."""
    if await repository.client(session, FIRST_PARTY_APP_ID) is not None:
        return False
    await repository.add(
        session,
        OAuthClient(
            client_id=FIRST_PARTY_APP_ID,
            name="青e办 App / 小程序",
            kind=ClientKind.FIRST_PARTY.value,
            secret_hash=None,
            subject_type=SubjectType.PUBLIC.value,
            sector_identifier=FIRST_PARTY_APP_ID,
            redirect_uris=[FIRST_PARTY_APP_REDIRECT],
            post_logout_redirect_uris=[FIRST_PARTY_APP_REDIRECT],
            backchannel_logout_uri=None,
            grant_types=_DEFAULT_GRANTS[ClientKind.FIRST_PARTY],
            scopes=list(scopes.DEFAULT_SCOPES[ClientKind.FIRST_PARTY]),
            created_at=utcnow(),
        ),
    )
    return True


def is_registered_redirect(client: OAuthClient, uri: str) -> bool:
    """Exact, character-for-character match with a registered redirect URI (no patterns)."""
    return uri in client.redirect_uris
