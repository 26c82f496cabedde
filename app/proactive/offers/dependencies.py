"""Who may see and answer offers: the person they were made to, signed in with a token that
may act for them in the citizen API (a partner's token without `citizen`, a client's or a
staff member's token: 403)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from app.auth.dependencies import CitizenApiPrincipal
from app.auth.errors import RoleRequired
from app.errors import prefers_english


@dataclass(frozen=True, slots=True)
class OfferHolder:
    """The person answering: their account (offers are theirs, for whichever enterprise they
    represent, acting for it or not) and their language."""

    account_id: uuid.UUID
    english: bool


async def offer_holder(principal: CitizenApiPrincipal, request: Request) -> OfferHolder:
    """The person behind the token."""
    if principal.kind != "person":
        raise RoleRequired("此操作须由群众本人登录办理", "only a signed-in person can do this")
    english = prefers_english(request.headers.get("accept-language"))
    return OfferHolder(uuid.UUID(principal.id), english)


CurrentOfferHolder = Annotated[OfferHolder, Depends(offer_holder)]
