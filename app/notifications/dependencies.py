"""Who reads an inbox: a person their own, a person acting for an enterprise the enterprise's;
partners' and staff tokens none (403)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Request

from app.auth import guards
from app.auth.dependencies import CitizenApiPrincipal
from app.errors import prefers_english
from app.notifications import service


@dataclass(frozen=True, slots=True)
class Reader:
    """An inbox's reader: which inbox, who they are for the audit trail, their language."""

    recipient: str
    account_id: uuid.UUID
    actor: tuple[Literal["person"], str]
    english: bool


async def inbox_reader(principal: CitizenApiPrincipal, request: Request) -> Reader:
    """The reader of the inbox the token gives access to."""
    english = prefers_english(request.headers.get("accept-language"))
    if principal.kind == "person" and principal.enterprise is not None:
        agent = guards.require_enterprise_agent(principal)
        recipient = service.enterprise_recipient(agent.uscc)
        return Reader(recipient, agent.account_id, ("person", principal.id), english)
    citizen = guards.require_citizen(principal)
    recipient = service.person_recipient(citizen.account_id)
    return Reader(recipient, citizen.account_id, ("person", principal.id), english)


InboxReader = Annotated[Reader, Depends(inbox_reader)]
