"""Principal dependencies for every domain's endpoints, as `Annotated` aliases.

    async def list_my_cases(citizen: CurrentCitizen, session: SessionDep) -> ...
    async def submit(applicant: CitizenApiPrincipal, session: SessionDep) -> ...
    async def review(staff: Annotated[Staff, Depends(RequireStaff(StaffRole.CLERK))]) -> ...
    async def verify(caller: Annotated[Principal, Depends(RequireScopes("licenses.verify"))])

A missing or bad token is 401 with `WWW-Authenticate: Bearer`; a token without the scope or
role is 403. Every route of the citizen API (what a person does for themselves or the enterprise
they act for) takes `CitizenApiPrincipal`, or `CurrentCitizen` / `CurrentEnterpriseAgent` built
on it, and declares `CITIZEN_AUTH_ERRORS`: another client's token of a person is 403
`auth.scope_missing` there unless the client was granted `citizen` (app.auth.guards).
Records that exist but are not the caller's are the services' business: they filter by
`Citizen.account_id` or `Staff.department_scope` in their repositories and answer 404.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from app.auth import guards
from app.auth import service as auth
from app.auth.errors import AUTH_ERRORS, CITIZEN_AUTH_ERRORS
from app.auth.models import StaffRole
from app.auth.principals import Citizen, EnterpriseAgent, Principal, Staff
from app.dependencies import PlatformAdminDep, PrincipalDep

__all__ = [
    "AUTH_ERRORS",
    "CITIZEN_AUTH_ERRORS",
    "CitizenApiPrincipal",
    "ClientAddress",
    "CurrentCitizen",
    "CurrentEnterpriseAgent",
    "CurrentPlatformAdmin",
    "CurrentPrincipal",
    "CurrentStaff",
    "RequireCitizen",
    "RequireScopes",
    "RequireStaff",
]

CurrentPrincipal = PrincipalDep
CurrentPlatformAdmin = PlatformAdminDep


async def citizen_api_principal(principal: PrincipalDep) -> Principal:
    """The caller of a citizen-API route: a person's token only from a client that may act for
    the person (403 `auth.scope_missing` otherwise); staff and client tokens for the route to
    judge."""
    return guards.require_citizen_api(principal)


CitizenApiPrincipal = Annotated[Principal, Depends(citizen_api_principal)]


async def current_citizen(principal: CitizenApiPrincipal) -> Citizen:
    """The signed-in person (403 for staff, client and enterprise tokens, and for a client that
    may not act for the person)."""
    return auth.require_citizen(principal)


async def current_staff(principal: PrincipalDep) -> Staff:
    """The signed-in staff member, any role (403 for citizens and clients)."""
    return auth.require_staff(principal)


async def current_enterprise_agent(principal: CitizenApiPrincipal) -> EnterpriseAgent:
    """The person acting for an enterprise (403 for any other token)."""
    return guards.require_enterprise_agent(principal)


async def client_address(request: Request) -> str:
    """The caller's address, the key of per-address rate limits (behind the proxy headers)."""
    return request.client.host[:64] if request.client is not None else "unknown"


CurrentCitizen = Annotated[Citizen, Depends(current_citizen)]
CurrentEnterpriseAgent = Annotated[EnterpriseAgent, Depends(current_enterprise_agent)]
ClientAddress = Annotated[str, Depends(client_address)]
CurrentStaff = Annotated[Staff, Depends(current_staff)]


class RequireScopes:
    """A dependency: the caller's token must carry every one of these scopes."""

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes

    async def __call__(self, principal: PrincipalDep) -> Principal:
        return auth.require_scopes(principal, *self.scopes)


class RequireStaff:
    """A dependency: a staff member in one of these roles (any role when none is given)."""

    def __init__(self, *roles: StaffRole) -> None:
        self.roles = roles

    async def __call__(self, principal: PrincipalDep) -> Staff:
        return auth.require_staff(principal, *self.roles)


class RequireCitizen:
    """A dependency: a signed-in person whose token carries these scopes."""

    def __init__(self, *scopes: str) -> None:
        self.scopes = scopes

    async def __call__(self, principal: CitizenApiPrincipal) -> Citizen:
        return auth.require_citizen(auth.require_scopes(principal, *self.scopes))
