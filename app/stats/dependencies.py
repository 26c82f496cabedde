"""Who may read the statistics: platform admins and auditors, and clients holding `stats.read`."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth import service as auth
from app.auth.errors import RoleRequired
from app.auth.models import StaffRole
from app.auth.principals import Principal
from app.dependencies import PrincipalDep

STATS_READ = "stats.read"
STAFF_READERS = (StaffRole.PLATFORM_ADMIN, StaffRole.AUDITOR)


async def stats_reader(principal: PrincipalDep) -> Principal:
    """The caller, if a platform admin, an auditor, or a token with `stats.read` (else 403)."""
    if principal.kind == "staff":
        try:
            return auth.require_staff(principal, *STAFF_READERS).principal
        except RoleRequired:
            if not principal.has_scopes(STATS_READ):
                raise
    return auth.require_scopes(principal, STATS_READ)


StatsReader = Annotated[Principal, Depends(stats_reader)]
