"""Who may issue and change licenses, and whose licenses a caller may read.

Issuers are department systems holding `licenses:issue` (their department is registered with
the client and arrives on the principal) and clerks or department admins, each for their own
department. Readers are the holder (the citizen whose ID number it is, or a person acting for
the holding enterprise) and the issuer. Both are reduced here to plain values that the
repository applies to its queries, so that a license outside them reads as not found; a client
that issues nothing can be neither, and is refused (403) before any license is looked up.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from app.audit.schemas import ActorType
from app.auth.errors import RoleRequired
from app.auth.models import StaffRole
from app.auth.principals import Principal
from app.auth.scopes import LICENSES_ISSUE
from app.certificates.errors import NotAnIssuer

_ISSUING_ROLES = frozenset({StaffRole.CLERK, StaffRole.DEPARTMENT_ADMIN})


@dataclass(frozen=True, slots=True)
class Issuer:
    """A caller with the authority to issue and change the licenses of one department."""

    department_code: str
    actor_type: ActorType
    actor_id: str


@dataclass(frozen=True, slots=True)
class ReadScope:
    """The licenses a caller may read: any of these matches (all None: none at all)."""

    holder_id_index: str | None = None
    holder_uscc: str | None = None
    issuer_code: str | None = None
    every_issuer: bool = False


def issuer_of(principal: Principal) -> Issuer:
    """The issuing authority of the caller, or NotAnIssuer (403)."""
    if principal.kind == "client":
        if principal.department_code is not None and principal.has_scopes(LICENSES_ISSUE):
            return Issuer(principal.department_code, "client", principal.id)
        raise NotAnIssuer(
            f"须为登记了所属部门、持有 {LICENSES_ISSUE} 授权的部门系统",
            f"needs a department client with the scope {LICENSES_ISSUE!r}",
        )
    if (
        principal.kind == "staff"
        and principal.role in _ISSUING_ROLES
        and principal.department_code is not None
    ):
        return Issuer(principal.department_code, "staff", principal.id)
    raise NotAnIssuer(
        "只有发证部门的工作人员或部门系统可以签发或变更证照",
        "only the issuing department's clerks or systems may issue or change licenses",
    )


async def read_scope(session: AsyncSession, principal: Principal) -> ReadScope:
    """What the caller may read: their own licenses as a holder, or their department's."""
    if principal.kind == "person":
        if principal.enterprise is not None:
            return ReadScope(holder_uscc=principal.enterprise)
        # Imported here: identity registers clients of catalog departments, and the catalog
        # names the license types of the services, so a module-level import would be a cycle.
        from app.auth import service as auth

        index = await auth.id_number_index(session, uuid.UUID(principal.id))
        return ReadScope(holder_id_index=index)
    if principal.kind == "staff" and principal.department_code is not None:
        if principal.role == StaffRole.PLATFORM_ADMIN:
            return ReadScope(every_issuer=True)
        return ReadScope(issuer_code=principal.department_code)
    if principal.kind == "client" and principal.has_scopes(LICENSES_ISSUE):
        return ReadScope(issuer_code=principal.department_code)
    # Refused for who it is, whatever the license: the answer says nothing about the license.
    raise RoleRequired(
        "证照仅供持证人和发证部门查看", "a license is read by its holder and its issuer only"
    )
