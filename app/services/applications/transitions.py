"""Moving a case through the status machine, with its timeline."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from app.kit.clock import utcnow
from app.kit.ids import new_id
from app.notifications import events
from app.notifications import service as notifications
from app.services.applications import repository
from app.services.applications.errors import StatusConflict
from app.services.applications.models import Application, ApplicationEvent
from app.services.applications.status import OPEN, Status, allows


def open_key(application: Application) -> str:
    """Who a case is open for: the enterprise applied for, else the applicant's account."""
    return application.applicant_uscc or application.applicant_account_id.hex


def event(
    application: Application,
    status_from: str | None,
    actor_type: str,
    actor_id: str,
    note: str | None = None,
) -> ApplicationEvent:
    """A timeline step: the case as it is now, and the status it came from."""
    return ApplicationEvent(
        id=new_id(),
        application_id=application.id,
        at=utcnow(),
        status_from=status_from,
        status_to=application.status,
        actor_type=actor_type,
        actor_id=actor_id,
        note=note,
    )


async def move(
    session: AsyncSession,
    application: Application,
    target: Status,
    *,
    actor_type: str,
    actor_id: str,
    note: str | None = None,
) -> None:
    """Move a case to `target` and add the step to its timeline; StatusConflict (409) when
    its status does not allow it."""
    if not allows(application.status, target):
        raise StatusConflict(
            f"办件当前状态为 {application.status}，不能变为 {target.value}",
            f"an application that is {application.status} cannot become {target.value}",
            extra={"status": application.status},
        )
    previous = application.status
    application.status = target
    application.updated_at = utcnow()
    # Open cases hold the applicant's key (one open case per service); decided ones release it.
    application.open_key = open_key(application) if target in OPEN else None
    await repository.add(session, event(application, previous, actor_type, actor_id, note))
    await _publish(session, application, previous, target)


# The news a move is: the case leaving `submitted` was received; approved and rejected are
# the decision. Moves between the clerks' own states tell the applicant nothing.
_NEWS: dict[Status, str] = {
    Status.APPROVED: events.APPLICATION_DECIDED,
    Status.REJECTED: events.APPLICATION_DECIDED,
    Status.SUPPLEMENT_REQUESTED: events.APPLICATION_SUPPLEMENT_REQUESTED,
    Status.WITHDRAWN: events.APPLICATION_WITHDRAWN,
}


async def _publish(
    session: AsyncSession, application: Application, previous: str, target: Status
) -> None:
    news = []
    if previous == Status.SUBMITTED:
        news.append(events.APPLICATION_SUBMITTED)
    if target in _NEWS:
        news.append(_NEWS[target])
    for event_type in news:
        payload = {
            "application_id": str(application.id),
            "number": application.number,
            "service_code": application.service_code,
            "status": application.status,
        }
        if event_type == events.APPLICATION_DECIDED:
            payload["outcome"] = application.status
        await notifications.publish(
            session,
            event_type,
            subject=f"application/{application.number}",
            payload=payload,
            department_code=application.department_code,
            accounts=[application.applicant_account_id],
            enterprise=application.applicant_uscc,
        )


async def note(
    session: AsyncSession,
    application: Application,
    text: str,
    *,
    actor_type: str = "system",
    actor_id: str = "outcomes",
) -> None:
    """A step of the timeline that changes no status: what an approval set in motion."""
    await repository.add(
        session, event(application, application.status, actor_type, actor_id, text)
    )
