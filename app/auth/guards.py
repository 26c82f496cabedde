"""Who may call: the principal of a bearer access token, and checks of its scopes and role.

Kept apart from the rest of the identity service so that the request guard every domain's
endpoints depend on (app/dependencies.py) pulls in token verification and nothing else.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, MutableMapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import access
from app.auth.errors import (
    InsufficientScope,
    InvalidToken,
    MissingToken,
    RoleRequired,
    ScopeMissing,
)
from app.auth.models import ClientKind, StaffRole
from app.auth.principals import Citizen, EnterpriseAgent, Principal, Staff
from app.auth.scopes import CITIZEN
from app.config import Settings

# Where a request's state (the ASGI scope's "state") keeps a principal verified before the
# route ran: the idempotency middleware must know whose keys a request uses, and the route's
# dependency then takes that principal instead of verifying the same token a second time.
_VERIFIED = "qe.verified_principal"


async def authenticate_bearer(
    session: AsyncSession, settings: Settings, authorization: str | None
) -> Principal:
    """The principal of an `Authorization: Bearer …` header; MissingToken or InvalidToken (401)."""
    if not authorization:
        raise MissingToken
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise MissingToken
    try:
        return await access.verify(session, settings, token.strip())
    except access.TokenRejected as exc:
        raise InvalidToken from exc


def keep_verified(
    state: MutableMapping[str, Any], authorization: str, principal: Principal
) -> None:
    """Keep the principal `authenticate_bearer` found for `authorization` in the request state."""
    state[_VERIFIED] = (authorization, principal)


def verified_earlier(state: Mapping[str, Any], authorization: str | None) -> Principal | None:
    """The principal verified earlier in this request for this very header, if any."""
    kept = state.get(_VERIFIED)
    # The header is compared so that a kept principal can only ever stand for its own token.
    if authorization is None or kept is None or kept[0] != authorization:
        return None
    principal: Principal = kept[1]
    return principal


def require_scopes(principal: Principal, *needed: str) -> Principal:
    """The principal, if its token carries every scope in `needed` (else 403)."""
    if not principal.has_scopes(*needed):
        raise InsufficientScope(*needed)
    return principal


def require_citizen_api(principal: Principal) -> Principal:
    """The principal, unless it is a person's token whose client may not act for the person in
    the citizen API (ScopeMissing, 403).

    Signing a person in to another client (a partner's site, a department's system) lets that
    client know who they are, not be them: it reads their data, applies, uploads and shares
    their licenses only with the scope `citizen`, which an admin grants the client and the
    person consents to by signing in to a request that asks for it. The platform's own app (a
    first-party client) is the person's own front end and needs no scope; a token acting for an
    enterprise (act-as) was derived from such a token and carries its client and scopes.

    Staff and client-credentials tokens act for no person: they pass to the route's own check of
    who they are, which refuses them, or admits issuers where a license's issuer may read it.
    """
    if principal.kind != "person" or principal.client_kind == ClientKind.FIRST_PARTY:
        return principal
    if not principal.has_scopes(CITIZEN):
        raise ScopeMissing(CITIZEN)
    return principal


def require_citizen(principal: Principal) -> Citizen:
    """The signed-in person behind the token (403 for staff, client and enterprise tokens)."""
    if principal.kind != "person" or principal.enterprise is not None:
        raise RoleRequired("此操作须由群众本人登录办理", "only a signed-in citizen can do this")
    return Citizen(account_id=uuid.UUID(principal.id), principal=principal)


def require_enterprise_agent(principal: Principal) -> EnterpriseAgent:
    """The person acting for an enterprise (a token from `POST /api/v1/auth/act-as`)."""
    if principal.kind != "person" or principal.enterprise is None:
        raise RoleRequired("此操作须代表企业办理", "this needs a token acting for an enterprise")
    return EnterpriseAgent(
        account_id=uuid.UUID(principal.id), uscc=principal.enterprise, principal=principal
    )


def require_staff(principal: Principal, *roles: StaffRole) -> Staff:
    """The staff member behind the token, in one of `roles` (any role when none is given)."""
    if principal.kind != "staff" or principal.role is None or principal.department_code is None:
        raise RoleRequired("此操作须由工作人员登录办理", "only staff members can do this")
    if roles and principal.role not in roles:
        wanted = ", ".join(role.value for role in roles)
        raise RoleRequired(f"需要角色：{wanted}", f"this needs the role: {wanted}")
    return Staff(
        staff_id=uuid.UUID(principal.id),
        role=principal.role,
        department_code=principal.department_code,
        principal=principal,
    )
