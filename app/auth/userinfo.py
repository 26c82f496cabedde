"""The UserInfo endpoint's claims, by granted scope (OpenID Connect Core §5.3-5.4)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.auth import accounts, repository
from app.auth.models import StaffRole
from app.auth.personal_data import reveal_phone
from app.auth.principals import Principal
from app.auth.schemas import UserInfo
from app.config import Settings


async def claims(session: AsyncSession, settings: Settings, principal: Principal) -> UserInfo:
    """What the token's scopes release about its user; `sub` as in the client's ID token."""
    granted = principal.scopes
    info = UserInfo(sub=principal.subject)
    if principal.kind == "staff":
        member = await repository.staff_member(session, uuid.UUID(principal.id))
        if member is None:
            return info
        if "profile" in granted:
            info.name = member.name
        if "staff" in granted:
            info.staff_role = StaffRole(member.role)
            info.department = member.department_code
        return info
    account = await accounts.get(session, uuid.UUID(principal.id))
    if "profile" in granted or "realname" in granted:
        info.name = account.name
    if "phone" in granted:
        # E.164, as OpenID Connect asks; the owner's own number, so unmasked.
        info.phone_number = "+86" + reveal_phone(settings, account.phone_cipher)
        info.phone_number_verified = True
    if "realname" in granted:
        info.id_number_masked = account.id_number_masked
        info.realname_level = accounts.level_name(account.realname_level)
        info.realname_verified_at = int(account.realname_verified_at.timestamp())
    return info
