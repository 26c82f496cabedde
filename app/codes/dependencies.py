"""Who may verify a city code, as an `Annotated` dependency."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends

from app.auth import service as auth
from app.auth.errors import InsufficientScope
from app.auth.models import StaffRole
from app.auth.scopes import CODE_VERIFY
from app.codes.service import Verifier
from app.dependencies import PrincipalDep


async def code_verifier(principal: PrincipalDep) -> Verifier:
    """A clerk signed in, or a partner's or department's system whose client-credentials token
    carries `code.verify`. Anyone else is 403, a person above all: a person's token is never
    a verifier's, whichever client it was issued to."""
    if principal.kind == "staff":
        staff = auth.require_staff(principal, StaffRole.CLERK)
        return Verifier("staff", str(staff.staff_id))
    if principal.kind == "client":
        auth.require_scopes(principal, CODE_VERIFY)
        return Verifier("client", principal.id)
    raise InsufficientScope(CODE_VERIFY)


CodeVerifier = Annotated[Verifier, Depends(code_verifier)]
