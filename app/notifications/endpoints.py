"""HTTP endpoints of the inbox (`/api/v1/me/messages`) and the person's SMS preferences."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Query, status

from app.audit.dependencies import AuditContextDep
from app.auth.dependencies import CITIZEN_AUTH_ERRORS, CurrentCitizen
from app.config import API_V1
from app.dependencies import SessionDep
from app.errors import InvalidCursor, error_responses
from app.notifications import service
from app.notifications.dependencies import InboxReader
from app.notifications.errors import MessageNotFound, StatutoryNotice, UnknownEventType
from app.notifications.schemas import (
    MessagePage,
    MessageRead,
    SmsPreferenceRead,
    SmsPreferenceUpdate,
)

router = APIRouter(
    prefix=f"{API_V1}/me",
    tags=["notifications"],
    responses=error_responses(*CITIZEN_AUTH_ERRORS),
)


@router.get(
    "/messages",
    response_model=MessagePage,
    status_code=status.HTTP_200_OK,
    summary="List my messages",
    responses=error_responses(InvalidCursor),
)
async def list_messages(
    reader: InboxReader,
    session: SessionDep,
    cursor: Annotated[
        str | None, Query(max_length=1024, description="`next_cursor` of the previous page")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100, description="Page size")] = 20,
) -> MessagePage:
    """The inbox, newest first, with the number of unread messages.

    A person reads their own; a person acting for an enterprise reads the enterprise's. Each
    message links to its case or license. zh-CN by default, English with `Accept-Language: en`.
    """
    return await service.inbox(
        session, reader.recipient, cursor=cursor, limit=limit, english=reader.english
    )


@router.post(
    "/messages/{message_id}/read",
    response_model=MessageRead,
    status_code=status.HTTP_200_OK,
    summary="Mark a message read",
    responses=error_responses(MessageNotFound),
)
async def read_message(
    message_id: uuid.UUID, reader: InboxReader, session: SessionDep, audit: AuditContextDep
) -> MessageRead:
    """Mark one of my messages read (marking it again changes nothing); 404 for another's."""
    return await service.mark_read(
        session, reader.recipient, message_id,
        english=reader.english, actor=reader.actor, audit_context=audit,
    )  # fmt: skip


@router.get(
    "/sms-preferences",
    response_model=list[SmsPreferenceRead],
    status_code=status.HTTP_200_OK,
    summary="List my SMS preferences",
)
async def list_sms_preferences(
    citizen: CurrentCitizen, session: SessionDep
) -> list[SmsPreferenceRead]:
    """Which events I am texted about; statutory notices are always texted."""
    return await service.sms_preferences(session, citizen.account_id)


@router.put(
    "/sms-preferences",
    response_model=list[SmsPreferenceRead],
    status_code=status.HTTP_200_OK,
    summary="Set an SMS preference",
    responses=error_responses(UnknownEventType, StatutoryNotice),
)
async def set_sms_preference(
    body: SmsPreferenceUpdate, citizen: CurrentCitizen, session: SessionDep, audit: AuditContextDep
) -> list[SmsPreferenceRead]:
    """Switch texts about one event type on or off; statutory notices cannot be switched off
    (409)."""
    return await service.set_sms_preference(
        session, citizen.account_id, body.event_type, body.enabled, audit_context=audit
    )
